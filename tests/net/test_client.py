"""HttpClient against real loopback servers: retries, timeouts, caps, breaker, redirects, validators."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse

from monitor import __version__
from monitor.errors import CircuitOpen, ConfigError, FetchError, ResponseTooLarge
from monitor.net import HttpClient
from monitor.net import Response as NetResponse
from monitor.net.client import user_agent
from monitor.settings import HttpSettings
from tests.net.apps import Handler, Peer, sequence, text
from tests.support.loopback import serve

MB = 1024 * 1024
BASE_SETTINGS: dict[str, Any] = {
    "allow_private_networks": True,
    "respect_robots": False,
    "per_host_min_interval": 0.0,
    "backoff_base": 0.05,
    "backoff_max": 0.2,
    "timeout": 5.0,
}


def _settings(**overrides: Any) -> HttpSettings:
    return HttpSettings(**{**BASE_SETTINGS, **overrides})


def _fetch(peer: Peer, path: str, settings: HttpSettings | None = None, **options: Any) -> NetResponse:
    with serve(peer.app()) as base:

        async def go() -> NetResponse:
            async with HttpClient.from_settings(settings or _settings()) as client:
                return await client.get(base + path, **options)

        return asyncio.run(go())


def test_429_with_retry_after_is_waited_out_and_retried() -> None:
    peer = Peer(routes={"/": sequence(text("slow down", 429, {"Retry-After": "1"}), text("ok"))})
    response = _fetch(peer, "/")
    assert (response.status, response.body) == (200, b"ok")
    first, second = peer.arrivals()
    assert second - first >= 0.95


def test_503_backs_off_and_recovers() -> None:
    peer = Peer(routes={"/": sequence(text("busy", 503), text("busy", 503), text("ok"))})
    response = _fetch(peer, "/", _settings(max_retries=3))
    assert response.status == 200
    assert len(peer.arrivals()) == 3
    gaps = [b - a for a, b in itertools.pairwise(peer.arrivals())]
    assert all(gap >= 0.02 for gap in gaps)  # at least half of backoff_base, the smallest jittered wait


def test_retries_are_bounded_and_the_last_answer_is_returned() -> None:
    peer = Peer(routes={"/": text("down", 502)})
    response = _fetch(peer, "/", _settings(max_retries=2))
    assert response.status == 502
    assert len(peer.paths()) == 3


def test_retry_after_longer_than_allowed_is_not_waited_for() -> None:
    peer = Peer(routes={"/": text("come back tomorrow", 429, {"Retry-After": "86400"})})
    started = time.monotonic()
    response = _fetch(peer, "/", _settings(max_retry_after=5))
    assert response.status == 429
    assert len(peer.paths()) == 1
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("status", [401, 403, 451, 404, 410, 500])
def test_blocks_and_plain_errors_are_not_retried_and_reach_the_caller(status: int) -> None:
    peer = Peer(routes={"/": text("no", status)})
    response = _fetch(peer, "/", _settings(max_retries=3))
    assert response.status == status
    assert len(peer.paths()) == 1


def test_slow_server_times_out() -> None:
    peer = Peer(routes={"/": text("late")}, delay=1.0)
    with serve(peer.app()) as base:

        async def go() -> float:
            started = time.monotonic()
            async with HttpClient.from_settings(_settings(timeout=0.2, max_retries=1)) as client:
                with pytest.raises(FetchError, match="timed out"):
                    await client.get(base + "/")
            return time.monotonic() - started

        elapsed = asyncio.run(go())
    assert elapsed < 0.95  # two attempts of 0.2 s and one short back-off, not the 1 s answer
    assert len(peer.paths()) == 2


def test_server_dripping_bytes_cannot_outlast_the_timeout() -> None:
    async def drip() -> AsyncIterator[bytes]:
        for _ in range(100):
            yield b"x"
            await asyncio.sleep(0.05)

    async def handler(_: Request) -> Response:
        return StreamingResponse(drip())

    with serve(Peer(routes={"/": handler}).app()) as base:

        async def go() -> float:
            started = time.monotonic()
            async with HttpClient.from_settings(_settings(timeout=0.5, max_retries=0)) as client:
                with pytest.raises(FetchError, match="timed out"):
                    await client.get(base + "/")
            return time.monotonic() - started

        assert asyncio.run(go()) < 1.5


def test_connection_refused_is_retried_then_raised() -> None:
    with serve(Peer().app()) as base:
        pass  # the server is gone: its port now refuses connections

    async def go() -> None:
        async with HttpClient.from_settings(_settings(max_retries=2)) as client:
            await client.get(base + "/")

    with pytest.raises(FetchError, match="connection failed"):
        asyncio.run(go())


def _measure(peer: Peer, path: str, settings: HttpSettings) -> tuple[BaseException | None, int]:
    """The error of fetching path and the peak memory the fetch allocated (tracemalloc)."""
    with serve(peer.app()) as base:

        async def go() -> None:
            async with HttpClient.from_settings(settings) as client:
                await client.get(base + path)

        tracemalloc.start()
        try:
            asyncio.run(go())
            error: BaseException | None = None
        except ResponseTooLarge as exc:
            error = exc
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    return error, peak


def test_50_mb_body_is_cut_at_the_cap_with_bounded_memory() -> None:
    chunk = b"a" * (256 * 1024)

    async def fifty_mb() -> AsyncIterator[bytes]:
        for _ in range(200):  # 50 MB, no Content-Length
            yield chunk

    async def handler(_: Request) -> Response:
        return StreamingResponse(fifty_mb(), media_type="text/plain")

    error, peak = _measure(Peer(routes={"/big": handler}), "/big", _settings(max_response_bytes=MB))
    assert isinstance(error, ResponseTooLarge)
    assert peak < 8 * MB, peak  # the body is 50 MB


def test_declared_content_length_over_the_cap_is_refused_before_reading() -> None:
    peer = Peer(routes={"/": text("x" * (2 * MB))})
    with pytest.raises(ResponseTooLarge, match="Content-Length"):
        _fetch(peer, "/", _settings(max_response_bytes=MB))


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """300 MB of zeros, gzip-compressed (about 300 KB), built without holding 300 MB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MB)
    parts = [packer.compress(zeros) for _ in range(300)]
    return b"".join(parts) + packer.flush()


