"""SSRF guard: address classification, legacy IP spellings, every redirect hop, DNS rebinding."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.errors import FetchError, UnsafeURLError
from monitor.net import HttpClient
from monitor.net.guard import Resolver, UrlGuard, is_public, literal_address
from monitor.net.urls import parse_url
from monitor.settings import HttpSettings
from tests.net.apps import Handler, Peer, text
from tests.support.loopback import serve

FAST = {"max_retries": 0, "timeout": 3.0, "per_host_min_interval": 0.0}


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("0x7f000001", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("10.0.0.1", "10.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%25eth0", "fe80::1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("example.com", None),
        ("1.2.3.4.5", None),
        ("", None),
    ],
)
def test_literal_address_reads_every_ip_spelling(host: str, expected: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found is not None else None) == expected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.251", False),
        ("239.255.255.250", False),
        ("255.255.255.255", False),
        ("192.0.0.8", False),
        ("198.18.0.1", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("ff02::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),
        ("2002:a00:1::", False),
        ("64:ff9b::a00:1", False),
        ("2001:db8::1", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def _resolver(table: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


def test_any_private_answer_refuses_the_host() -> None:
    guard = UrlGuard(
        resolver=_resolver({"mixed.test": ["93.184.216.34", "10.1.2.3"], "ok.test": ["8.8.8.8"]})
    )
    with pytest.raises(UnsafeURLError, match="non-public"):
        asyncio.run(guard.check(parse_url("https://mixed.test/a")))
    asyncio.run(guard.check(parse_url("https://ok.test/a")))
    with pytest.raises(FetchError, match="does not resolve"):
        asyncio.run(guard.check(parse_url("https://missing.test/")))


def test_allow_private_networks_lets_loopback_through() -> None:
    guard = UrlGuard(allow_private=True, resolver=_resolver({}))
    asyncio.run(guard.check(parse_url("http://127.0.0.1:9/")))


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://x/",
        "//no-scheme",
        "data:,x",
    ],
)
def test_only_http_and_https(url: str) -> None:
    async def go() -> None:
        async with HttpClient.from_settings(HttpSettings(allow_private_networks=True)) as client:
            await client.get(url, trusted=True)

    with pytest.raises(UnsafeURLError):
        asyncio.run(go())


def test_discovered_loopback_and_metadata_urls_are_never_requested() -> None:
    peer = Peer(routes={"/": text("secret")})
    with serve(peer.app()) as base:
        port = base.rsplit(":", 1)[1]
        urls = [
            f"{base}/",
            f"http://[::1]:{port}/",
            f"http://0x7f000001:{port}/",
            f"http://2130706433:{port}/",
            f"http://0177.0.0.1:{port}/",
            f"http://127.1:{port}/",
            f"http://localhost:{port}/",
            f"http://[::ffff:127.0.0.1]:{port}/",
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://0.0.0.0/",
        ]

        async def go() -> list[BaseException | None]:
            outcomes: list[BaseException | None] = []
            async with HttpClient.from_settings(HttpSettings(**FAST)) as client:
                for url in urls:
                    try:
                        await client.get(url)
                    except UnsafeURLError as exc:
                        outcomes.append(exc)
                    else:
                        outcomes.append(None)
            return outcomes

        outcomes = asyncio.run(go())
    assert all(isinstance(o, UnsafeURLError) for o in outcomes), outcomes
    assert peer.paths() == []


def test_every_redirect_hop_is_checked() -> None:
    inner = Peer(routes={"/secret": text("secret")})
    with serve(inner.app()) as inner_base:
        port = inner_base.rsplit(":", 1)[1]
        targets = {
            "/to-loopback": f"{inner_base}/secret",
            "/to-hex": f"http://0x7f000001:{port}/secret",
            "/to-v6": f"http://[::1]:{port}/secret",
            "/to-metadata": "http://169.254.169.254/latest/meta-data/",
            "/to-private": "http://10.0.0.1/",
            "/to-file": "file:///etc/passwd",
        }

        def redirect(location: str) -> Handler:
            async def handler(_: Request) -> Response:
                return RedirectResponse(location, status_code=302)

            return handler

        outer = Peer(routes={path: redirect(loc) for path, loc in targets.items()})
        with serve(outer.app()) as outer_base:

            async def go() -> list[str]:
                refused = []
                # The outer paths are configured endpoints; where they redirect to is not.
                settings = HttpSettings(**FAST)
                endpoints = [outer_base + path for path in targets]
                async with HttpClient.from_settings(settings, trusted_urls=endpoints) as client:
                    for path in targets:
                        with pytest.raises(UnsafeURLError):
                            await client.get(outer_base + path)
                        refused.append(path)
                return refused

            assert asyncio.run(go()) == list(targets)
    assert sorted(outer.paths()) == sorted(targets)
    assert inner.paths() == []


def test_trusted_endpoint_on_loopback_works_without_allowing_private_networks() -> None:
    peer = Peer(routes={"/search": text('{"results": []}')})
    with serve(peer.app()) as base:

        async def go() -> int:
            async with HttpClient.from_settings(
                HttpSettings(**FAST), trusted_urls=[base + "/search"]
            ) as client:
                response = await client.get(base + "/search", params={"q": "bhxh"})
                return response.status

        assert asyncio.run(go()) == 200
    assert peer.paths() == ["/search"]


def test_dns_rebinding_between_check_and_connect_is_refused() -> None:
    """The name is public when checked, loopback when connecting: the connect-time check wins."""
    peer = Peer(routes={"/": text("internal")})
    answers = [["93.184.216.34"], ["127.0.0.1"]]

    async def flipping(host: str, port: int) -> list[str]:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    with serve(peer.app()) as base:
        port = base.rsplit(":", 1)[1]

        async def go() -> None:
            client = HttpClient(HttpSettings(**FAST), resolver=flipping)
            async with client:
                await client.get(f"http://rebind.test:{port}/", robots=False)

        with pytest.raises(UnsafeURLError, match="non-public"):
            asyncio.run(go())
    assert peer.paths() == []


def test_guarded_connection_goes_to_the_checked_address_with_the_real_host_name() -> None:
    peer = Peer(routes={"/page": text("ok")})
    with serve(peer.app()) as base:
        port = base.rsplit(":", 1)[1]

        async def resolve(host: str, port: int) -> list[str]:
            assert host == "peer.test"
            return ["127.0.0.1"]

        async def go() -> int:
            settings = HttpSettings(**FAST, allow_private_networks=True)
            async with HttpClient(settings, resolver=resolve) as client:
                return (await client.get(f"http://peer.test:{port}/page", robots=False)).status

        assert asyncio.run(go()) == 200
    assert peer.hits[0].host == "peer.test"
