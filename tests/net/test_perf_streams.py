"""Streams that read their socket's facts once, and still tell a dead pooled connection."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import Counter
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from monitor.net.streams import CachingBackend, CachingStream
from monitor.net.transport import PoolTransport
from tests.net.apps import Peer, text
from tests.support.loopback import serve


class _Inner(httpcore.AsyncNetworkStream):
    """A stream over one end of a socket pair that counts the questions it is asked."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.asked: Counter[str] = Counter()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.sock.recv(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.sock.sendall(buffer)

    async def aclose(self) -> None:
        self.sock.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _Inner(self.sock)

    def get_extra_info(self, info: str) -> Any:
        self.asked[info] += 1
        return {"socket": self.sock, "server_addr": self.sock.getpeername()}.get(info)


def test_facts_are_asked_once_and_readability_is_read_from_the_socket() -> None:
    ours, theirs = socket.socketpair()
    inner = _Inner(ours)
    stream = CachingStream(inner)
    for _ in range(3):
        assert stream.get_extra_info("server_addr") == ours.getpeername()
        assert stream.get_extra_info("ssl_object") is None
        assert stream.get_extra_info("is_readable") is False
    assert inner.asked == Counter({"socket": 1, "server_addr": 1, "ssl_object": 1})
    theirs.sendall(b"x")
    assert stream.get_extra_info("is_readable") is True  # the peer spoke (or closed) while idle
    asyncio.run(stream.aclose())
    assert stream.get_extra_info("is_readable") is True  # a closed socket reads as at its end
    theirs.close()


def test_a_tls_stream_is_cached_too() -> None:
    ours, theirs = socket.socketpair()
    stream = CachingStream(_Inner(ours))
    secured = asyncio.run(stream.start_tls(ssl.create_default_context(), "example.org"))
    assert isinstance(secured, CachingStream)
    assert secured.get_extra_info("is_readable") is False
    ours.close()
    theirs.close()


class _Spy(httpcore.AsyncNetworkBackend):
    """httpcore's anyio backend, its streams' questions counted."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.asked: Counter[str] = Counter()
        self.connections = 0

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connections += 1
        stream = await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)
        spy = self

        class Counted(httpcore.AsyncNetworkStream):
            async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
                return await stream.read(max_bytes, timeout)

            async def write(self, buffer: bytes, timeout: float | None = None) -> None:
                await stream.write(buffer, timeout)

            async def aclose(self) -> None:
                await stream.aclose()

            def get_extra_info(self, info: str) -> Any:
                spy.asked[info] += 1
                return stream.get_extra_info(info)

        return Counted()

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("not used")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def test_a_pooled_connection_asks_its_socket_facts_once_over_many_requests() -> None:
    spy = _Spy()
    peer = Peer(routes={"/": text("ok")})
    with serve(peer.app()) as base:

        async def go() -> list[bytes]:
            transport = PoolTransport(CachingBackend(spy), max_connections=2)
            async with httpx.AsyncClient(transport=transport) as client:
                return [(await client.get(base + "/")).content for _ in range(5)]

        bodies = asyncio.run(go())
    assert bodies == [b"ok"] * 5
    assert spy.connections == 1  # kept alive: the readability check let it be reused
    assert spy.asked == Counter({"socket": 1, "ssl_object": 1})  # never "is_readable"
