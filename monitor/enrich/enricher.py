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
carries the API key.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Literal
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
    ParseError,
    ResponseTooLarge,
    RobotsDisallowed,
    UnsafeURLError,
)
from monitor.log import get_logger
from monitor.net.client import HttpClient, Response
from monitor.net.urls import loggable

log = get_logger(__name__)

EnrichOutcome = Literal["content", "blocked", "unavailable", "unverified", "failed"]

DEFAULT_TIKTOK_OEMBED_URL = "https://www.tiktok.com/oembed"
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

    @property
    def response(self) -> Response | None:
        """The answer for the candidate's own URL (later ones, such as a Telegram preview, follow)."""
        return self.responses[0] if self.responses else None

    @property
    def signals(self) -> list[str]:
        return [*self.contacts.as_signals(), *([self.logo.signal] if self.logo else [])]


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
