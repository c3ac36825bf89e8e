"""Proxies: HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment, `http.proxy` overriding them,
the SSRF guard still judging the target host, and failures that name the proxy — through a real
loopback forward proxy."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from monitor.errors import FetchError, UnsafeURLError
from monitor.net import HttpClient
from monitor.net import Response as NetResponse
from monitor.net.proxy import proxy_routes, shown_proxy
from monitor.net.transport import NAME_NOT_RESOLVED, PROXY_FAILED
from monitor.settings import HttpSettings, load_settings
from tests.net.apps import Peer, text
from tests.support.loopback import free_port, serve

FAST: dict[str, Any] = {"max_retries": 0, "timeout": 5.0, "per_host_min_interval": 0.0}
PUBLIC = "93.184.216.34"
WEB = "127.0.0.2"
LOCAL: dict[str, str | None] = {"all://localhost": None, "all://127.0.0.1": None, "all://[::1]": None}


@dataclass
class ForwardProxy:
    """A tiny HTTP forward proxy on loopback: absolute-form requests and CONNECT tunnels.

    Every target is recorded ("GET http://host/path", "CONNECT host:443") and sent on to
    `upstream` (a loopback server standing in for the web), so nothing leaves the machine.
    With `refuse_connect` CONNECT is answered 403, as a filtering office proxy does.
    """

    upstream: tuple[str, int]
    refuse_connect: bool = False
    seen: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def targets(self) -> list[str]:
        with self._lock:
            return list(self.seen)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        with self._lock:
            self.seen.append(f"{method} {target}")
        if method == "CONNECT":
            await self._tunnel(reader, writer)
        else:
            await self._forward(method, target, version, lines[1:], reader, writer)

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.refuse_connect:
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def _forward(
        self,
        method: str,
        target: str,
        version: str,
        headers: list[str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        path = "/" + target.split("://", 1)[1].split("/", 1)[1] if target.count("/") >= 3 else "/"
        kept = [h for h in headers if h and not h.lower().startswith(("connection:", "proxy-"))]
        length = next((int(h.split(":", 1)[1]) for h in kept if h.lower().startswith("content-length:")), 0)
        body = await reader.readexactly(length) if length else b""
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        request = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
        up_writer.write(request.encode("latin-1") + body)
        await up_writer.drain()
        await _pipe(up_reader, writer)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


@contextmanager
def running(proxy: ForwardProxy) -> Iterator[str]:
    """Serve the proxy on a loopback port in its own thread and event loop; yields its URL."""
    loop = asyncio.new_event_loop()
    port = free_port()
    started = threading.Event()
    server: list[asyncio.Server] = []

    async def start() -> None:
        server.append(await asyncio.start_server(proxy.handle, "127.0.0.1", port))
        started.set()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    assert started.wait(10), "the loopback proxy did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:

        async def stop() -> None:
            server[0].close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _public(host: str, port: int) -> list[str]:
    """Names of the test web: public.test is public, internal.test is on a private network."""
    answers = {"public.test": [PUBLIC], "internal.test": ["10.0.0.5"]}
    if host not in answers:
        raise OSError("no such host")
    return answers[host]


def _client(env: Mapping[str, str], trusted: Sequence[str] = (), **settings: Any) -> HttpClient:
    http = HttpSettings(**{**FAST, **settings})
    return HttpClient(http, resolver=_public, proxies=proxy_routes(http.proxy, env), trusted_urls=trusted)


def _get(client: HttpClient, url: str, **options: Any) -> NetResponse:
    async def go() -> NetResponse:
        async with client:
            return await client.get(url, **options)

    return asyncio.run(go())


@pytest.fixture
def web() -> Iterator[tuple[Peer, tuple[str, int]]]:
    peer = Peer(routes={"/page": text("from the web"), "/api": text("api answer")})
    # Not 127.0.0.1: proxies from the environment never carry requests to localhost.
    with serve(peer.app(), host=WEB) as base:
        host, port = base.removeprefix("http://").split(":")
        yield peer, (host, int(port))


def test_http_proxy_from_the_environment_carries_page_fetches(
    web: tuple[Peer, tuple[str, int]],
) -> None:
    peer, upstream = web
    proxy = ForwardProxy(upstream)
    with running(proxy) as proxy_url:
        result = _get(_client({"HTTP_PROXY": proxy_url}), "http://public.test/page", robots=False)
    assert (result.status, result.body) == (200, b"from the web")
    assert proxy.targets() == ["GET http://public.test/page"]
    assert [(hit.host, hit.path) for hit in peer.hits] == [("public.test", "/page")]


def test_https_proxy_from_os_environ_sees_the_connect(
    web: tuple[Peer, tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = ForwardProxy(web[1], refuse_connect=True)
    with running(proxy) as proxy_url:
        monkeypatch.setenv("HTTPS_PROXY", proxy_url)
        monkeypatch.delenv("https_proxy", raising=False)
        client = HttpClient.from_settings(HttpSettings(**FAST), trusted_urls=["https://api.public.test/v1"])
        with pytest.raises(FetchError) as info:
            _get(client, "https://api.public.test/v1?q=x")
    assert proxy.targets() == ["CONNECT api.public.test:443"]
    assert info.value.message == PROXY_FAILED


def test_the_guard_still_judges_the_target_behind_a_proxy(web: tuple[Peer, tuple[str, int]]) -> None:
    proxy = ForwardProxy(web[1])
    with running(proxy) as proxy_url:
        env = {"HTTP_PROXY": proxy_url, "HTTPS_PROXY": proxy_url}
        with pytest.raises(UnsafeURLError):
            _get(_client(env), "http://internal.test/page", robots=False)
        with pytest.raises(UnsafeURLError):
            _get(_client(env), f"http://127.0.0.1:{web[1][1]}/page", robots=False)
        # A name this machine cannot resolve is refused here, never left to the proxy to look up.
        with pytest.raises(FetchError, match="does not resolve"):
            _get(_client(env), "http://intranet.corp/page", robots=False)
    assert proxy.targets() == []
    assert web[0].hits == []


def test_no_proxy_hosts_go_direct(web: tuple[Peer, tuple[str, int]]) -> None:
    peer, (host, port) = web
    proxy = ForwardProxy((host, port))
    api = f"http://{host}:{port}/api"
    with running(proxy) as proxy_url:
        through = _get(_client({"HTTP_PROXY": proxy_url}, trusted=[api]), api)
        direct = _get(_client({"HTTP_PROXY": proxy_url, "NO_PROXY": f"localhost,{host}"}, trusted=[api]), api)
        # An untrusted page on a NO_PROXY host connects directly, through the guarded transport.
        page = f"http://{host}:{port}/page"
        guarded = {"HTTP_PROXY": proxy_url, "no_proxy": host}
        with pytest.raises(UnsafeURLError):
            _get(_client(guarded), page, robots=False)
        allowed = _get(_client(guarded, allow_private_networks=True), page, robots=False)
    assert through.body == direct.body == b"api answer"
    assert allowed.body == b"from the web"
    assert proxy.targets() == [f"GET {api}"]
    assert [hit.path for hit in peer.hits] == ["/api", "/api", "/page"]


def test_localhost_never_goes_through_an_environment_proxy(web: tuple[Peer, tuple[str, int]]) -> None:
    proxy = ForwardProxy(web[1])
    local = Peer(routes={"/api": text("local answer")})
    with running(proxy) as proxy_url, serve(local.app()) as base:
        api = base + "/api"
        result = _get(_client({"HTTP_PROXY": proxy_url}, trusted=[api]), api)
    assert result.body == b"local answer"
    assert proxy.targets() == []


def test_the_setting_overrides_the_environment(web: tuple[Peer, tuple[str, int]]) -> None:
    peer, (host, port) = web
    ignored, chosen = ForwardProxy((host, port)), ForwardProxy((host, port))
    api = f"http://{host}:{port}/api"
    with running(ignored) as ignored_url, running(chosen) as chosen_url:
        env = {"HTTP_PROXY": ignored_url, "HTTPS_PROXY": ignored_url}
        direct = _get(_client(env, proxy="", trusted=[api]), api)
        via = _get(_client(env, proxy=chosen_url, trusted=[api]), api)
    assert direct.body == via.body == b"api answer"
    assert ignored.targets() == []
    assert chosen.targets() == [f"GET {api}"]
    assert len(peer.hits) == 2


def test_an_unreachable_proxy_is_named_as_the_cause() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(FetchError) as info:
        _get(_client({"HTTPS_PROXY": closed, "HTTP_PROXY": closed}), "http://public.test/page", robots=False)
    assert info.value.message == PROXY_FAILED


def test_an_unresolvable_host_is_named_as_such() -> None:
    api = "http://no-such-host.invalid/api"
    with pytest.raises(FetchError) as info:
        _get(_client({}, trusted=[api]), api)
    assert info.value.message == NAME_NOT_RESOLVED


@pytest.mark.parametrize(
    ("configured", "env", "routes"),
    [
        (None, {}, {}),
        (None, {"HTTPS_PROXY": "proxy.local:3128"}, {"https://": "http://proxy.local:3128", **LOCAL}),
        (
            None,
            {"https_proxy": "http://lower:1", "HTTPS_PROXY": "http://upper:2", "ALL_PROXY": "http://all:3"},
            {"https://": "http://lower:1", "all://": "http://all:3", **LOCAL},
        ),
        (None, {"ALL_PROXY": "socks5://127.0.0.1:1080"}, {}),
        (None, {"HTTP_PROXY": "http://p:1", "NO_PROXY": "*"}, {}),
        (
            None,
            {
                "HTTP_PROXY": "http://p:1",
                "NO_PROXY": "example.vn, .corp,*.gov.vn,10.0.0.1,::1,localhost,10.0.0.0/8",
            },
            {
                "http://": "http://p:1",
                **LOCAL,
                "all://*example.vn": None,
                "all://*.corp": None,
                "all://*gov.vn": None,
                "all://10.0.0.1": None,
                "all://[::1]": None,
                "all://localhost": None,
            },
        ),
        ("", {"HTTPS_PROXY": "http://p:1"}, {}),
        (
            "http://set:8080",
            {"HTTPS_PROXY": "http://p:1", "NO_PROXY": "x.vn"},
            {"all://": "http://set:8080", "all://*x.vn": None},
        ),
    ],
)
def test_proxy_routes(configured: str | None, env: dict[str, str], routes: dict[str, str | None]) -> None:
    assert proxy_routes(configured, env).routes == routes


def test_a_shown_proxy_never_carries_its_password() -> None:
    assert shown_proxy("http://user:pa55@proxy.local:3128/") == "http://proxy.local:3128"


def test_an_empty_proxy_setting_is_accepted_and_means_direct() -> None:
    config = Path(__file__).resolve().parents[2] / "config" / "monitor.toml"
    settings = load_settings(config, environ={"MONITOR_HTTP__PROXY": ""})
    assert settings.http.proxy == ""
    assert proxy_routes(settings.http.proxy, {"HTTPS_PROXY": "http://p:1"}).routes == {}
