"""HttpClient: the one polite async HTTP client every fetcher uses.

Per request: scheme check, SSRF guard and robots.txt for untrusted URLs (here), then circuit
breaker, host limits, retries and the capped body (exchange.py); redirects are followed here one
hop at a time so every hop passes the same checks.

Trust belongs to exact endpoints, never to whole origins: a URL is trusted when its scheme, host,
port and path equal those of a configured endpoint (`trusted_urls`; the query is ignored), or
when the caller says `trusted=True` for an endpoint it calls itself. Any other page of the same
site (a search result, an og:image, a TikTok video next to TikTok's oEmbed endpoint) is guarded
and robots-checked like the rest of the web. Trust is never gained through a redirect: a hop
after an untrusted one is untrusted, and a trusted hop hands trust on only to a configured
endpoint or to its own path (the same endpoint with another query).

Trusted hops skip the SSRF guard and robots and go through a direct transport; everything else
goes through `GuardedTransport`, which connects only to the address it has just checked.

Proxies (monitor.net.proxy): `http.proxy`, else HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, with
NO_PROXY hosts going direct (and so through the guarded transport). Through a proxy the guard
still checks the TARGET host before the request is queued: its name must resolve here, to public
addresses only; a name that does not resolve here is refused, not left to the proxy, which may
see internal names we cannot. The proxy's own address is the operator's choice and is not
checked (it is often on the local network). The proxy resolves the name again itself, so a DNS
answer changing between our check and its lookup is a residual risk there.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from types import TracebackType
from typing import TypedDict, Unpack

import httpx

from monitor import __version__
from monitor.errors import ConfigError, FetchError, RobotsDisallowed, UnsafeURLError
from monitor.log import get_logger
from monitor.net.body import ACCEPT_ENCODING
from monitor.net.cache import ValidatorCache
from monitor.net.exchange import Answer, Exchanger, Hop
from monitor.net.guard import Resolver, UrlGuard
from monitor.net.limits import CircuitBreaker, HostLimiter
from monitor.net.proxy import ProxyRoutes, proxy_routes
from monitor.net.response import Response, RobotsState
from monitor.net.retry import REDIRECT_STATUSES
from monitor.net.robots import ROBOTS_MAX_BYTES, RobotsCache, RobotsMemory
from monitor.net.stop import check, pause
from monitor.net.transport import DirectTransport, GuardedTransport, ProxiedTransport, shared_ssl_context
from monitor.net.turns import SharedTurns
from monitor.net.urls import Endpoint, check_scheme, endpoint, loggable, origin, parse_url
from monitor.settings import HttpSettings

__all__ = ["HttpClient", "RequestOptions", "Response", "user_agent"]

log = get_logger(__name__)

_DEFAULT_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
    "Accept-Language": "vi-VN,vi;q=0.9,en;q=0.8",
    "Accept-Encoding": ACCEPT_ENCODING,
}
# The product token robots.txt groups are matched against ("impersonation-monitor").
_PRODUCT = re.compile(r"[A-Za-z0-9._-]+")


class RequestOptions(TypedDict, total=False):
    params: Mapping[str, str] | None
    data: Mapping[str, str] | None
    headers: Mapping[str, str] | None
    trusted: bool
    robots: bool
    conditional: bool


def user_agent(http: HttpSettings) -> str:
    """The User-Agent: the configured template with {version} and {contact_url} filled in."""
    try:
        agent = http.user_agent.format(version=__version__, contact_url=http.contact_url)
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError("http", "user_agent", "placeholders allowed: {version}, {contact_url}") from exc
    if not agent or any(ord(c) < 32 or ord(c) == 127 for c in agent):
        raise ConfigError("http", "user_agent", "must be one line of printable text")
    return agent


class HttpClient:
    """Polite, capped, guarded HTTP for every fetcher; one instance per run, used concurrently."""

    def __init__(
        self,
        http: HttpSettings,
        *,
        trusted_urls: Iterable[str] = (),
        resolver: Resolver | None = None,
        cache: ValidatorCache | None = None,
        proxies: ProxyRoutes | None = None,
        stop: threading.Event | None = None,
        turns: SharedTurns | None = None,
        robots: RobotsMemory | None = None,
    ) -> None:
        """`proxies`: routes built by `from_settings` (the environment); default: `http.proxy` only.

        `robots`: robots.txt rules learned by earlier clients of the process (kept for their TTL);
        default: this client's own.

        `stop`: once set, no request starts and retry or politeness waits end at once, raising
        monitor.net.stop.Stopped (a FetchError); requests already on the wire finish or are cancelled.
        """
        self._http = http
        self.stop = stop
        self.proxies = proxies if proxies is not None else proxy_routes(http.proxy, {})
        agent = user_agent(http)
        self._trusted = {_trusted_endpoint(u) for u in trusted_urls if u}
        self._exempt = {_host_key(h) for h in http.robots_exempt_hosts if h.strip()}
        self._guard = UrlGuard(allow_private=http.allow_private_networks, resolver=resolver)
        self._limiter = HostLimiter(
            max_concurrency=http.max_concurrency,
            per_host_concurrency=http.per_host_concurrency,
            min_interval=http.per_host_min_interval,
            stop=stop,
            turns=turns,
        )
        self._breaker = CircuitBreaker(http.breaker_threshold, http.breaker_cooldown)
        self._cache = cache if cache is not None else ValidatorCache()
        token = _PRODUCT.match(agent)
        self._robots = RobotsCache(
            self._fetch_robots, agent=token.group(0) if token else agent, memory=robots
        )
        timeout = httpx.Timeout(http.timeout, connect=http.connect_timeout)
        headers = {"User-Agent": agent, **_DEFAULT_HEADERS}
        # trust_env=False: no .netrc credentials or CA bundle from the environment; the proxy
        # variables are read once, in from_settings, and mounted here per scheme and host.
        self._web = httpx.AsyncClient(
            transport=GuardedTransport(self._guard, max_connections=http.max_concurrency),
            mounts=_mounts(self.proxies, http),
            timeout=timeout,
            headers=headers,
            trust_env=False,
        )
        self._api = httpx.AsyncClient(
            transport=_plain(http),
            mounts=_mounts(self.proxies, http),
            timeout=timeout,
            headers=headers,
            trust_env=False,
        )
        self._exchanger = Exchanger(
            http,
            limiter=self._limiter,
            breaker=self._breaker,
            cache=self._cache,
            web=self._web,
            api=self._api,
            stop=stop,
        )

    @staticmethod
    async def prepare() -> None:
        """Load what every client shares (the TLS context and its CA bundle, ~30 ms) in a thread,
        so that a caller can do other start-up work meanwhile."""
        await asyncio.to_thread(shared_ssl_context)

    @classmethod
    def from_settings(
        cls,
        http: HttpSettings,
        *,
        trusted_urls: Iterable[str] = (),
        environ: Mapping[str, str] | None = None,
        stop: threading.Event | None = None,
        turns: SharedTurns | None = None,
        robots: RobotsMemory | None = None,
    ) -> HttpClient:
        """The client of a run: `http.proxy`, else the proxy variables of `environ` (os.environ)."""
        env = os.environ if environ is None else environ
        proxies = proxy_routes(http.proxy, env)
        return cls(http, trusted_urls=trusted_urls, proxies=proxies, stop=stop, turns=turns, robots=robots)

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._web.aclose()
        await self._api.aclose()

    async def wait(self, seconds: float) -> None:
        """A caller's own back-off (crt.sh's): `seconds`, or Stopped as soon as the run stops."""
        await pause(seconds, self.stop)

    def is_trusted(self, url: httpx.URL) -> bool:
        """True when url's scheme, host, port and path are those of a configured endpoint."""
        return endpoint(url) in self._trusted

    async def get(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        return await self.request("GET", url, **options)

    async def post(self, url: str, **options: Unpack[RequestOptions]) -> Response:
        return await self.request("POST", url, **options)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        trusted: bool = False,
        robots: bool = True,
        conditional: bool = False,
    ) -> Response:
        """Fetch url and return the final answer, whatever its status.

        `conditional=True` (GET) sends If-None-Match / If-Modified-Since when an earlier answer
        of the same URL is still in memory; a 304 then comes back with that answer's body.
        """
        check(self.stop, url)
        target = parse_url(url, params)
        hop = Hop(
            method=method.upper(),
            url=target,
            data=data,
            headers=dict(headers or {}),
            trusted=trusted or self.is_trusted(target),
            conditional=conditional,
            limit=self._http.max_response_bytes,
        )
        return await self._follow(url, hop, robots=robots)

    async def _follow(self, requested: str, hop: Hop, *, robots: bool) -> Response:
        redirects: list[str] = []
        for _ in range(self._http.max_redirects + 1):
            robots_state = await self._admit(hop, robots=robots)
            answer = await self._exchanger.run(hop)
            location = answer.headers.get("location") if answer.status in REDIRECT_STATUSES else None
            if not location:
                answer = self._revalidate(hop, answer)
                return Response(
                    url=requested,
                    final_url=str(hop.url),
                    status=answer.status,
                    headers=answer.headers,
                    body=answer.body,
                    fetched_at=datetime.now(UTC),
                    robots=robots_state,
                    redirects=tuple(redirects),
                )
            redirects.append(str(hop.url))
            hop = self._redirected(hop, location, answer.status)
        raise FetchError(loggable(requested), f"more than {self._http.max_redirects} redirects")

    def _redirected(self, hop: Hop, location: str, status: int) -> Hop:
        try:
            target = hop.url.join(location.strip())
        except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
            raise UnsafeURLError(loggable(hop.url), "redirect to an invalid URL") from exc
        check_scheme(target)
        method, data = hop.method, hop.data
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, data = "GET", None
        same_origin = origin(target) == origin(hop.url)
        same_endpoint = endpoint(target) == endpoint(hop.url)
        return replace(
            hop,
            method=method,
            url=target,
            data=data,
            # Caller headers may hold credentials: they stay with the origin they were meant for.
            headers=hop.headers if same_origin else {},
            trusted=hop.trusted and (same_endpoint or self.is_trusted(target)),
        )

    async def _admit(self, hop: Hop, *, robots: bool) -> RobotsState:
        """Checks before a hop is queued: scheme, SSRF guard, robots.txt (untrusted URLs only)."""
        check_scheme(hop.url)
        if hop.trusted:
            return "not_checked"
        try:
            await self._guard.check(hop.url)
        except UnsafeURLError as exc:
            log.warning("url_refused", url=loggable(hop.url), reason=exc.message)
            raise
        if not robots or not self._http.respect_robots:
            return "not_checked"
        if hop.url.host in self._exempt:
            return "exempt"
        rules = await self._robots.rules(hop.url)
        if rules.crawl_delay:
            self._limiter.raise_interval(hop.url.host, rules.crawl_delay)
        if not rules.can_fetch(str(hop.url), self._robots.agent):
            raise RobotsDisallowed(loggable(hop.url), "robots.txt disallows this URL")
        return "allowed"

    async def _fetch_robots(self, robots_url: httpx.URL) -> tuple[int, bytes]:
        hop = Hop("GET", robots_url, None, {}, trusted=False, limit=ROBOTS_MAX_BYTES, truncate=True)
        response = await self._follow(str(robots_url), hop, robots=False)
        return response.status, response.body

    def _revalidate(self, hop: Hop, answer: Answer) -> Answer:
        """Serve a 304 from memory, and keep validated answers of conditional requests."""
        if not hop.conditional or hop.method != "GET":
            return answer
        key = str(hop.url)
        if answer.status == 304:
            cached = self._cache.get(key)
            if cached is None:
                return answer
            return Answer(304, {**cached.headers, **answer.headers}, cached.body)
        if answer.status == 200:
            self._cache.store(key, answer.headers, answer.body)
        return answer


