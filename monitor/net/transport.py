"""httpx transports: the guarded one (connects only to checked public addresses), the direct one
(trusted endpoints), the proxied one, and the short reasons a failed connection is reported with."""

from __future__ import annotations

import errno
import functools
import importlib
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager, suppress

import anyio
import httpcore
import httpx
import sniffio

from monitor.net.guard import GuardedBackend, UrlGuard
from monitor.net.streams import CachingBackend

# What httpcore imports lazily on its first request (anyio's event and its asyncio backend, about
# 0.1-0.2 s): imported with the transports, so a scan's first request is not held back by it.
_ = (anyio.Event, sniffio.current_async_library)
with suppress(ImportError):
    importlib.import_module("anyio._backends._asyncio")

# Most specific first: the first match wins.
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.ProxyError, httpx.ProxyError),
)


_CORE_ERRORS = tuple(source for source, _ in _EXCEPTIONS)


@contextmanager
def _httpx_errors() -> Iterator[None]:
    """httpcore errors as the httpx errors the rest of the client handles."""
    try:
        yield
    except _CORE_ERRORS as exc:
        raise _translate(exc) from exc


def _translate(exc: Exception) -> httpx.TransportError:
    for source, target in _EXCEPTIONS:
        if isinstance(exc, source):
            return target(str(exc))
    return httpx.TransportError(str(exc))  # pragma: no cover - every source is in the table


class _Stream(httpx.AsyncByteStream):
    def __init__(self, inner: httpcore.Response) -> None:
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpx_errors():
            async for part in self._inner.aiter_stream():
                yield part

    async def aclose(self) -> None:
        await self._inner.aclose()


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for the process: loading the CA bundle per client costs time and
    leaves the long-running daemon's memory a little larger after every scan."""
    return httpx.create_ssl_context()


class PoolTransport(httpx.AsyncBaseTransport):
    """An httpcore pool on the given network backend, its errors reported as httpx's."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, *, max_connections: int) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=shared_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=5.0,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):  # pragma: no cover - httpx invariant
            raise TypeError("the guarded transport needs an async request body")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpx_errors():
            core_response = await self._pool.handle_async_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_Stream(core_response),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


class GuardedTransport(PoolTransport):
    """An httpcore pool whose every new connection goes through GuardedBackend."""

    def __init__(self, guard: UrlGuard, *, max_connections: int) -> None:
        super().__init__(GuardedBackend(guard, CachingBackend()), max_connections=max_connections)


class DirectTransport(PoolTransport):
    """An httpcore pool connecting straight to the host: for trusted endpoints without a proxy."""

    def __init__(self, *, max_connections: int) -> None:
        super().__init__(CachingBackend(), max_connections=max_connections)


def plain_transport(*, max_connections: int, proxy: str | None) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, used only under ProxiedTransport (the proxy is the one peer it reaches)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.AsyncHTTPTransport(limits=limits, proxy=proxy, trust_env=False, verify=shared_ssl_context())


class ProxiedTransport(httpx.AsyncBaseTransport):
    """httpx's transport through one forward proxy; failing to reach the proxy is a ProxyError.

    Through a proxy the only connection we open is to the proxy itself, so a refused or timed-out
    connect means the proxy is down or wrong, not the site: reported as such, and not retried.
    """

    def __init__(self, proxy: str, *, max_connections: int) -> None:
        self._inner = plain_transport(max_connections=max_connections, proxy=proxy)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise httpx.ProxyError(f"cannot connect to the proxy: {exc}") from exc

    async def aclose(self) -> None:
        await self._inner.aclose()


# The reasons a failed exchange is reported with. They are matched (monitor.scan_outcome) to name
# the likely cause when a whole scan found nothing: keep the wording stable.
TIMED_OUT = "timed out"
CONNECTION_FAILED = "connection failed"
NAME_NOT_RESOLVED = "connection failed: host name does not resolve"
CONNECTION_REFUSED = "connection failed: connection refused"
NETWORK_UNREACHABLE = "connection failed: network unreachable"
PROXY_FAILED = "connection failed: the proxy refused the request or could not be reached"
_UNREACHABLE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EADDRNOTAVAIL})


def describe_failure(exc: BaseException) -> str:
    """A short reason for a failed exchange, naming the cause when the error chain shows it."""
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return TIMED_OUT
    if isinstance(exc, httpx.ProxyError):
        return PROXY_FAILED
    if not isinstance(exc, httpx.ConnectError):
        return f"connection error ({type(exc).__name__})"
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror):
            return NAME_NOT_RESOLVED
        if isinstance(cause, ConnectionRefusedError):
            return CONNECTION_REFUSED
        if isinstance(cause, OSError) and cause.errno in _UNREACHABLE:
            return NETWORK_UNREACHABLE
    text = str(exc).lower()
    # The guarded backend resolves host names itself and says so in its message.
    if "does not resolve" in text or "name resolution" in text or "name or service not known" in text:
        return NAME_NOT_RESOLVED
    return CONNECTION_FAILED


def _chain(exc: BaseException) -> list[BaseException]:
    """exc, its causes and contexts, and the members of exception groups (anyio's connect), once each."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop(0)
        if any(current is other for other in seen):
            continue
        seen.append(current)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return seen
