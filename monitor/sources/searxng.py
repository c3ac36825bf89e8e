"""A self-hosted SearXNG instance through its JSON API (`search.formats` must include json)."""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.candidates import clean_text
from monitor.errors import BlockedError, ParseError
from monitor.queries import Query
from monitor.settings import SearxngSettings
from monitor.sources.base import Hit, Page, SearchSource, make_hit

# Reasons SearXNG gives for an engine that did not answer because the engine refused it.
_BLOCK_WORDS = (
    "captcha",
    "suspended",
    "access denied",
    "too many requests",
    "forbidden",
    "blocked",
    "403",
    "429",
)


@dataclass
class SearxngPage:
    hits: list[Hit]
    unresponsive: list[tuple[str, str]] = field(default_factory=list)


def parse_response(payload: object) -> SearxngPage:
    """Results and unresponsive engines of a `format=json` answer; ParseError when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise ParseError("SearXNG: the answer has no results list")
    hits = [
        hit
        for item in payload["results"]
        if isinstance(item, dict)
        and (hit := make_hit(item.get("title"), item.get("url"), item.get("content")))
    ]
    unresponsive: list[tuple[str, str]] = []
    raw = payload.get("unresponsive_engines")
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, list | tuple) and entry:
            engine = clean_text(str(entry[0]), 60)
            why = clean_text(str(entry[1]), 120) if len(entry) > 1 else ""
            unresponsive.append((engine, why))
    return SearxngPage(hits, unresponsive)


def describe_unresponsive(engines: list[tuple[str, str]]) -> str:
    return ", ".join(f"{engine} ({why})" if why else engine for engine, why in engines[:10])


class SearxngSource(SearchSource[SearxngSettings]):
    """Runs when `[sources.searxng] url` points at an instance."""

    key = "searxng"
    title = "SearXNG"

    @classmethod
    def endpoints(cls, settings: SearxngSettings) -> list[str]:
        # The operator's own instance: its JSON API is theirs to call.
        return [settings.url.rstrip("/") + "/search"] if settings.url else []

    @property
    def max_pages(self) -> int:
        return self.settings.max_pages

    def missing(self) -> str | None:
        if not self.settings.url:
            return self.tr(
                "chưa cấu hình url của máy SearXNG (MONITOR_SOURCES__SEARXNG__URL)",
                "no SearXNG url configured (MONITOR_SOURCES__SEARXNG__URL)",
            )
        return None

    async def search(self, query: Query) -> Page:
        endpoint = self.settings.url.rstrip("/") + "/search"
        params = {
            "q": query.text,
            "format": "json",
            "pageno": str(query.page),
            "language": "vi",
            "categories": "general",
            "safesearch": "0",
        }
        headers = {"Accept": "application/json"}
        response = await self.request("GET", endpoint, params=params, headers=headers)
        if response.status == 403:
            raise BlockedError(
                endpoint,
                self.tr(
                    "SearXNG từ chối format=json (HTTP 403): thêm json vào search.formats trong settings.yml",
                    "SearXNG refused format=json (HTTP 403): add json to search.formats in settings.yml",
                ),
            )
        self.check_status(response)
        payload = self.json_body(response)
        try:
            parsed = parse_response(payload)
        except ParseError as exc:
            raise self.unexpected(exc) from exc
        page = Page(parsed.hits, fetched_at=response.fetched_at, has_more=bool(parsed.hits))
        if parsed.unresponsive:
            names = describe_unresponsive(parsed.unresponsive)
            page.coverage = self.tr(
                f"SearXNG: một số máy tìm kiếm không trả lời: {names}",
                f"SearXNG: some engines did not answer: {names}",
            )
            page.coverage_blocked = any(
                word in why.lower() for _, why in parsed.unresponsive for word in _BLOCK_WORDS
            )
        return page
