"""The filtering proxy: private targets refused before connecting, budgets, redirects, upstream proxies."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from monitor.capture.policy import AddressPolicy, Refused
from monitor.capture.proxy import FilteringProxy
from monitor.net.proxy import proxy_routes
from tests.capture.servers import html, serve


def _policy(*endpoints: tuple[str, int], **kwargs: object) -> AddressPolicy:
    return AddressPolicy(allowed_endpoints=frozenset(endpoints), **kwargs)  # type: ignore[arg-type]


async def _get(proxy: FilteringProxy, url: str) -> httpx.Response:
    async with httpx.AsyncClient(proxy=f"http://127.0.0.1:{proxy.port}", trust_env=False) as client:
        return await client.get(url)


async def _connect(proxy: FilteringProxy, target: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    return answer


def test_allowed_endpoint_is_relayed_and_other_loopback_port_is_never_contacted() -> None:
    with serve({"/": html("<p>trang</p>")}) as page, serve({"/": html("secret")}) as forbidden:

        async def run() -> tuple[httpx.Response, httpx.Response, FilteringProxy]:
            async with FilteringProxy(
                _policy(("127.0.0.1", page.port)), max_bytes=10**6, max_requests=10
            ) as proxy:
                return await _get(proxy, page.base + "/"), await _get(proxy, forbidden.base + "/"), proxy

        good, bad, proxy = asyncio.run(run())
    assert good.status_code == 200
    assert "trang" in good.text
    assert bad.status_code == 403
    assert forbidden.paths == []
    assert proxy.log.refused == [(f"127.0.0.1:{forbidden.port}", "non_public_address 127.0.0.1")]
    assert proxy.log.requests == [f"GET {page.base}/"]


@pytest.mark.parametrize(
    "target",
    ["169.254.169.254:443", "10.255.255.1:443", "[::1]:443", "0x7f000001:443", "[::ffff:127.0.0.1]:80"],
)
def test_tunnels_to_private_addresses_are_refused(target: str) -> None:
    async def run() -> tuple[bytes, FilteringProxy]:
        async with FilteringProxy(_policy(), max_bytes=10**6, max_requests=10) as proxy:
            return await _connect(proxy, target), proxy

    answer, proxy = asyncio.run(run())
    assert answer.startswith(b"HTTP/1.1 403")
    assert proxy.log.requests == []
    assert proxy.log.refused[0][1].startswith("non_public_address")


def test_a_name_resolving_to_a_private_address_is_refused() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        return {"fake-bhxh.example": ["93.184.216.34", "10.0.0.7"]}.get(host, [])

    async def run() -> None:
        policy = _policy(resolver=resolver)
        with pytest.raises(Refused, match=r"non_public_address 10\.0\.0\.7"):
            await policy.addresses("fake-bhxh.example", 443)
        with pytest.raises(Refused, match="does_not_resolve"):
            await policy.addresses("unknown.example", 443)
        with pytest.raises(Refused, match="browser_service"):
            await policy.addresses("update.googleapis.com", 443)
        assert await _policy(allow_private=True).addresses("10.1.2.3", 80) == ["10.1.2.3"]

    asyncio.run(run())


def test_request_count_and_byte_budget_are_enforced() -> None:
    big = b"x" * 300_000
    with serve({"/": html("<p>ok</p>"), "/big": (200, {"Content-Type": "text/plain"}, big)}) as page:

        async def run() -> tuple[list[int], FilteringProxy, FilteringProxy]:
            policy = _policy(("127.0.0.1", page.port))
            async with FilteringProxy(policy, max_bytes=10**6, max_requests=2) as counted:
                statuses = [(await _get(counted, page.base + "/")).status_code for _ in range(3)]
            async with FilteringProxy(policy, max_bytes=50_000, max_requests=10) as capped:
                with pytest.raises(httpx.HTTPError):
                    await _get(capped, page.base + "/big")
            return statuses, counted, capped

        statuses, counted, capped = asyncio.run(run())
    assert statuses == [200, 200, 429]
    assert counted.log.refused == [(f"{page.base}/", "too_many_requests")]
    assert capped.log.over_budget
    assert capped.log.bytes > 50_000


def test_a_redirect_of_the_page_to_a_forbidden_address_is_refused_and_marked() -> None:
    with serve({"/": html("secret")}) as forbidden:
        target = f"{forbidden.base}/"
        with serve({"/": (302, {"Location": target}, b"")}) as page:

            async def run() -> tuple[httpx.Response, FilteringProxy]:
                policy = _policy(("127.0.0.1", page.port))
                async with (
                    FilteringProxy(
                        policy, max_bytes=10**6, max_requests=10, page=httpx.URL(page.base + "/")
                    ) as proxy,
                    httpx.AsyncClient(
                        proxy=f"http://127.0.0.1:{proxy.port}", trust_env=False, follow_redirects=True
                    ) as client,
                ):
                    return await client.get(page.base + "/"), proxy

            answer, proxy = asyncio.run(run())
    assert answer.status_code == 403
    assert forbidden.paths == []
    assert proxy.log.navigation_refused == f"127.0.0.1:{forbidden.port}"


def test_requests_go_through_the_configured_upstream_proxy_after_the_check() -> None:
    with serve({"/": html("<p>qua proxy</p>")}) as page:

        async def run() -> tuple[httpx.Response, httpx.Response, FilteringProxy]:
            allowed = _policy(("127.0.0.1", page.port))
            async with FilteringProxy(allowed, max_bytes=10**6, max_requests=10) as upstream:
                routes = proxy_routes(f"http://user:pa%40ss@127.0.0.1:{upstream.port}", {})
                outer = _policy(("127.0.0.1", page.port), routes=routes)
                async with FilteringProxy(outer, max_bytes=10**6, max_requests=10) as proxy:
                    relayed = await _get(proxy, page.base + "/")
                    refused = await _get(proxy, "http://169.254.169.254/latest/meta-data/")
            return relayed, refused, upstream

        relayed, refused, upstream = asyncio.run(run())
    assert relayed.status_code == 200
    assert "qua proxy" in relayed.text
    assert refused.status_code == 403
    assert upstream.log.requests == [f"GET {page.base}/"]  # the metadata address never reached it


def test_upstream_routes_follow_the_http_client_rules() -> None:
    routes = proxy_routes(None, {"HTTPS_PROXY": "http://proxy.local:3128", "NO_PROXY": "gov.vn"})
    policy = AddressPolicy(routes=routes)
    assert policy.upstream("https", "fake-bhxh.example", 443) == "http://proxy.local:3128"
    assert policy.upstream("https", "baohiemxahoi.gov.vn", 443) is None
    assert policy.upstream("https", "gov.vn", 443) is None
    assert policy.upstream("http", "fake-bhxh.example", 80) is None
    assert policy.upstream("https", "127.0.0.1", 443) is None
    assert AddressPolicy().upstream("https", "fake-bhxh.example", 443) is None
