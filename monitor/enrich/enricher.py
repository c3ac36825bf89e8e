"""enrich(): fetch a candidate's page politely, read it, and collect its contact signals.

Outcomes: `content` (the page was read), `blocked` (a wall, a refusal or an open circuit),
`unavailable` (404/410, or a page saying the account is gone), `unverified` (robots.txt
forbids the fetch: the candidate keeps its search-result name and snippet) and `failed`
(timeouts, server errors: the previous state stands, nothing is "gone").

Reason codes of a page that was not read as content (`Enrichment.reason`):

    robots_disallowed  unverified: robots.txt forbids the fetch
    circuit_open       blocked: the host blocked us repeatedly; not tried
    blocked            blocked: the client refused the answer (a block status or wall it knows)
    unsafe_url         failed: bad scheme or a private/loopback/reserved target
    too_large          failed: the body passed http.max_response_bytes
    timeout            failed: no complete answer within http.timeout, after retries
    stopped            failed: the run was stopping (SIGTERM, Ctrl-C) before the page was asked
    fetch_error        failed: any other transport failure (refused, reset, broken answer)
    parse_limit        failed: markup too deep or too large to parse in bounded time (html_guard)
    http_NNN           unavailable for 404/410; blocked for refusals (429...); failed for other errors
    extract_failed     failed: the page was parsed but its extractor broke (logged)

A wall page read from the answer is `blocked` (or `unavailable`) with the wall's own reason code
from walls.py (cloudflare_challenge, facebook_login_redirect...). TikTok videos read through
oEmbed use oembed_blocked, oembed_fetch_error, oembed_http_NNN and oembed_not_json; the YouTube
Data API answers youtube_api_no_channel.

`responses` holds every answer read (the page, then a Telegram preview or a TikTok oEmbed
answer) for the evidence archive. YouTube Data API answers are left out on purpose: their URL
carries the API key. Bodies are the heavy part of a reading (a YouTube channel page weighs about
1 MB): once archived, `release()` lets them go and keeps only where they were archived, and
`enrich_each()` reads many pages with a fixed number of them in memory at once.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, AsyncIterable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Generic, Literal, Protocol, TypeVar
from urllib.parse import urlsplit

from monitor.enrich.contacts import Contacts, extract_all
from monitor.enrich.logo import LogoMatch
from monitor.enrich.page import MAX_LINKS, PageInfo
from monitor.enrich.pages import extract_page
from monitor.enrich.tiktok import is_video_url, parse_oembed
from monitor.enrich.walls import REFUSAL_STATUSES
from monitor.enrich.youtube_api import DEFAULT_API_URL, channel_metadata, lookup_params
from monitor.errors import (
    BlockedError,
    CircuitOpen,
    FetchError,
    FetchTimeout,
    MonitorError,
    ParseError,
    ResponseTooLarge,
    RobotsDisallowed,
    UnsafeURLError,
)
from monitor.log import get_logger
from monitor.net.client import HttpClient, Response
from monitor.net.stop import Stopped
from monitor.net.urls import loggable

if TYPE_CHECKING:
    from monitor.enrich.logo import LogoBook

log = get_logger(__name__)

K = TypeVar("K")

EnrichOutcome = Literal["content", "blocked", "unavailable", "unverified", "failed"]

DEFAULT_TIKTOK_OEMBED_URL = "https://www.tiktok.com/oembed"
# Pages read at once by enrich_each() unless told otherwise.
READ_CONCURRENCY = 8
GONE_STATUSES = frozenset({404, 410})


@dataclass(frozen=True)
class Enrichment:
    """What enrichment learnt about one candidate, and the answers to archive as evidence."""

    url: str
    platform: str
    outcome: EnrichOutcome
    reason: str | None = None
    http_status: int | None = None
    page: PageInfo | None = None
    contacts: Contacts = field(default_factory=Contacts)
    responses: tuple[Response, ...] = ()
    logo: LogoMatch | None = None  # the profile image is one of the brand's official logos
    # The answers already in the evidence archive (their bodies released), in reading order.
    archived: tuple[Archived, ...] = ()

    @property
    def response(self) -> Response | None:
        """The answer for the candidate's own URL (later ones, such as a Telegram preview, follow)."""
        return self.responses[0] if self.responses else None

    @property
    def signals(self) -> list[str]:
        return [*self.contacts.as_signals(), *([self.logo.signal] if self.logo else [])]

    def release(self, stored: Iterable[ArchivedLike] = ()) -> Enrichment:
        """This reading without its answers' bodies; `stored` says where they were archived.

        Everything judgement needs (outcome, page, contacts, logo) stays; only the bytes go.
        """
        kept = tuple(Archived(item.sha256, item.capture_id) for item in stored)
        return replace(self, responses=(), archived=(*self.archived, *kept))


