"""PageInfo, what a fetched page says about an account, and the text and count helpers behind it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["content", "blocked", "unavailable"]

# Caps keep one hostile page from bloating a finding or a digest.
MAX_NAME = 300
MAX_DESCRIPTION = 2_000
MAX_EXCERPT = 2_000
MAX_POSTS = 20
MAX_POST = 1_000
MAX_LINKS = 30
MAX_URL = 2_048
MAX_META = 60
MAX_META_VALUE = 1_000
# No account has more followers than people on Earth; larger numbers are parsing noise.
MAX_COUNT = 10_000_000_000

# C0/C1 controls (tab and newline kept apart), zero-width and bidi-override characters: they hide
# text from officers and break matching.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


@dataclass(frozen=True)
class PageInfo:
    """The identity and public text of one page, and whether it was content or a wall."""

    platform: str
    url: str
    kind: str = "page"
    outcome: Outcome = "content"
    reason: str | None = None
    title: str | None = None
    handle: str | None = None
    external_id: str | None = None
    description: str | None = None
    followers: int | None = None
    verified: bool | None = None
    posts: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    og: Mapping[str, str] = field(default_factory=dict)
    canonical_url: str | None = None
    image_url: str | None = None
    favicon_url: str | None = None
    text_excerpt: str = ""

    @property
    def name(self) -> str | None:
        """The display name of the account (same as the title)."""
        return self.title

    def texts(self) -> list[str]:
        """Every piece of public text worth scanning for contacts, most specific first."""
        parts = [self.title or "", self.description or "", *self.posts, *self.links, self.text_excerpt]
        return [part for part in parts if part]


def clean_text(value: object, limit: int = MAX_NAME, *, multiline: bool = False) -> str:
    """Printable NFC text without invisible characters, whitespace collapsed, at most `limit` chars."""
    if not isinstance(value, str) or not value:
        return ""
    # Lone surrogates cannot be encoded: they become "?" instead of crashing a later encode.
    text = value.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
        text = _BLANK_LINES.sub("\n\n", text).strip()
    else:
        text = " ".join(text.split())
    return truncate(text, limit)


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, marked with an ellipsis when something was dropped."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def optional(value: object, limit: int = MAX_NAME, *, multiline: bool = False) -> str | None:
    """clean_text, or None when nothing printable is left."""
    return clean_text(value, limit, multiline=multiline) or None


_SEP = "[ \u00a0\u2009\u202f.,']"
# "11 286 994", "1.234.567", "2,805" (thousands groups) or "11.3", "4,69", "783" (a plain number).
_NUMBER = re.compile(rf"(?<![\d.,])(\d{{1,3}}(?:{_SEP}\d{{3}})+(?![\d])|\d+(?:[.,]\d+)?)")
_SUFFIX = re.compile(
    r"\s*(nghìn|ngàn|triệu|tỷ|tỉ|thousand|million|billion|millones|millón|mil|mln|tr|k|m|b|n)(?![^\W\d_])",
    re.IGNORECASE,
)
_MULTIPLIER = {
    "k": 1e3,
    "n": 1e3,
    "nghìn": 1e3,
    "ngàn": 1e3,
    "thousand": 1e3,
    "mil": 1e3,
    "m": 1e6,
    "tr": 1e6,
    "triệu": 1e6,
    "million": 1e6,
    "millones": 1e6,
    "millón": 1e6,
    "mln": 1e6,
    "b": 1e9,
    "tỷ": 1e9,
    "tỉ": 1e9,
    "billion": 1e9,
}


def parse_count(text: object) -> int | None:
    """The first count in `text`: "11.3M", "783.4K", "4,69 M", "11 286 994 subscribers", "1,2 Tr"."""
    if not isinstance(text, str):
        return int(text) if isinstance(text, int) and not isinstance(text, bool) and text >= 0 else None
    sample = text[:200]
    match = _NUMBER.search(sample)
    if match is None:
        return None
    digits = match.group(1)
    suffix = _SUFFIX.match(sample, match.end())
    multiplier = _MULTIPLIER[suffix.group(1).lower()] if suffix else 1.0
    value = _number(digits, scaled=suffix is not None)
    if value is None:
        return None
    count = round(value * multiplier)
    return count if 0 <= count <= MAX_COUNT else None


def _number(digits: str, *, scaled: bool) -> float | None:
    grouped = re.fullmatch(rf"\d{{1,3}}(?:{_SEP}\d{{3}})+", digits)
    if grouped and not (scaled and re.fullmatch(r"\d{1,3}[.,]\d{3}", digits)):
        # Thousands groups; a single "1.234" before a K/M suffix is read as a decimal instead.
        return float(re.sub(r"\D", "", digits))
    try:
        return float(digits.replace(",", "."))
    except ValueError:
        return None
