"""What every search source shares: statuses, results, and the run loop that never raises."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, Generic, Literal, Self, TypeVar

from monitor.candidates import Sighting, clean_text, keep_text
from monitor.errors import (
    BlockedError,
    FetchError,
    HTTPStatusError,
    ParseError,
    ParseLimitExceeded,
    RobotsDisallowed,
    SourceError,
    UnsafeURLError,
)
from monitor.html_guard import parse_html
from monitor.i18n import Language, tr
from monitor.log import get_logger
from monitor.queries import Query, plan
from monitor.redact import scrub
from monitor.settings import BrandSettings, SourceSettings

if TYPE_CHECKING:
    # Annotations only: parsers and planning stay importable without the network stack.
    from monitor.net.client import HttpClient, Response

log = get_logger(__name__)

SourceStatus = Literal["ok", "partial", "blocked", "failed", "skipped"]
S = TypeVar("S", bound=SourceSettings)

# After this many failures in a row the source stops for this run: the engine is down or the
# configuration is wrong, and more requests would only add load.
MAX_CONSECUTIVE_FAILURES = 3
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

    @classmethod
    def from_settings(cls, settings: S, client: HttpClient, *, lang: Language | None = None) -> Self:
        """Build the source from its `[sources.<key>]` settings and the shared HTTP client."""
        return cls(settings, client, lang=lang)

    @property
    def max_pages(self) -> int:
        """Result pages fetched per query; engines that page override this."""
        return 1

    def available(self) -> str | None:
        """Why the source must be skipped (disabled, no key, no URL), or None when it can run."""
        if self.settings.enabled is False:
            return self.tr("đã tắt trong cấu hình", "disabled in the configuration")
        return self.missing()

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

    async def run(self, queries: Sequence[Query]) -> SourceResult:
        """Run the queries in order; network and parse problems become statuses, never exceptions.

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
            stop = await self._run_one(query, tally, sightings, seen, more)
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
            page = await self.search(query)
        except (BlockedError, RobotsDisallowed) as exc:
            message = self.scrub(exc.message)
            tally.blocked += 1
            tally.note(message)
            log.warning("search_source_blocked", source=self.key, reason=message)
            return True
        except (FetchError, ParseError, SourceError) as exc:
            message = self.scrub(exc.message if isinstance(exc, FetchError) else str(exc))
            tally.failed += 1
            tally.consecutive_failures += 1
            tally.note(message)
            log.warning("search_query_failed", source=self.key, error=type(exc).__name__, reason=message)
            return isinstance(exc, UnsafeURLError) or tally.consecutive_failures >= MAX_CONSECUTIVE_FAILURES
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