def test_300_mb_gzip_bomb_is_cut_early_without_inflating_it(gzip_bomb: bytes) -> None:
    assert len(gzip_bomb) < 2 * MB
    assert zlib.decompressobj(31).decompress(gzip_bomb[:4096], 64) == bytes(64)  # really gzip of zeros

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(gzip_bomb), 16 * 1024):
            yield gzip_bomb[start : start + 16 * 1024]

    async def handler(_: Request) -> Response:
        return StreamingResponse(stream(), headers={"Content-Encoding": "gzip"})

    error, peak = _measure(Peer(routes={"/bomb": handler}), "/bomb", _settings(max_response_bytes=MB))
    assert isinstance(error, ResponseTooLarge)
    assert peak < 8 * MB, peak  # the bomb inflates to 300 MB


def test_gzip_body_within_the_cap_is_decoded() -> None:
    body = "Bảo hiểm xã hội tỉnh Bình Dương".encode() * 100

    async def handler(request: Request) -> Response:
        assert "gzip" in request.headers["accept-encoding"]
        return Response(gzip.compress(body), headers={"Content-Encoding": "gzip"}, media_type="text/html")

    response = _fetch(Peer(routes={"/": handler}), "/")
    assert response.body == body
    assert "Bình Dương" in response.text()


def test_circuit_opens_after_repeated_blocks_and_half_opens_after_cooldown() -> None:
    peer = Peer(routes={"/": text("forbidden", 403)})
    settings = _settings(breaker_threshold=2, breaker_cooldown=0.4)
    with serve(peer.app()) as base:

        async def go() -> list[object]:
            seen: list[object] = []
            async with HttpClient.from_settings(settings) as client:
                seen.append((await client.get(base + "/")).status)
                seen.append((await client.get(base + "/")).status)
                with pytest.raises(CircuitOpen):
                    await client.get(base + "/")
                seen.append(len(peer.paths()))
                await asyncio.sleep(0.45)
                seen.append((await client.get(base + "/")).status)
                with pytest.raises(CircuitOpen):  # blocked again: reopened at once
                    await client.get(base + "/")
            return seen

        assert asyncio.run(go()) == [403, 403, 2, 403]
    assert len(peer.paths()) == 3


def test_a_good_answer_resets_the_block_count() -> None:
    peer = Peer(routes={"/": sequence(text("no", 403), text("ok"), text("no", 403), text("ok"))})
    settings = _settings(breaker_threshold=2)
    with serve(peer.app()) as base:

        async def go() -> list[int]:
            async with HttpClient.from_settings(settings) as client:
                return [(await client.get(base + "/")).status for _ in range(4)]

        assert asyncio.run(go()) == [403, 200, 403, 200]


