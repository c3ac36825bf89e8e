"""One hop of a request: circuit breaker, host limits, retries with back-off, capped body."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from monitor.errors import CircuitOpen, FetchError, FetchTimeout, ResponseTooLarge, UnsafeURLError
from monitor.log import get_logger
from monitor.net.body import ACCEPT_ENCODING, read_body
from monitor.net.cache import ValidatorCache
from monitor.net.limits import CircuitBreaker, Grant, HostLimiter, TurnMoved
from monitor.net.retry import (
    BLOCK_STATUSES,
    REDIRECT_STATUSES,
    RETRY_STATUSES,
    backoff_delay,
    parse_retry_after,
)
from monitor.net.stop import check
from monitor.net.transport import describe_failure
from monitor.net.urls import loggable
from monitor.settings import HttpSettings

log = get_logger(__name__)

# Transport failures worth another attempt: the peer or the path may recover.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, TimeoutError)


@dataclass(frozen=True)
class Hop:
    """One request on the way to a final answer (the first one, or one per redirect)."""

    method: str
    url: httpx.URL
    data: Mapping[str, str] | None
    headers: Mapping[str, str]
    trusted: bool
    conditional: bool = False
    limit: int = 0
    truncate: bool = False


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    retry_in: float | None = None  # set when this answer is to be asked again after a wait


class Exchanger:
    """Runs hops under the politeness limits; `web` serves untrusted URLs, `api` trusted ones."""

    def __init__(
        self,
        http: HttpSettings,
        *,
        limiter: HostLimiter,
        breaker: CircuitBreaker,
        cache: ValidatorCache,
        web: httpx.AsyncClient,
        api: httpx.AsyncClient,
        stop: threading.Event | None = None,
    ) -> None:
        self._http = http
        self._stop = stop
        self._limiter = limiter
        self._breaker = breaker
        self._cache = cache
        self._web = web
        self._api = api

    async def run(self, hop: Hop) -> Answer:
        """The hop's answer, asked again after transient failures; the breaker sees the final one."""
        host = hop.url.host
        shown = loggable(hop.url)
        attempt = 0
        while True:
            check(self._stop, shown)  # a stopping run asks nothing more, not even a retry
            self._refuse_if_open(host, shown)
            last = attempt >= self._http.max_retries
            try:
                async with self._limiter.slot(host) as grant:
                    self._refuse_if_open(host, shown)
                    answer = await self._attempt(hop, grant, attempt=attempt, last=last)
            except TurnMoved:
                continue  # nothing was sent: the request asks for a slot again, the same attempt
            except UnsafeURLError as exc:  # raised at connect time by the guarded backend
                log.warning("url_refused", url=shown, reason=exc.message)
                raise UnsafeURLError(shown, exc.message) from exc
            except _TRANSIENT as exc:
                if last:
                    timed_out = isinstance(exc, TimeoutError | httpx.TimeoutException)
                    raise (FetchTimeout if timed_out else FetchError)(shown, _describe(exc)) from exc
                delay = backoff_delay(attempt, self._http.backoff_base, self._http.backoff_max)
                reason = _describe(exc)
            except httpx.HTTPError as exc:
                raise FetchError(shown, _describe(exc)) from exc
            else:
                if answer.retry_in is None:
                    self._count(host, answer.status)
                    return answer
                delay, reason = answer.retry_in, f"HTTP {answer.status}"
            log.info("http_retry", url=shown, attempt=attempt + 1, delay=round(delay, 3), reason=reason)
            # The whole host waits, not only this request: Retry-After and overload concern all of them.
            self._limiter.pause(host, delay)
            attempt += 1

    async def _attempt(self, hop: Hop, grant: Grant, *, attempt: int, last: bool) -> Answer:
        client = self._api if hop.trusted else self._web
        # Only codings read_body can decode under the cap, whatever the caller asked for.
        headers = {k: v for k, v in hop.headers.items() if k.lower() != "accept-encoding"}
        headers["Accept-Encoding"] = ACCEPT_ENCODING
        if hop.conditional and hop.method == "GET":
            for name, value in self._cache.validators(str(hop.url)).items():
                headers.setdefault(name, value)

        # http.timeout bounds the whole attempt (connect, headers, body): a server dripping
        # bytes slowly cannot hold a slot for longer. The host's last moments (Grant.turn, at
        # most EARLY) are waited inside it.

        async def trace(event: str, info: Mapping[str, object]) -> None:
            # httpcore tells when the request is about to be written (the host's turn is waited
            # for there) and when it has been: from that moment on it is the host's, so it times
            # the host's next start (never earlier than the bytes left). A proxy tunnel's CONNECT
            # carries the same hook: it is not the host's request.
            if getattr(info.get("request"), "method", b"") == b"CONNECT":
                return
            if event.endswith(".send_request_headers.started"):
                await grant.turn()
            elif event.endswith(".send_request_headers.complete"):
                grant.started()

        request = client.build_request(
            hop.method, hop.url, data=hop.data, headers=headers, extensions={"trace": trace}
        )
        started = time.monotonic()
        async with asyncio.timeout(self._http.timeout):
            response = await client.send(request, stream=True)
            try:
                answer = await self._read(hop, response, attempt=attempt, last=last)
            finally:
                await response.aclose()
        log.debug(
            "http_fetched",
            url=loggable(hop.url),
            status=answer.status,
            size=len(answer.body),
            ms=round((time.monotonic() - started) * 1000),
        )
        return answer

    async def _read(self, hop: Hop, response: httpx.Response, *, attempt: int, last: bool) -> Answer:
        status = response.status_code
        headers = {name.lower(): value for name, value in response.headers.items()}
        if status in RETRY_STATUSES and not last:
            delay = self._retry_delay(headers, attempt)
            if delay is not None:
                return Answer(status, headers, b"", retry_in=delay)
        bodiless = hop.method == "HEAD" or status in (204, 304)
        if bodiless or (status in REDIRECT_STATUSES and "location" in headers):
            return Answer(status, headers, b"")
        shown = loggable(hop.url)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > hop.limit and not hop.truncate:
            raise ResponseTooLarge(shown, f"Content-Length {length} is above {hop.limit} bytes")
        body = await read_body(
            response.aiter_raw(),
            content_encoding=headers.get("content-encoding", ""),
            limit=hop.limit,
            url=shown,
            truncate=hop.truncate,
        )
        return Answer(status, headers, body)

    def _retry_delay(self, headers: Mapping[str, str], attempt: int) -> float | None:
        """Seconds to wait before asking again; None when Retry-After asks for too long."""
        asked = parse_retry_after(headers.get("retry-after"))
        if asked is None:
            return backoff_delay(attempt, self._http.backoff_base, self._http.backoff_max)
        if asked > self._http.max_retry_after:
            return None
        return asked

    def _refuse_if_open(self, host: str, shown: str) -> None:
        remaining = self._breaker.remaining(host)
        if remaining > 0:
            raise CircuitOpen(shown, f"host blocked us repeatedly; paused for {remaining:.0f} s more")

    def _count(self, host: str, status: int) -> None:
        if self._breaker.record(host, blocked=status in BLOCK_STATUSES):
            log.warning("circuit_open", host=host, status=status, cooldown=self._http.breaker_cooldown)


def _describe(exc: BaseException) -> str:
    return describe_failure(exc)
