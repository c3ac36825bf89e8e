"""Brave Search API (web search): key header, rate-limit headers, Vietnamese results, clean snippets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.errors import BlockedError, ParseError
from monitor.queries import Query
from monitor.settings import BraveSettings
from monitor.sources.base import Hit, Page, SearchSource, error_detail, make_hit

if TYPE_CHECKING:
    from monitor.net.client import HttpClient, Response

# The API pages by `offset` = page number counted from 0, up to 9.
MAX_OFFSET = 9
# A window with nothing left that resets within this many seconds is waited out (the
# per-second limit); a longer one is the monthly quota, and the source stops until it resets.
SHORT_WINDOW = 60.0


@dataclass
class BravePage:
    hits: list[Hit]
    more: bool


def parse_response(payload: object) -> BravePage:
    """Web results of a /res/v1/web/search answer; ParseError when it is not one."""
    if not isinstance(payload, dict):
        raise ParseError("Brave: the answer is not a JSON object")
    web = payload.get("web")
    if web is None:
        # A search with no web results has no "web" section at all.
        if payload.get("type") == "search" and isinstance(payload.get("query"), dict):
            return BravePage([], more=False)
        raise ParseError("Brave: the answer has neither web results nor a search echo")
    results = web.get("results") if isinstance(web, dict) else None
    if not isinstance(results, list):
        raise ParseError("Brave: web.results is missing or not a list")
    hits = [
        hit
        for item in results
        if isinstance(item, dict)
        and (hit := make_hit(item.get("title"), item.get("url"), item.get("description")))
    ]
    query = payload.get("query")
    more = query.get("more_results_available") if isinstance(query, dict) else None
    return BravePage(hits, more=bool(more) if isinstance(more, bool) else bool(hits))


def rate_limits(headers: Mapping[str, str]) -> list[tuple[int, float]]:
    """(remaining, seconds to reset) per window from X-RateLimit-Remaining / -Reset."""
    remaining = _numbers(headers.get("x-ratelimit-remaining", ""))
    reset = _numbers(headers.get("x-ratelimit-reset", ""))
    return [(int(left), float(wait)) for left, wait in zip(remaining, reset, strict=False)]


def _numbers(value: str) -> list[float]:
    out: list[float] = []
    for part in value.split(",")[:8]:
        try:
            number = float(part.strip())
        except ValueError:
            return []
        if number != number or number < 0 or number > 1e9:  # NaN or nonsense
            return []
        out.append(number)
    return out


class BraveSource(SearchSource[BraveSettings]):
    """The Brave Search API; needs MONITOR_SOURCES__BRAVE__API_KEY."""

    key = "brave"
    title = "Brave Search"

    def __init__(self, settings: BraveSettings, client: HttpClient, **kwargs: Any) -> None:
        super().__init__(settings, client, **kwargs)
        self._wait = 0.0
        self._quota_reset: float | None = None

    @property
    def max_pages(self) -> int:
        return min(self.settings.max_pages, MAX_OFFSET + 1)

    def missing(self) -> str | None:
        if reason := self.missing_key():
            return reason
        if not self.settings.url:
            return self.tr("chưa cấu hình url", "no url configured")
        return None

    def start_run(self) -> None:
        self._wait = 0.0
        self._quota_reset = None

    async def search(self, query: Query) -> Page:
        if self._quota_reset is not None:
            raise BlockedError(self.settings.url, self._quota_message(self._quota_reset))
        if self._wait > 0:
            await self._sleep(self._wait)
            self._wait = 0.0
        key = self.settings.api_key.get_secret_value() if self.settings.api_key else ""
        params = {
            "q": query.text,
            "count": str(self.settings.count),
            "offset": str(min(query.page - 1, MAX_OFFSET)),
            "search_lang": "vi",
        }
        headers = {"X-Subscription-Token": key, "Accept": "application/json"}
        response = await self.request("GET", self.settings.url, params=params, headers=headers)
        self._note_limits(response)
        if response.status >= 400:
            self.check_status(response, error_detail(response))
        payload = self.json_body(response)
        try:
            parsed = parse_response(payload)
        except ParseError as exc:
            raise self.unexpected(exc) from exc
        return Page(parsed.hits, fetched_at=response.fetched_at, has_more=parsed.more)

    def _note_limits(self, response: Response) -> None:
        for remaining, reset in rate_limits(response.headers):
            if remaining > 0:
                continue
            if reset <= SHORT_WINDOW:
                self._wait = max(self._wait, reset)
            else:
                self._quota_reset = max(self._quota_reset or 0.0, reset)

    def _quota_message(self, reset: float) -> str:
        hours = reset / 3600
        return self.tr(
            f"Brave Search đã hết hạn mức truy vấn (X-RateLimit-Remaining = 0; đặt lại sau {hours:.1f} giờ)",
            f"Brave Search quota used up (X-RateLimit-Remaining = 0; resets in {hours:.1f} h)",
        )
