"""Google Custom Search JSON API, for operators who still hold a key; it stops on 2027-01-01."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from monitor.errors import ParseError
from monitor.queries import Query
from monitor.settings import GoogleCseSettings
from monitor.sources.base import Hit, Page, SearchSource, error_detail, make_hit

SUNSET = date(2027, 1, 1)
DEFAULT_URL = "https://www.googleapis.com/customsearch/v1"
PAGE_SIZE = 10
# The API serves results 1..100 only.
MAX_PAGES = 10


@dataclass
class CsePage:
    hits: list[Hit]
    more: bool


def parse_response(payload: object) -> CsePage:
    """Items of a customsearch#search answer; ParseError when it is not one."""
    if not isinstance(payload, dict):
        raise ParseError("Google CSE: the answer is not a JSON object")
    items = payload.get("items")
    if items is None:
        # No results: the answer still describes the search.
        if payload.get("kind") == "customsearch#search" or isinstance(payload.get("queries"), dict):
            return CsePage([], more=False)
        raise ParseError("Google CSE: the answer is not a customsearch#search result")
    if not isinstance(items, list):
        raise ParseError("Google CSE: items is not a list")
    hits = [
        hit
        for item in items
        if isinstance(item, dict)
        and (hit := make_hit(item.get("title"), item.get("link"), item.get("snippet")))
    ]
    queries = payload.get("queries")
    more = isinstance(queries, dict) and bool(queries.get("nextPage"))
    return CsePage(hits, more=more)


class GoogleCseSource(SearchSource[GoogleCseSettings]):
    """Needs MONITOR_SOURCES__GOOGLE_CSE__API_KEY and `cx`; closed to new customers."""

    key = "google_cse"
    title = "Google Custom Search"

    @property
    def max_pages(self) -> int:
        return min(self.settings.max_pages, MAX_PAGES)

    def today(self) -> date:
        return datetime.now(UTC).date()

    def missing(self) -> str | None:
        if reason := self.missing_key():
            return reason
        if not self.settings.cx:
            return self.tr("chưa cấu hình mã công cụ tìm kiếm (cx)", "no search engine id (cx) configured")
        if not self.settings.url:
            return self.tr("chưa cấu hình url", "no url configured")
        if self.settings.url.rstrip("/") == DEFAULT_URL and self.today() >= SUNSET:
            return self.tr(
                f"Google đã ngừng Custom Search JSON API từ {SUNSET.isoformat()}",
                f"Google stopped the Custom Search JSON API on {SUNSET.isoformat()}",
            )
        return None

    def warnings(self) -> list[str]:
        return [
            self.tr(
                f"Google Custom Search JSON API không nhận khách hàng mới và ngừng hoạt động từ "
                f"{SUNSET.isoformat()}: hãy chuyển sang Brave hoặc SearXNG",
                f"The Google Custom Search JSON API takes no new customers and stops on "
                f"{SUNSET.isoformat()}: move to Brave or SearXNG",
            )
        ]

    async def search(self, query: Query) -> Page:
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        params = {
            "key": key,
            "cx": self.settings.cx or "",
            "q": query.text,
            "num": str(PAGE_SIZE),
            "start": str((min(query.page, MAX_PAGES) - 1) * PAGE_SIZE + 1),
            "hl": "vi",
            "gl": "vn",
        }
        response = await self.request("GET", self.settings.url, params=params)
        if response.status >= 400:
            self.check_status(response, error_detail(response))
        payload = self.json_body(response)
        try:
            parsed = parse_response(payload)
        except ParseError as exc:
            raise self.unexpected(exc) from exc
        return Page(parsed.hits, fetched_at=response.fetched_at, has_more=parsed.more)
