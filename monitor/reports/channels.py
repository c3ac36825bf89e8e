"""The channels a brand reports fakes through (brands.toml): authorities, forms, APIs, abuse desks."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from monitor.errors import MonitorError
from monitor.i18n import Language, tr
from monitor.reports.words import KIND_WORDS, MACHINE_KINDS, word
from monitor.settings import Authority, BrandSettings


@dataclass(frozen=True)
class Channel:
    """One place a report goes: its short key, name, kind and where to reach it."""

    key: str
    name: str
    kind: str
    url: str | None
    email: str | None
    phone: str | None
    address: str | None
    platforms: tuple[str, ...]

    @property
    def machine(self) -> bool:
        """Whether the monitor can submit to it itself (after an officer's approval)."""
        return self.kind in MACHINE_KINDS

    def takes(self, platform: str) -> bool:
        return not self.platforms or platform in self.platforms

    def where(self) -> str:
        return " · ".join(part for part in (self.url, self.email, self.phone, self.address) if part)

    def to_dict(self, lang: Language) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "kind_label": word(KIND_WORDS, self.kind, lang),
            "url": self.url,
            "email": self.email,
            "phone": self.phone,
            "address": self.address,
            "platforms": list(self.platforms),
            "machine": self.machine,
        }


def derived_key(name: str) -> str:
    """A short key from a name without one: ASCII letters and digits, words joined by '-'."""
    folded = unicodedata.normalize("NFKD", name.replace("Đ", "D").replace("đ", "d"))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", ascii_text)
    return "-".join(words)[:32].strip("-") or "channel"


def catalogue(brand: BrandSettings) -> list[Channel]:
    """The brand's authorities then its other channels, each with a unique key."""
    channels: list[Channel] = []
    seen: set[str] = set()
    for entry in (*brand.authorities, *brand.channels):
        key = entry.key or derived_key(entry.name)
        base, n = key, 2
        while key in seen:
            key = f"{base[:29]}-{n}"
            n += 1
        seen.add(key)
        channels.append(_channel(entry, key))
    return channels


def find_channel(brand: BrandSettings, key: str, lang: Language) -> Channel:
    for channel in catalogue(brand):
        if channel.key == key:
            return channel
    known = ", ".join(channel.key for channel in catalogue(brand)) or "—"
    raise MonitorError(
        tr(
            f"không có kênh báo cáo {key!r} của {brand.slug} (có: {known}; xem `monitor reports channels`)",
            f"no report channel {key!r} for {brand.slug} (known: {known}; see `monitor reports channels`)",
            lang,
        )
    )


def _channel(entry: Authority, key: str) -> Channel:
    return Channel(
        key=key,
        name=entry.name,
        kind=entry.kind,
        url=entry.url,
        email=entry.email,
        phone=entry.phone,
        address=entry.address,
        platforms=tuple(entry.platforms),
    )
