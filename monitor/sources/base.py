"""What every search source shares: statuses, results, and the run loop that never raises."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar
from urllib.parse import urlsplit

from monitor.candidates import Sighting
from monitor.diff import SourceStatus
from monitor.errors import (
    BlockedError,
    FetchError,
    HTTPStatusError,
    ParseError,
    RobotsDisallowed,
    SourceError,
    UnsafeURLError,
)
from monitor.i18n import Language, tr
from monitor.log import get_logger
from monitor.queries import Query, plan
from monitor.redact import scrub
from monitor.settings import BrandSettings, SourceSettings
from monitor.sources.hits import (
    MAX_SNIPPET_CHARS,
    Hit,
    Page,
    SourceResult,
    error_detail,
    make_hit,
    page_from_json,
    page_to_json,
    plain_text,
)

if TYPE_CHECKING:
    # Annotations only: parsers and planning stay importable without the network stack.
    from monitor.net.client import HttpClient, Response
    from monitor.shared import SharedWork

log = get_logger(__name__)

# Engines import these from here: the results module holds them, this one the run loop.
__all__ = [
    "MAX_SNIPPET_CHARS",
    "Hit",
    "OnPage",
    "Page",
    "SearchSource",
    "SourceResult",
    "SourceStatus",
    "error_detail",
    "make_hit",
    "plain_text",
]

S = TypeVar("S", bound=SourceSettings)
# Called with the sightings of each answered page, as it arrives (the scan streams them on).
OnPage = Callable[[list[Sighting]], Awaitable[None]]

# After this many failures in a row the source stops for this run: the engine is down or the
# configuration is wrong, and more requests would only add load.
MAX_CONSECUTIVE_FAILURES = 3


@dataclass
class _Tally:
    planned: int
    clean: int = 0
    degraded: int = 0
    failed: int = 0
    blocked: int = 0
    consecutive_failures: int = 0
    coverage_blocked: bool = False
    problems: list[str] = field(default_factory=list)

    def note(self, message: str) -> None:
        if message not in self.problems:
            self.problems.append(message)

    def status(self, sightings: int) -> SourceStatus:
        answered = self.clean + self.degraded
        if self.blocked or self.failed:
            worst: SourceStatus = "blocked" if self.blocked else "failed"
            return "partial" if answered else worst
        if self.degraded:
            if self.clean or sightings:
                return "partial"
            return "blocked" if self.coverage_blocked else "failed"
        return "ok"


class SearchSource(ABC, Generic[S]):
    """A search engine queried for brand names; subclasses implement `search` for one query."""

    key: ClassVar[str]
    title: ClassVar[str]
    # Whether a query's page depends only on the query (not on a token of this run), so brands
    # of one scan asking the same query may share the answer (see `shared`).
    shared_pages: ClassVar[bool] = True

    def __init__(
        self,
        settings: S,
        client: HttpClient,
        *,
        lang: Language | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.client = client
        self.lang = lang
        self._sleep = sleep
        self._requests = 0
        # Set when scans run as jobs: a query already answered for another brand is not asked again.
        self.shared: SharedWork | None = None

    @classmethod
    def from_settings(cls, settings: S, client: HttpClient, *, lang: Language | None = None) -> Self:
        """Build the source from its `[sources.<key>]` settings and the shared HTTP client."""
        return cls(settings, client, lang=lang)

    @classmethod
    def endpoints(cls, settings: S) -> list[str]:
        """Exact API URLs this source calls without robots.txt (an API with a key or contract)."""
        return [settings.url] if settings.url else []

    @property
    def max_pages(self) -> int:
        """Result pages fetched per query; engines that page override this."""
        return 1

    def available(self) -> str | None:
        """Why the source must be skipped (disabled, no key, no URL), or None when it can run."""
        if self.settings.enabled is False:
            return self.disabled_reason(self.lang)
        return self.missing()

    @staticmethod
    def disabled_reason(lang: Language | None) -> str:
        return tr("đã tắt trong cấu hình", "disabled in the configuration", lang)

    def missing(self) -> str | None:
        """What the source needs and lacks; None when nothing is missing."""
        return None

    def missing_key(self) -> str | None:
        """The reason to skip a keyed source whose API key is not set (keys come from the environment)."""
        key = getattr(self.settings, "api_key", None)
        if key is not None and key.get_secret_value():
            return None
        variable = f"MONITOR_SOURCES__{self.key.upper()}__API_KEY"
        return self.tr(f"chưa có khóa API (đặt {variable})", f"no API key (set {variable})")

    def warnings(self) -> list[str]:
        """Things the operator should know even when the source works."""
        return []

    def plan(self, brand: BrandSettings) -> list[Query]:
        """The queries this source would run for `brand`, within its max_queries and pages."""
        return plan(brand, self.settings.max_queries, pages=self.max_pages)

    def tr(self, vi: str, en: str) -> str:
        return tr(vi, en, self.lang)

    def scrub(self, text: str) -> str:
        """Upstream text without this source's key or URL secrets: engines echo keys in errors."""
        return scrub(text, self.settings.secret_values())

    def start_run(self) -> None:
        """Forget state kept from an earlier run (paging tokens, quota notes)."""

    @abstractmethod
    async def search(self, query: Query) -> Page:
        """Run one query; raise BlockedError / FetchError / ParseError / SourceError on problems."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        trusted: bool = True,
        robots: bool = False,
    ) -> Response:
        """One counted request through the shared client (an API endpoint by default)."""
        self._requests += 1
        return await self.client.request(
            method, url, params=params, data=data, headers=headers, trusted=trusted, robots=robots
        )

    def check_status(self, response: Response, detail: str = "") -> None:
        """Raise for refusals (blocked) and other error statuses (failed), with readable reasons."""
        status = response.status
        more = f": {detail}" if detail else ""
        if status == 429:
            raise BlockedError(
                self.settings.url,
                self.tr(
                    f"{self.title} trả HTTP 429: quá giới hạn tần suất hoặc hết hạn mức{more}",
                    f"{self.title} answered HTTP 429: rate limit or quota exceeded{more}",
                ),
            )
        if status in (401, 403, 451):
            raise BlockedError(
                self.settings.url,
                self.tr(
                    f"{self.title} từ chối truy cập (HTTP {status}){more}",
                    f"{self.title} refused access (HTTP {status}){more}",
                ),
            )
        if status >= 400:
            raise HTTPStatusError(
                self.settings.url,
                status,
                self.tr(
                    f"{self.title} trả lỗi HTTP {status}{more}", f"{self.title} answered HTTP {status}{more}"
                ),
            )

    def json_body(self, response: Response) -> object:
        try:
            return response.json()
        except ParseError as exc:
            raise ParseError(
                self.tr(
                    f"{self.title} trả về dữ liệu không phải JSON hợp lệ",
                    f"{self.title} answered with something that is not valid JSON",
                )
            ) from exc

    def unexpected(self, exc: ParseError) -> ParseError:
        """A parser's complaint about an answer's shape, as a reason the operator can read."""
        return ParseError(
            self.tr(
                f"{self.title} trả lời không đúng dạng mong đợi ({exc})",
                f"{self.title} answered in an unexpected shape ({exc})",
            )
        )

    async def run(self, queries: Sequence[Query], on_page: OnPage | None = None) -> SourceResult:
        """Run the queries in order; network and parse problems become statuses, never exceptions.

        `on_page` receives each answered page's sightings at once (they are in the result too).
        Later pages of a query are fetched only after its earlier page, in this run, said there
        is more. A block stops the run (more requests would deepen it); so do repeated failures.
        """
        reason = self.available()
        todo = [q for q in queries if q.page <= self.max_pages][: self.settings.max_queries]
        if reason is None and not todo:
            reason = self.tr("không có truy vấn nào để chạy", "no queries to run")
        if reason is not None:
            log.info("search_source_skipped", source=self.key, reason=reason)
            return SourceResult(self.key, "skipped", reason=reason)
        self._requests = 0
        self.start_run()
        tally = _Tally(planned=len(todo))
        sightings: list[Sighting] = []
        seen: dict[str, int] = {}
        more: dict[str, bool] = {}
        for query in todo:
            if query.page > 1 and not more.get(query.text, False):
                continue
            before = len(sightings)
            stop = await self._run_one(query, tally, sightings, seen, more)
            if on_page is not None and len(sightings) > before:
                await on_page(sightings[before:])
            if stop:
                break
        return self._result(tally, sightings)

    async def _run_one(
        self,
        query: Query,
        tally: _Tally,
        sightings: list[Sighting],
        seen: dict[str, int],
        more: dict[str, bool],
    ) -> bool:
        """Run one query into the tally; True when the source must stop."""
        try:
            page = await self._page(query)
        except RobotsDisallowed as exc:
            # An unreachable robots.txt also forbids the page: then the host is down, not refusing.
            unreachable = await self._robots_unreachable(exc.url)
            if unreachable is not None:
                return self._failed(tally, unreachable)
            return self._blocked(tally, self._refusal(exc))
        except BlockedError as exc:
            return self._blocked(tally, exc.message)
        except (FetchError, ParseError, SourceError) as exc:
            return self._failed(tally, exc)
        except Exception as exc:
            # A bug in one source must not end the scan: it shows as failed, with the traceback logged.
            tally.failed += 1
            tally.note(
                self.tr(f"lỗi nội bộ ({type(exc).__name__})", f"internal error ({type(exc).__name__})")
            )
            log.exception("search_source_crashed", source=self.key)
            return True
        tally.consecutive_failures = 0
        if page.coverage:
            tally.degraded += 1
            tally.coverage_blocked = tally.coverage_blocked or page.coverage_blocked
            tally.note(self.scrub(page.coverage))
        else:
            tally.clean += 1
        offset = seen.get(query.text, 0)
        for index, hit in enumerate(page.hits, start=1):
            sightings.append(
                Sighting(
                    self.key, query.text, offset + index, hit.title, hit.url, hit.snippet, page.fetched_at
                )
            )
        seen[query.text] = offset + len(page.hits)
        more[query.text] = page.has_more and bool(page.hits)
        return False

    async def _page(self, query: Query) -> Page:
        """The query's page: asked of the engine, or read from the brand that asked it first."""
        if self.shared is None or not self.shared_pages:
            return await self.search(query)

        async def ask() -> dict[str, Any]:
            return page_to_json(await self.search(query))

        key = f"search:{self.key}:{query.page}:{query.text}"
        return page_from_json(await self.shared.once(key, ask))

    def _blocked(self, tally: _Tally, reason: str) -> bool:
        message = self.scrub(reason)
        tally.blocked += 1
        tally.note(message)
        log.warning("search_source_blocked", source=self.key, reason=message)
        return True

    def _failed(self, tally: _Tally, exc: FetchError | ParseError | SourceError) -> bool:
        message = self.scrub(exc.message if isinstance(exc, FetchError) else str(exc))
        tally.failed += 1
        tally.consecutive_failures += 1
        tally.note(message)
        log.warning("search_query_failed", source=self.key, error=type(exc).__name__, reason=message)
        return isinstance(exc, UnsafeURLError) or tally.consecutive_failures >= MAX_CONSECUTIVE_FAILURES

    async def _robots_unreachable(self, url: str) -> FetchError | None:
        """Why robots.txt could not be read (the host is down, or answers 5xx/429); None when it was."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        try:
            response = await self.request("GET", robots_url, trusted=False, robots=False)
        except FetchError as exc:
            return exc
        if response.status == 429 or response.status >= 500:
            return HTTPStatusError(
                robots_url,
                response.status,
                self.tr(
                    f"robots.txt của {self.title} trả HTTP {response.status}",
                    f"{self.title}'s robots.txt answered HTTP {response.status}",
                ),
            )
        return None

    def _refusal(self, exc: RobotsDisallowed) -> str:
        return self.tr(
            f"robots.txt của {self.title} không cho phép đọc {exc.url}: cần khóa API hoặc máy SearXNG riêng",
            f"{self.title}'s robots.txt disallows {exc.url}: an API key or an own SearXNG is needed",
        )

    def _result(self, tally: _Tally, sightings: list[Sighting]) -> SourceResult:
        status = tally.status(len(sightings))
        reason = ""
        if status != "ok":
            answered = tally.clean + tally.degraded
            attempted = answered + tally.failed + tally.blocked
            counts = self.tr(
                f"{answered}/{tally.planned} truy vấn có trả lời, {attempted} đã thử",
                f"{answered}/{tally.planned} queries answered, {attempted} tried",
            )
            reason = self.scrub("; ".join([*tally.problems[:3], counts]))
        result = SourceResult(
            key=self.key,
            status=status,
            requests=self._requests,
            results=len(sightings),
            reason=reason,
            sightings=sightings,
            warnings=[self.scrub(warning) for warning in self.warnings()],
        )
        log.info(
            "search_source_done",
            source=self.key,
            status=status,
            requests=result.requests,
            results=result.results,
            reason=reason,
        )
        return result
