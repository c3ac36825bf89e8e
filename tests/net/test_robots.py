"""robots.txt: RFC 9309 outcomes, one fetch per origin, Crawl-delay, exemptions, hostile files."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.errors import FetchError, RobotsDisallowed
from monitor.net import HttpClient
from monitor.net import Response as NetResponse
from monitor.net.robots import MAX_CRAWL_DELAY, RobotsCache, RobotsMemory, parse_rules
from monitor.settings import HttpSettings
from tests.net.apps import Peer, min_gap, text
from tests.support.loopback import serve

ROBOTS = """\
User-agent: *
Disallow: /private
Allow: /private/open

User-agent: someone-else
Disallow: /
"""


def _settings(**overrides: Any) -> HttpSettings:
    base: dict[str, Any] = {
        "allow_private_networks": True,
        "per_host_min_interval": 0.0,
        "backoff_base": 0.01,
    }
    return HttpSettings(**{**base, **overrides})


def _outcomes(
    peer: Peer, paths: list[str], settings: HttpSettings | None = None, **options: Any
) -> list[str]:
    """For each path: the robots state of the answer, or the name of the error raised."""
    with serve(peer.app()) as base:

        async def go() -> list[str]:
            seen = []
            async with HttpClient.from_settings(settings or _settings()) as client:
                for path in paths:
                    try:
                        response: NetResponse = await client.get(base + path, **options)
                    except FetchError as exc:
                        seen.append(type(exc).__name__)
                    else:
                        seen.append(response.robots)
            return seen

        return asyncio.run(go())


def test_rules_are_obeyed_and_fetched_once_per_origin() -> None:
    peer = Peer(routes={"/robots.txt": text(ROBOTS), "/page": text("ok"), "/private/open": text("ok")})
    seen = _outcomes(peer, ["/page", "/private/x", "/private/open", "/page"])
    assert seen == ["allowed", "RobotsDisallowed", "allowed", "allowed"]
    assert peer.paths().count("/robots.txt") == 1
    assert "/private/x" not in peer.paths()


def test_concurrent_requests_share_one_robots_fetch() -> None:
    peer = Peer(routes={"/robots.txt": text(ROBOTS), "/page": text("ok")}, delay=0.05)
    with serve(peer.app()) as base:

        async def go() -> None:
            async with HttpClient.from_settings(_settings(per_host_concurrency=4)) as client:
                await asyncio.gather(*(client.get(f"{base}/page") for _ in range(6)))

        asyncio.run(go())
    assert peer.paths().count("/robots.txt") == 1


def test_clients_sharing_a_memory_ask_robots_once_and_each_obeys_it() -> None:
    """A worker's jobs each have their own client: the file is asked once, its rules hold in all."""
    robots = "User-agent: *\nCrawl-delay: 0.2\nDisallow: /private\n"
    peer = Peer(routes={"/robots.txt": text(robots), "/page": text("ok"), "/private/x": text("no")})
    memory = RobotsMemory()
    with serve(peer.app()) as base:

        async def job() -> list[str]:
            seen = []
            async with HttpClient.from_settings(_settings(), robots=memory) as client:
                for path in ("/page", "/private/x", "/page"):
                    try:
                        seen.append((await client.get(base + path)).robots)
                    except FetchError as exc:
                        seen.append(type(exc).__name__)
            return seen

        first = asyncio.run(job())
        second = asyncio.run(job())  # another job, another event loop, the same worker
    assert first == second == ["allowed", "RobotsDisallowed", "allowed"]
    assert peer.paths().count("/robots.txt") == 1
    assert "/private/x" not in peer.paths()
    pages = peer.arrivals("/page")
    # The Crawl-delay read by the first client slows the second one too.
    assert min_gap(pages[2:]) >= 0.2 - 0.015


def test_a_memory_keeps_the_most_recent_origins() -> None:
    memory = RobotsMemory(max_origins=2)
    rules = parse_rules(b"", "impersonation-monitor", expires=10.0)
    for host in ("a.example", "b.example", "c.example"):
        memory.put(("https", host, 443), rules)
    assert memory.get(("https", "a.example", 443), now=0.0) is None
    assert memory.get(("https", "c.example", 443), now=0.0) is rules
    assert memory.get(("https", "c.example", 443), now=10.0) is None  # expired