def test_conditional_request_returns_the_kept_body_on_304() -> None:
    async def handler(request: Request) -> Response:
        if request.headers.get("if-none-match") == '"v1"':
            return Response(status_code=304, headers={"ETag": '"v1"'})
        return PlainTextResponse(
            "trang chủ", headers={"ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
        )

    peer = Peer(routes={"/": handler})
    with serve(peer.app()) as base:

        async def go() -> list[NetResponse]:
            async with HttpClient.from_settings(_settings()) as client:
                return [
                    await client.get(base + "/"),  # not conditional: nothing kept
                    await client.get(base + "/", conditional=True),
                    await client.get(base + "/", conditional=True),
                ]

        plain, first, second = asyncio.run(go())
    assert [r.status for r in (plain, first, second)] == [200, 200, 304]
    assert second.body == "trang chủ".encode()
    assert second.from_cache
    assert "if-none-match" not in peer.hits[0].headers
    assert "if-none-match" not in peer.hits[1].headers
    assert peer.hits[2].headers["if-none-match"] == '"v1"'
    assert peer.hits[2].headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def _redirects(routes: dict[str, tuple[str, int]]) -> dict[str, Handler]:
    def make(location: str, status: int) -> Handler:
        async def handler(_: Request) -> Response:
            return RedirectResponse(location, status_code=status)

        return handler

    return {path: make(location, status) for path, (location, status) in routes.items()}


def test_redirects_are_followed_and_reported() -> None:
    async def form(request: Request) -> Response:
        return PlainTextResponse(request.method)

    routes = _redirects(
        {"/a": ("/b", 301), "/b": ("/form", 303), "/post": ("/form", 303), "/keep": ("/form", 307)}
    )
    peer = Peer(routes={**routes, "/form": form})
    with serve(peer.app()) as base:

        async def go() -> list[NetResponse]:
            async with HttpClient.from_settings(_settings()) as client:
                return [
                    await client.get(base + "/a"),
                    await client.post(base + "/post", data={"q": "x"}),
                    await client.post(base + "/keep", data={"q": "x"}),
                ]

        chain, post303, post307 = asyncio.run(go())
    assert chain.final_url == base + "/form"
    assert chain.url == base + "/a"
    assert chain.redirects == (base + "/a", base + "/b")
    assert (post303.text(), post307.text()) == ("GET", "POST")
    assert peer.hits[-1].body == b"q=x"


def test_redirect_loop_is_an_error() -> None:
    peer = Peer(routes=_redirects({"/loop": ("/loop", 302)}))
    with pytest.raises(FetchError, match="redirects"):
        _fetch(peer, "/loop", _settings(max_redirects=3))
    assert len(peer.paths()) == 4


def test_caller_headers_do_not_follow_a_redirect_to_another_origin() -> None:
    inner = Peer(routes={"/": text("ok")})
    with serve(inner.app()) as inner_base:
        outer = Peer(routes=_redirects({"/go": (inner_base.replace("127.0.0.1", "localhost") + "/", 302)}))
        response = _fetch(outer, "/go", headers={"X-Subscription-Token": "s3cret"})
    assert response.status == 200
    assert outer.hits[0].headers["x-subscription-token"] == "s3cret"
    assert "x-subscription-token" not in inner.hits[0].headers


def test_honest_user_agent_and_default_headers() -> None:
    peer = Peer(routes={"/": text("ok")})
    settings = _settings(contact_url="https://example.gov.vn/lien-he")
    _fetch(peer, "/", settings, headers={"Accept-Encoding": "br, zstd"})
    agent = peer.hits[0].headers["user-agent"]
    assert agent == user_agent(settings)
    assert __version__ in agent
    assert "https://example.gov.vn/lien-he" in agent
    assert peer.hits[0].headers["accept-encoding"] == "gzip, deflate"


def test_params_data_and_json() -> None:
    async def echo(request: Request) -> Response:
        form = parse_qs((await request.body()).decode())
        return JSONResponse({"q": request.query_params["q"], "f": form["f"][0]})

    peer = Peer(routes={"/": echo})
    with serve(peer.app()) as base:

        async def go() -> NetResponse:
            async with HttpClient.from_settings(_settings()) as client:
                return await client.post(base + "/", params={"q": "bhxh"}, data={"f": "1"})

        result = asyncio.run(go())
    assert result.json() == {"q": "bhxh", "f": "1"}


def test_requests_go_through_the_configured_proxy() -> None:
    seen: list[tuple[str, str]] = []

    async def proxy(scope: dict[str, Any], receive: Any, send: Any) -> None:
        """A forward proxy that answers itself and records the absolute-form target."""
        seen.append((scope["raw_path"].decode(), dict(scope["headers"])[b"host"].decode()))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"9")]})
        await send({"type": "http.response.body", "body": b"via proxy"})

    with serve(proxy) as proxy_base:
        # Nothing listens on 127.0.0.9:9: only the proxy can answer.

        async def go() -> NetResponse:
            async with HttpClient.from_settings(_settings(proxy=proxy_base)) as client:
                return await client.get("http://127.0.0.9:9/page")

        result = asyncio.run(go())
    assert (result.status, result.body) == (200, b"via proxy")
    assert seen == [("http://127.0.0.9:9/page", "127.0.0.9:9")]


@pytest.mark.parametrize(
    ("settings", "trusted", "key"),
    [
        ({"user_agent": "monitor {nope}"}, [], "user_agent"),
        ({"user_agent": "monitor\r\nX-Injected: 1"}, [], "user_agent"),
        ({"proxy": "socks5://127.0.0.1:1080"}, [], "proxy"),
        ({"proxy": "ftp://127.0.0.1/"}, [], "proxy"),
        ({}, ["searxng.local:8080"], None),
    ],
)
def test_bad_configuration_is_a_config_error(
    settings: dict[str, Any], trusted: list[str], key: str | None
) -> None:
    with pytest.raises(ConfigError) as info:
        HttpClient(HttpSettings(**settings), trusted_urls=trusted)
    assert info.value.key == key
