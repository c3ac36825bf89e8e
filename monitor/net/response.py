"""Response: what every fetch returns, with text decoding, JSON parsing and status checks."""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from monitor.errors import BlockedError, HTTPStatusError, ParseError
from monitor.net.retry import BLOCK_STATUSES
from monitor.net.urls import loggable

RobotsState = Literal["allowed", "exempt", "not_checked"]

_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
# <meta charset="..."> and <meta http-equiv="Content-Type" content="...; charset=...">,
# looked for in the first bytes only, as browsers do.
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE
)
_META_SCAN = 4096
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _known(name: str | None, *, in_markup: bool = False) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # Markup readable as ASCII cannot be UTF-16, whatever its <meta> says (HTML spec).
    if in_markup and codec.name.startswith("utf-16"):
        return "utf-8"
    return codec.name


def sniff_charset(content_type: str | None, body: bytes) -> str:
    """Charset of a body: BOM, then Content-Type, then <meta charset>, else utf-8."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    match = _CHARSET.search(content_type or "")
    found = _known(match.group(1)) if match else None
    if found:
        return found
    meta = _META_CHARSET.search(body[:_META_SCAN])
    found = _known(meta.group(1).decode("ascii"), in_markup=True) if meta else None
    return found or "utf-8"


@dataclass(frozen=True)
class Response:
    """A final HTTP answer. `status` 304 means "unchanged": `body` then holds the cached body."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: datetime
    robots: RobotsState = "not_checked"
    # The chain of URLs that answered with a redirect, in order.
    redirects: tuple[str, ...] = field(default=())

    @property
    def from_cache(self) -> bool:
        """True when the server said 304 and the body is the one kept from the earlier answer."""
        return self.status == 304 and bool(self.body)

    def text(self) -> str:
        """The body as text; never raises on undecodable bytes."""
        charset = sniff_charset(self.headers.get("content-type"), self.body)
        return self.body.decode(charset, errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; ParseError when it is not."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"{loggable(self.final_url)}: not JSON ({type(exc).__name__})") from exc

    def raise_for_status(self) -> None:
        """BlockedError for 401/403/429/451, HTTPStatusError for any other status >= 400."""
        if self.status in BLOCK_STATUSES:
            raise BlockedError(loggable(self.final_url), f"HTTP {self.status}")
        if self.status >= 400:
            raise HTTPStatusError(loggable(self.final_url), self.status)
