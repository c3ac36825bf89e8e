"""Network streams that read their socket's facts once.

httpcore asks a pooled connection's stream `get_extra_info("is_readable")` every time it looks
for a connection to reuse, and anyio answers any such question by building all the socket's
attributes anew, which costs a getpeername() system call each time. The address, the socket and
the TLS object of a connection never change, so `CachingStream` asks for each once and answers
"is_readable" on the socket it kept, as httpcore's own streams do.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
from httpcore._utils import is_socket_readable

_UNSET = object()


class CachingStream(httpcore.AsyncNetworkStream):
    """An httpcore stream whose extra information is asked of the inner stream once per name."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._info: dict[str, Any] = {}
        # The socket, or asyncio's TransportSocket view of it: either has the fileno() the check needs.
        self._socket: Any = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return CachingStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            if self._socket is None:
                return self._inner.get_extra_info(info)
            # A closed socket has no descriptor: httpcore's check calls it readable (at EOF).
            return is_socket_readable(self._socket)
        found = self._info.get(info, _UNSET)
        if found is _UNSET:
            found = self._info[info] = self._inner.get_extra_info(info)
        return found


class CachingBackend(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend (or `inner`), its TCP streams wrapped in CachingStream."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        return CachingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)
        return CachingStream(stream)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