class ArchivedLike(Protocol):
    """What the evidence archive returns for a stored answer (monitor.evidence.Stored has it)."""

    @property
    def sha256(self) -> str: ...
    @property
    def capture_id(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Archived:
    """An answer kept in the evidence archive rather than in memory: what a finding links to."""

    sha256: str
    capture_id: int


async def enrich(
    client: HttpClient,
    url: str,
    platform: str,
    *,
    name: str | None = None,
    snippet: str | None = None,
    youtube_api_key: str | None = None,
    youtube_api_url: str = DEFAULT_API_URL,
    tiktok_oembed_url: str = DEFAULT_TIKTOK_OEMBED_URL,
) -> Enrichment:
    """Enrich the candidate at `url`; `name` and `snippet` (from the search result) are scanned too."""
    seed = extract_all(text for text in (name, snippet) if text)
    if platform == "tiktok" and is_video_url(url):
        return await _tiktok_video(client, url, seed, tiktok_oembed_url)
    if platform == "youtube" and youtube_api_key and lookup_params(url) is not None:
        found = await _youtube_api(client, url, seed, youtube_api_key, youtube_api_url)
        if found is not None:
            return found
    result = await _page(client, url, platform, seed)
    if platform == "telegram" and result.outcome == "content" and result.page is not None:
        result = await _with_telegram_posts(client, result)
    log.debug("candidate_enriched", url=loggable(url), platform=platform, outcome=result.outcome)
    return result


async def _fetch(client: HttpClient, url: str, platform: str, seed: Contacts) -> Response | Enrichment:
    """The answer for `url`, or the Enrichment that says why there is none."""

    def without(outcome: EnrichOutcome, reason: str) -> Enrichment:
        return Enrichment(url=url, platform=platform, outcome=outcome, reason=reason, contacts=seed)

    try:
        return await client.get(url)
    except RobotsDisallowed:
        return without("unverified", "robots_disallowed")
    except CircuitOpen:
        return without("blocked", "circuit_open")
    except BlockedError:
        return without("blocked", "blocked")
    except UnsafeURLError:
        return without("failed", "unsafe_url")
    except ResponseTooLarge:
        return without("failed", "too_large")
    except Stopped:
        return without("failed", "stopped")
    except FetchTimeout as exc:
        log.warning("enrich_fetch_timeout", url=loggable(url), platform=platform, error=exc.message)
        return without("failed", "timeout")
    except FetchError as exc:
        log.warning("enrich_fetch_failed", url=loggable(url), platform=platform, error=exc.message)
        return without("failed", "fetch_error")


async def _page(client: HttpClient, url: str, platform: str, seed: Contacts) -> Enrichment:
    answer = await _fetch(client, url, platform, seed)
    if isinstance(answer, Enrichment):
        return answer
    # Parsing a multi-megabyte page takes tens of milliseconds: off the event loop, so other
    # fetches keep their timing.
    return await asyncio.to_thread(_read, answer, url, platform, seed)


def _read(response: Response, url: str, platform: str, seed: Contacts) -> Enrichment:
    status = response.status
    base = Enrichment(
        url=url, platform=platform, outcome="failed", http_status=status, contacts=seed, responses=(response,)
    )
    if status in GONE_STATUSES:
        return replace(base, outcome="unavailable", reason=f"http_{status}")
    page = extract_page(platform, response.final_url, status, response.text())
    if page.outcome != "content":
        return replace(base, outcome=page.outcome, reason=page.reason, page=page)
    if (status >= 400 and status != 304) or page.reason in ("extract_failed", "parse_limit"):
        return replace(base, reason=page.reason or f"http_{status}", page=page)
    contacts = seed.merge(extract_all(page.texts()))
    return replace(base, outcome="content", page=page, contacts=contacts)


async def _with_telegram_posts(client: HttpClient, result: Enrichment) -> Enrichment:
    """A channel's card has no posts; its t.me/s/ preview does. A failed preview changes nothing."""
    page = result.page
    response = result.response
    if page is None or response is None or page.kind != "channel" or not page.handle:
        return result
    try:
        parts = urlsplit(response.final_url)
    except ValueError:
        return result
    base, _, name = parts.path.rstrip("/").rpartition("/")
    if base.endswith("/s") or base == "/s" or not name:
        return result
    # t.me/<name> -> t.me/s/<name>; also under a configured base path (<base>/<name> -> <base>/s/<name>).
    preview_url = f"{parts.scheme}://{parts.netloc}{base}/s/{name}"
    answer = await _fetch(client, preview_url, "telegram", Contacts())
    if isinstance(answer, Enrichment) or answer.status >= 400:
        return result
    preview = await asyncio.to_thread(
        extract_page, "telegram", answer.final_url, answer.status, answer.text()
    )
    if preview.outcome != "content" or preview.kind != "channel":
        return result
    merged = replace(
        page,
        posts=preview.posts,
        links=tuple(dict.fromkeys(page.links + preview.links))[:MAX_LINKS],
        followers=page.followers if page.followers is not None else preview.followers,
    )
    contacts = result.contacts.merge(extract_all(preview.posts + preview.links))
    return replace(result, page=merged, contacts=contacts, responses=(*result.responses, answer))


async def _tiktok_video(client: HttpClient, url: str, seed: Contacts, oembed_url: str) -> Enrichment:
    """Videos are read through oEmbed, TikTok's published interface for them."""
    base = Enrichment(url=url, platform="tiktok", outcome="failed", contacts=seed)
    try:
        response = await client.get(oembed_url, params={"url": url}, robots=False)
    except BlockedError:
        return replace(base, outcome="blocked", reason="oembed_blocked")
    except FetchError:
        return replace(base, reason="oembed_fetch_error")
    base = replace(base, http_status=response.status, responses=(response,))
    if response.status in GONE_STATUSES:
        return replace(base, outcome="unavailable", reason=f"http_{response.status}")
    if response.status in REFUSAL_STATUSES:
        return replace(base, outcome="blocked", reason=f"http_{response.status}")
    if response.status >= 400:
        return replace(base, reason=f"oembed_http_{response.status}")
    try:
        page = parse_oembed(response.json(), url)
    except ParseError:
        return replace(base, reason="oembed_not_json")
    return replace(base, outcome="content", page=page, contacts=seed.merge(extract_all(page.texts())))


async def _youtube_api(
    client: HttpClient, url: str, seed: Contacts, api_key: str, api_url: str
) -> Enrichment | None:
    """Channel metadata from the Data API; None (read the page instead) when the API fails."""
    try:
        page = await channel_metadata(client, url, api_key=api_key, api_url=api_url)
    except (FetchError, ParseError) as exc:
        log.warning("youtube_api_failed", url=loggable(url), error=type(exc).__name__)
        return None
    if page is None:
        return Enrichment(
            url=url, platform="youtube", outcome="unavailable", reason="youtube_api_no_channel", contacts=seed
        )
    return Enrichment(
        url=url,
        platform="youtube",
        outcome="content",
        page=page,
        contacts=seed.merge(extract_all(page.texts())),
    )


# --- many pages, a fixed number in memory ----------------------------------------------------------


@dataclass(frozen=True)
class PageJob(Generic[K]):
    """One page to read; `key` (a candidate, an identity...) comes back with its reading."""

    key: K
    url: str
    platform: str
    name: str | None = None
    snippet: str | None = None


@dataclass(frozen=True)
class ReadOptions:
    """How pages are read: the platforms' API settings, the brand's logos, secrets kept out of logs."""

    youtube_api_key: str | None = None
    youtube_api_url: str = DEFAULT_API_URL
    tiktok_oembed_url: str = DEFAULT_TIKTOK_OEMBED_URL
    logos: LogoBook | None = None
    secrets: Sequence[str] = ()


async def read_page(client: HttpClient, job: PageJob[K], options: ReadOptions) -> Enrichment:
    """enrich() one page, then compare its profile image with the brand's logos; never raises.

    Whatever a page holds, a broken extractor or parser must not end the scan: such a page is
    recorded as not read (`failed`, read_error). Cancellation still propagates.
    """
    try:
        result = await enrich(
            client,
            job.url,
            job.platform,
            name=job.name,
            snippet=job.snippet,
            youtube_api_key=options.youtube_api_key,
            youtube_api_url=options.youtube_api_url,
            tiktok_oembed_url=options.tiktok_oembed_url,
        )
    except Exception as exc:
        from monitor.redact import scrub

        log.warning(
            "enrich_failed",
            url=loggable(job.url),
            error=type(exc).__name__,
            detail=scrub(str(exc), options.secrets)[:200],
        )
        return Enrichment(url=job.url, platform=job.platform, outcome="failed", reason="read_error")
    if options.logos:
        result = await check_logo(client, options.logos, result)
    return result


async def check_logo(client: HttpClient, logos: LogoBook, result: Enrichment) -> Enrichment:
    """Fetch the page's profile image (through the guard and robots.txt) and compare it with the logos."""
    image_url = result.page.image_url if result.page is not None and result.outcome == "content" else None
    if not image_url:
        return result
    try:
        response = await client.get(image_url)
    except MonitorError as exc:  # any refusal (robots, guard, size, stop): no logo signal
        log.info("logo_image_unavailable", url=loggable(image_url), error=str(exc))
        return result
    if response.status != 200:
        return result
    match = await asyncio.to_thread(logos.match, response.body)  # decoding an image is CPU work
    if match is None:
        return result
    log.info("official_logo_used", url=loggable(result.url), logo=match.logo, distance=match.distance)
    return replace(result, logo=match, responses=(*result.responses, response))


async def enrich_each(
    client: HttpClient,
    jobs: Iterable[PageJob[K]] | AsyncIterable[PageJob[K]],
    options: ReadOptions,
    *,
    concurrency: int = READ_CONCURRENCY,
    stop: threading.Event | None = None,
) -> AsyncGenerator[tuple[PageJob[K], Enrichment], None]:
    """Read every job's page, `concurrency` at a time, yielding each reading as soon as it is done.

    Memory stays bounded whatever the number of jobs: a reader that finished waits until the
    consumer has room, so at most 2 × concurrency + 1 readings (with their bodies) exist at once;
    the consumer archives each and keeps only `release()`d copies. Jobs are pulled lazily, so an
    async iterable can still be growing while pages are read. Once `stop` is set no new page is
    started; closing the generator (aclosing) or cancelling its consumer cancels the readers.
    """
    width = max(1, concurrency)
    done: asyncio.Queue[tuple[PageJob[K], Enrichment] | None] = asyncio.Queue(width)
    source = _jobs(jobs)
    pull = asyncio.Lock()  # an async generator cannot be advanced by two readers at once
    failures: list[BaseException] = []

    async def next_job() -> PageJob[K] | None:
        async with pull:
            if stop is not None and stop.is_set():
                return None
            return await anext(source, None)

    async def reader() -> None:
        while (job := await next_job()) is not None:
            await done.put((job, await read_page(client, job, options)))

    async def readers() -> None:
        try:
            async with asyncio.TaskGroup() as group:  # one failing reader cancels the others
                for _ in range(width):
                    group.create_task(reader())
        except Exception as exc:  # the jobs' own iterable broke: the consumer raises it
            failures.append(exc)
        await done.put(None)

    running = asyncio.create_task(readers())
    try:
        while (item := await done.get()) is not None:
            yield item
        if failures:
            raise failures[0]
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await source.aclose()


async def _jobs(jobs: Iterable[PageJob[K]] | AsyncIterable[PageJob[K]]) -> AsyncGenerator[PageJob[K], None]:
    if isinstance(jobs, AsyncIterable):
        async for job in jobs:
            yield job
    else:
        for job in jobs:
            yield job
