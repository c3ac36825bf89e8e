"""Response: what every fetch returns, with text decoding, JSON parsing and status checks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from monitor.errors import BlockedError, HTTPStatusError, ParseError
from monitor.net.charset import decode, sniff
from monitor.net.retry import BLOCK_STATUSES
from monitor.net.urls import loggable

RobotsState = Literal["allowed", "exempt", "not_checked"]


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
        """The body as text; never raises (unknown or non-text charsets are read as UTF-8)."""
        return decode(self.body, self.headers.get("content-type")).text

    @property
    def charset_note(self) -> str:
        """Empty, or "unsupported_charset:<label>" when a declared charset was unknown or not text."""
        return sniff(self.headers.get("content-type"), self.body).note

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
