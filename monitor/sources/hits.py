"""What engines answer, as the scan sees it: hits, pages, one run's result, and text helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.candidates import Sighting, clean_text, keep_text
from monitor.diff import SourceStatus
from monitor.errors import ParseError, ParseLimitExceeded
from monitor.html_guard import parse_html

if TYPE_CHECKING:
    from monitor.net.client import Response

MAX_SNIPPET_CHARS = 1000


@dataclass(frozen=True)
class Hit:
    """One result as an engine showed it."""

    title: str
    url: str
    snippet: str


@dataclass
class Page:
    """One answered request: its results, whether the engine has more, and any coverage gap."""

    hits: list[Hit]
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    has_more: bool = False
    # Set when the engine answered but could not search everything (SearXNG engines down).
    coverage: str | None = None
    coverage_blocked: bool = False


def page_to_json(page: Page) -> dict[str, Any]:
    """A page as JSON, to be shared by the brands of one scan (monitor.shared)."""
    return {
        "hits": [[hit.title, hit.url, hit.snippet] for hit in page.hits],
        "fetched_at": page.fetched_at.isoformat(),
        "has_more": page.has_more,
        "coverage": page.coverage,
        "coverage_blocked": page.coverage_blocked,
    }


def page_from_json(data: Mapping[str, Any]) -> Page:
    return Page(
        hits=[Hit(str(title), str(url), str(snippet)) for title, url, snippet in data.get("hits", [])],
        fetched_at=datetime.fromisoformat(str(data["fetched_at"])),
        has_more=bool(data.get("has_more", False)),
        coverage=data.get("coverage"),
        coverage_blocked=bool(data.get("coverage_blocked", False)),
    )


@dataclass
class SourceResult:
    """What one source did in one run; `results` counts the sightings it returns."""

    key: str
    status: SourceStatus
    requests: int = 0
    results: int = 0
    reason: str = ""
    sightings: list[Sighting] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def plain_text(fragment: str, limit: int = MAX_SNIPPET_CHARS) -> str:
    """Text of an HTML fragment (engines mark matches with <strong>/<b>), entities decoded."""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment, limit)
    try:
        tree = parse_html(fragment)
    except ParseLimitExceeded:  # hostile markup in a snippet: dropped rather than parsed
        return ""
    return clean_text(tree.text(separator="", strip=False), limit)


def make_hit(title: object, url: object, snippet: object) -> Hit | None:
    """A Hit from loosely typed engine fields; None without an http(s) URL to follow."""
    if not isinstance(url, str) or not url.strip().lower().startswith(("http://", "https://")):
        return None
    return Hit(
        # Engines give titles as text (markup only in snippets): a "<" in a name is the name's own.
        title=keep_text(title) if isinstance(title, str) else "",
        url=url.strip(),
        snippet=plain_text(snippet) if isinstance(snippet, str) else "",
    )


def error_detail(response: Response) -> str:
    """The message of a JSON error body ({"error": {"detail"|"message": ...}}), else ""."""
    try:
        payload = response.json()
    except ParseError:
        return ""
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        error = error.get("detail") or error.get("message") or error.get("code")
    return clean_text(error, 300) if isinstance(error, str) else ""