def _trusted_endpoint(url: str) -> Endpoint:
    try:
        return endpoint(parse_url(url))
    except UnsafeURLError as exc:
        raise ConfigError("trusted endpoints", None, f"not an http(s) URL: {exc.url}") from exc


def _plain(http: HttpSettings) -> httpx.AsyncBaseTransport:
    return DirectTransport(max_connections=http.max_concurrency)


def _mounts(proxies: ProxyRoutes, http: HttpSettings) -> dict[str, httpx.AsyncBaseTransport | None]:
    """One proxied transport per proxy URL, mounted on its patterns; None mounts go direct."""
    transports: dict[str, httpx.AsyncBaseTransport] = {}
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for pattern, url in proxies.routes.items():
        if url is None:
            mounts[pattern] = None
            continue
        if url not in transports:
            try:
                transports[url] = ProxiedTransport(url, max_connections=http.max_concurrency)
            except (ImportError, ValueError, httpx.InvalidURL) as exc:
                where = "proxy" if proxies.origin == "setting" else ", ".join(proxies.variables)
                raise ConfigError("http", where, "use an http:// or https:// proxy URL") from exc
        mounts[pattern] = transports[url]
    return mounts


def _host_key(host: str) -> str:
    """A configured host name as httpx spells URL hosts (lower case, IDNA), for comparison."""
    bare = host.strip().rstrip(".")
    try:
        return httpx.URL(f"http://{bare}/").host
    except (httpx.InvalidURL, ValueError, UnicodeError):
        return bare.lower()
