"""One homepage fetch of a look-alike domain: status, title and Open Graph tags, or why it failed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from monitor.candidates import clean_text
from monitor.errors import MonitorError, ParseLimitExceeded
from monitor.html_guard import parse_html
from monitor.log import get_logger

if TYPE_CHECKING:
    from monitor.net.client import HttpClient

log = get_logger(__name__)

OG_TAGS = ("og:title", "og:description", "og:site_name", "og:url", "og:image")
MAX_TITLE_CHARS = 300
MAX_OG_CHARS = 500
# Markup past this is not looked at: <title> and <meta> live in the head.
MAX_PARSED_BYTES = 1_000_000


@dataclass(frozen=True)
class Homepage:
    """What http://<host>/ answered; `error` names the failure when there was no answer."""

    url: str
    final_url: str = ""
    status: int | None = None
    title: str = ""
    og: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime | None = None
    error: str = ""
    # "unsupported_charset:<label>" when the page declared a charset that is no text encoding.
    charset_note: str = ""

    def evidence(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "title": self.title,
            "og": dict(self.og),
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "error": self.error,
        }
        # Only when set, so pages without the note archive the same bytes as before it existed.
        if self.charset_note:
            facts["charset_note"] = self.charset_note
        return facts


async def fetch_homepage(client: HttpClient, url: str) -> Homepage:
    """GET url through the polite client (SSRF guard, robots); failures are returned, not raised."""
    try:
        response = await client.get(url)
    except (MonitorError, TimeoutError) as exc:
        log.info("homepage_failed", url=url, error=type(exc).__name__)
        return Homepage(url=url, error=f"{type(exc).__name__}: {exc}"[:MAX_OG_CHARS])
    try:
        title, og = parse_head(response.text()[:MAX_PARSED_BYTES])
    except ParseLimitExceeded as exc:  # hostile markup: the answer is kept, its head is not read
        log.info("homepage_parse_refused", url=url, limit=exc.limit)
        title, og = "", {}
    if response.charset_note:
        log.info("homepage_charset_fallback", url=url, note=response.charset_note)
    return Homepage(
        url=url,
        final_url=response.final_url,
        status=response.status,
        title=title,
        og=og,
        fetched_at=response.fetched_at,
        charset_note=response.charset_note,
    )


def parse_head(markup: str) -> tuple[str, dict[str, str]]:
    """The <title> and og:* meta tags of an HTML page (empty when absent or not HTML).

    Raises ParseLimitExceeded for markup too deep or too large to parse in bounded time.
    """
    if not markup.strip():
        return "", {}
    tree = parse_html(markup)
    node = tree.css_first("title")
    title = clean_text(node.text(), MAX_TITLE_CHARS) if node is not None else ""
    og: dict[str, str] = {}
    for meta in tree.css("meta"):
        attrs = meta.attributes
        prop = (attrs.get("property") or attrs.get("name") or "").strip().lower()
        content = attrs.get("content")
        if prop in OG_TAGS and prop not in og and content:
            og[prop] = clean_text(content, MAX_OG_CHARS)
    return title, og
