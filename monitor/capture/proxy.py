"""The filtering forward proxy every byte of the screenshot browser goes through, on 127.0.0.1.

It serves plain HTTP requests (absolute-form) and CONNECT tunnels. Before connecting it resolves
the target itself and asks the AddressPolicy, so a page, a sub-resource, a redirect or a
WebSocket aimed at a private, loopback or link-local address is refused and never requested; it
connects to exactly the address it checked (no second lookup to rebind). It counts requests
(a tunnel counts once: what runs inside TLS is not visible) and relayed bytes, and refuses or
cuts everything past the caps. What it refused is kept for the capture's note.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import unquote, urlsplit

import httpx

from monitor.capture.policy import AddressPolicy, Refused
from monitor.log import get_logger
from monitor.net.retry import REDIRECT_STATUSES
from monitor.net.urls import loggable

log = get_logger(__name__)

_HEAD_LIMIT = 64 * 1024
_CHUNK = 64 * 1024
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "upgrade"}
)
_CONNECTION_HEADERS = ("connection", "keep-alive", "proxy-connection")
_MAX_CONNECT_ADDRESSES = 3
_UNREACHABLE = frozenset(
    {"does_not_resolve", "unreachable", "proxy_unreachable", "proxy_failed", "proxy_refused"}
)


@dataclass
class ProxyLog:
    """What went through the proxy during one capture."""

    requests: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    # Chromium's own service calls, refused too but no part of the page (policy.BROWSER_SERVICES).
    services: list[str] = field(default_factory=list)
    bytes: int = 0
    over_budget: bool = False
    # The page itself (or a redirect of it) was refused: the screenshot would show no page.
    navigation_refused: str | None = None

    @property
    def unreachable(self) -> int:
        """Refusals because the target could not be reached, not because of the policy."""
        return sum(1 for _, reason in self.refused if reason in _UNREACHABLE)

    @property
    def blocked(self) -> int:
        """Refusals by the policy: private addresses, invalid targets, limits."""
        return len(self.refused) - self.unreachable


class FilteringProxy:
    """An asyncio forward proxy on 127.0.0.1 that applies an AddressPolicy and budgets."""

    def __init__(
        self, policy: AddressPolicy, *, max_bytes: int, max_requests: int, page: httpx.URL | None = None
    ) -> None:
        self.policy = policy
        self.max_bytes = max_bytes
        self.max_requests = max_requests
        self.log = ProxyLog()
        # The page and the plain-HTTP redirects seen from it (inside TLS they cannot be seen).
        self._chain: list[httpx.URL] = [page] if page is not None else []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("proxy not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def __aenter__(self) -> FilteringProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=_HEAD_LIMIT)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self._writers.add(writer)
        try:
            await self._handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            # Only close() cancels a connection; asyncio's server callback would report a
            # cancelled handler as an error, so it ends normally instead.
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            await _reply(writer, 400, "Bad Request")
            return
        method, target = parts[0].upper(), parts[1]
        headers = [line for line in lines[1:] if line]
        if len(self.log.requests) >= self.max_requests:
            self._refuse(target, "too_many_requests")
            await _reply(writer, 429, "Too Many Requests")
            return
        try:
            if method == "CONNECT":
                await self._tunnel(target, reader, writer)
            else:
                await self._forward(method, target, headers, reader, writer)
        except Refused as exc:
            self._refuse(exc.target, exc.reason)
            if self.log.navigation_refused is None and self._in_chain(method, target):
                self.log.navigation_refused = exc.target
            await _reply(writer, 403, "Forbidden")

    def _refuse(self, target: str, reason: str) -> None:
        if reason == "browser_service":
            self.log.services.append(target)
            return
        self.log.refused.append((target, reason))
        log.info("screenshot_request_refused", target=target, reason=reason)

    def _in_chain(self, method: str, target: str) -> bool:
        """Whether a refused request was the page or one of its redirects."""
        for url in self._chain:
            if method == "CONNECT":
                if url.scheme == "https" and target.lower() == _join(url.host, url.port or 443).lower():
                    return True
            elif _same_url(target, url):
                return True
        return False

    def _follow(self, url: httpx.URL, answer: bytes) -> None:
        """Add a redirect of the page (or of one of its redirects) to the chain."""
        if not any(url == known for known in self._chain) or len(self._chain) > 20:
            return
        lines = answer.decode("latin-1").split("\r\n")
        status = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else ""
        if not status.isdigit() or int(status) not in REDIRECT_STATUSES:
            return
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "location":
                try:
                    self._chain.append(url.join(value.strip()))
                except (httpx.InvalidURL, ValueError, UnicodeError):
                    return
                return

    async def _tunnel(self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = _authority(target, 443)
        shown = f"{host}:{port}"
        addresses = await self.policy.addresses(host, port)
        upstream = self.policy.upstream("https", host, port)
        self.log.requests.append(f"CONNECT {shown}")
        if upstream is None:
            remote = await self._connect(addresses, port, shown)
        else:
            remote = await self._via_upstream(upstream, f"CONNECT {_join(host, port)} HTTP/1.1", shown)
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await self._pipe_both(reader, writer, remote)

    async def _forward(
        self,
        method: str,
        target: str,
        headers: list[str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        try:
            url = httpx.URL(target)
        except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
            raise Refused(target[:200], "invalid_url") from exc
        if url.scheme != "http" or not url.host:
            raise Refused(loggable(url), "not_http")
        port = url.port or 80
        addresses = await self.policy.addresses(url.host, port)
        upstream = self.policy.upstream("http", url.host, port)
        length = _content_length(headers)
        if length is None:
            raise Refused(loggable(url), "unsupported_request_body")
        self.log.requests.append(f"{method} {loggable(url)}")
        kept = [h for h in headers if h.split(":", 1)[0].strip().lower() not in _HOP_HEADERS]
        if upstream is None:
            path = url.raw_path.decode("ascii", errors="replace") or "/"
            remote = await self._connect(addresses, port, loggable(url))
            first = f"{method} {path} HTTP/1.1"
        else:
            remote = await self._via_upstream(upstream, None, loggable(url))
            first = f"{method} {target} HTTP/1.1"
            kept += _proxy_auth(upstream)
        remote_reader, remote_writer = remote
        try:
            request = "\r\n".join([first, *kept, "Connection: close", "", ""]).encode("latin-1")
            remote_writer.write(request)
            if length:
                await self._copy(reader, remote_writer, length)
            await remote_writer.drain()
            answer = await remote_reader.readuntil(b"\r\n\r\n")
            self._follow(url, answer)
            writer.write(_close_after(answer))
            self._count(len(answer))
            await self._copy(remote_reader, writer, None)
        finally:
            remote_writer.close()

    async def _connect(
        self, addresses: list[str], port: int, shown: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Open a connection to one of the checked addresses, never to a fresh lookup of the name."""
        error: Exception = Refused(shown, "unreachable")
        for address in addresses[:_MAX_CONNECT_ADDRESSES]:
            try:
                async with asyncio.timeout(self.policy.connect_timeout):
                    return await asyncio.open_connection(address, port, limit=_HEAD_LIMIT)
            except (OSError, TimeoutError) as exc:
                error = exc
        raise Refused(shown, "unreachable") from error

    async def _via_upstream(
        self, upstream: str, connect_line: str | None, shown: str
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection through the configured proxy; tunnelled first when `connect_line` is given."""
        parts = urlsplit(upstream)
        tls = ssl.create_default_context() if parts.scheme == "https" else None
        try:
            async with asyncio.timeout(self.policy.connect_timeout):
                remote = await asyncio.open_connection(
                    parts.hostname, parts.port or (443 if tls else 80), ssl=tls, limit=_HEAD_LIMIT
                )
        except (OSError, TimeoutError) as exc:
            raise Refused(shown, "proxy_unreachable") from exc
        if connect_line is None:
            return remote
        host = connect_line.split(" ")[1]
        lines = [connect_line, f"Host: {host}", *_proxy_auth(upstream), "", ""]
        remote[1].write("\r\n".join(lines).encode("latin-1"))
        try:
            async with asyncio.timeout(self.policy.connect_timeout):
                answer = await remote[0].readuntil(b"\r\n\r\n")
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
            remote[1].close()
            raise Refused(shown, "proxy_failed") from exc
        status = answer.split(b" ", 2)[1:2]
        if status != [b"200"]:
            remote[1].close()
            raise Refused(shown, "proxy_refused")
        return remote

    async def _pipe_both(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        remote: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        remote_reader, remote_writer = remote
        try:
            up = asyncio.create_task(self._copy(reader, remote_writer, None))
            down = asyncio.create_task(self._copy(remote_reader, writer, None))
            _, pending = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            await asyncio.gather(up, down, return_exceptions=True)
        finally:
            remote_writer.close()

    async def _copy(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, length: int | None
    ) -> None:
        """Relay bytes (exactly `length`, or until the end), counting them against the budget."""
        left = length
        while left is None or left > 0:
            chunk = await source.read(_CHUNK if left is None else min(_CHUNK, left))
            if not chunk:
                if left:
                    raise asyncio.IncompleteReadError(b"", left)
                return
            if left is not None:
                left -= len(chunk)
            if not self._count(len(chunk)):
                return
            sink.write(chunk)
            await sink.drain()

    def _count(self, size: int) -> bool:
        self.log.bytes += size
        if self.log.bytes <= self.max_bytes:
            return True
        if not self.log.over_budget:
            self.log.over_budget = True
            log.info("screenshot_size_limit", bytes=self.log.bytes, limit=self.max_bytes)
        return False


def _authority(target: str, default_port: int) -> tuple[str, int]:
    """host and port of "host:port" or "[v6]:port"; Refused when it is not one."""
    parts = urlsplit(f"//{target}")
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise Refused(target[:200], "invalid_target") from exc
    host = unquote(parts.hostname or "")
    if not host or "@" in target:
        raise Refused(target[:200], "invalid_target")
    return host, port


def _same_url(target: str, url: httpx.URL) -> bool:
    try:
        return httpx.URL(target).copy_with(fragment=None) == url.copy_with(fragment=None)
    except (httpx.InvalidURL, ValueError, UnicodeError):
        return False


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _content_length(headers: list[str]) -> int | None:
    """The request body's length (0 without one); None for bodies this proxy does not relay."""
    length = 0
    for line in headers:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "transfer-encoding":
            return None
        if name == "content-length":
            if not value.strip().isdigit():
                return None
            length = int(value.strip())
    return length


def _proxy_auth(upstream: str) -> list[str]:
    parts = urlsplit(upstream)
    if parts.username is None:
        return []
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return [f"Proxy-Authorization: Basic {base64.b64encode(pair).decode('ascii')}"]


def _close_after(head: bytes) -> bytes:
    """A response head that tells the browser the connection ends with this answer."""
    lines = head.decode("latin-1").split("\r\n")
    kept = [lines[0]] + [
        line
        for line in lines[1:]
        if line
        and line.split(":", 1)[0].strip().lower() not in ("connection", "keep-alive", "proxy-connection")
    ]
    return "\r\n".join([*kept, "Connection: close", "Proxy-Connection: close", "", ""]).encode("latin-1")


async def _reply(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    body = f"{status} {reason}\n".encode()
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
    writer.write(head.encode("ascii") + b"Connection: close\r\n\r\n" + body)
    with contextlib.suppress(OSError):
        await writer.drain()