def test_group_for_our_product_token_wins() -> None:
    peer = Peer(
        routes={
            "/robots.txt": text("User-agent: impersonation-monitor\nDisallow: /\n\nUser-agent: *\nAllow: /\n")
        }
    )
    assert _outcomes(peer, ["/page"]) == ["RobotsDisallowed"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, "allowed"),
        (410, "allowed"),
        (401, "allowed"),
        (500, "RobotsDisallowed"),
        (503, "RobotsDisallowed"),
    ],
)
def test_robots_status_codes_follow_rfc_9309(status: int, expected: str) -> None:
    peer = Peer(routes={"/robots.txt": text("Disallow: /", status), "/page": text("ok")})
    assert _outcomes(peer, ["/page"], _settings(max_retries=1)) == [expected]


def test_unreachable_robots_disallows() -> None:
    peer = Peer(routes={"/robots.txt": text("User-agent: *\nAllow: /\n"), "/page": text("ok")}, delay=0.6)
    assert _outcomes(peer, ["/page"], _settings(timeout=0.2, max_retries=0)) == ["RobotsDisallowed"]
    assert peer.paths() == ["/robots.txt"]


def test_crawl_delay_raises_the_host_interval() -> None:
    peer = Peer(routes={"/robots.txt": text("User-agent: *\nCrawl-delay: 0.2\n"), "/page": text("ok")})
    assert _outcomes(peer, ["/page"] * 3) == ["allowed"] * 3
    assert min_gap(peer.arrivals("/page")) >= 0.2 - 0.015


def test_exempt_hosts_trusted_urls_and_api_calls_skip_robots() -> None:
    peer = Peer(routes={"/robots.txt": text("User-agent: *\nDisallow: /\n"), "/page": text("ok")})
    assert _outcomes(peer, ["/page"], _settings(robots_exempt_hosts=["127.0.0.1"])) == ["exempt"]
    assert _outcomes(peer, ["/page"], robots=False) == ["not_checked"]
    assert _outcomes(peer, ["/page"], trusted=True) == ["not_checked"]
    assert _outcomes(peer, ["/page"], _settings(respect_robots=False)) == ["not_checked"]
    assert "/robots.txt" not in peer.paths()


def test_redirect_target_is_checked_against_its_own_robots() -> None:
    peer = Peer(routes={"/robots.txt": text(ROBOTS), "/page": text("ok")})
    with serve(peer.app()) as base:

        async def to_private(_: Request) -> Response:
            return RedirectResponse(base + "/private/secret", status_code=302)

        peer.routes["/go"] = to_private

        async def go() -> None:
            async with HttpClient.from_settings(_settings()) as client:
                await client.get(base + "/go")

        with pytest.raises(RobotsDisallowed):
            asyncio.run(go())
    assert "/private/secret" not in peer.paths()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe\x00garbage\x00" * 100,
        ("User-agent: *\nDisallow: /" + "a" * 10_000 + "\n").encode(),
        b"User-agent: *\nCrawl-delay: nonsense\nCrawl-delay: -5\nDisallow: /\x00\x01\n",
        "User-agent: *\nDisallow: /\ud800\n".encode("utf-8", "surrogatepass"),
        b"\xef\xbb\xbfUser-agent: *\nDisallow: /x\n",
    ],
)
def test_hostile_files_never_crash(body: bytes) -> None:
    rules = parse_rules(body, "impersonation-monitor", expires=0.0)
    assert isinstance(rules.can_fetch("https://example.com/page", "impersonation-monitor"), bool)


def test_crawl_delay_is_capped() -> None:
    rules = parse_rules(b"User-agent: *\nCrawl-delay: 86400\n", "impersonation-monitor", expires=0.0)
    assert rules.crawl_delay == MAX_CRAWL_DELAY
    rate = parse_rules(b"User-agent: *\nRequest-rate: 1/5\n", "impersonation-monitor", expires=0.0)
    assert rate.crawl_delay == 5.0


def test_cached_rules_expire_after_the_ttl() -> None:
    now = [0.0]
    fetched: list[str] = []

    async def fetch(url: httpx.URL) -> tuple[int, bytes]:
        fetched.append(str(url))
        return 200, b"User-agent: *\nDisallow: /x\n"

    cache = RobotsCache(fetch, agent="impersonation-monitor", ttl=100.0, clock=lambda: now[0])

    async def go() -> None:
        await cache.rules(httpx.URL("https://a.example/one?q=1"))
        await cache.rules(httpx.URL("https://a.example/two"))
        await cache.rules(httpx.URL("https://a.example:8443/"))
        now[0] = 101.0
        await cache.rules(httpx.URL("https://a.example/three"))

    asyncio.run(go())
    assert fetched == [
        "https://a.example/robots.txt",
        "https://a.example:8443/robots.txt",
        "https://a.example/robots.txt",
    ]
