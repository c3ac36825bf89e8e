"""Endpoint trust: exact scheme, host, port and path; never a whole origin, never gained by redirect."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from monitor.errors import FetchError, RobotsDisallowed, UnsafeURLError
from monitor.net import HttpClient
from monitor.net import Response as NetResponse
from monitor.settings import HttpSettings
from tests.net.apps import Handler, Peer, text
from tests.support.loopback import serve

FAST: dict[str, Any] = {"max_retries": 0, "timeout": 3.0, "per_host_min_interval": 0.0}
PUBLIC = "93.184.216.34"


def _redirect(location: str) -> Handler:
    async def handler(_: Request) -> Response:
        return RedirectResponse(location, status_code=302)

    return handler


async def _versioned(request: Request) -> Response:
    """An API that moves callers to its current version, on the same path."""
    if "v" not in request.query_params:
        return RedirectResponse("/api?v=2", status_code=302)
    return JSONResponse({"v": request.query_params["v"]})


def _json() -> Handler:
    async def handler(_: Request) -> Response:
        return JSONResponse({"results": []})

    return handler


class Internet:
    """A forward proxy standing in for the whole web: answers by absolute URL, records every target."""

    def __init__(self, answers: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        self.answers = answers
        self.targets: list[str] = []
        self._lock = threading.Lock()

    def hosts(self) -> set[str]:
        with self._lock:
            return {httpx.URL(target).host for target in self.targets}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        key = scope["raw_path"].decode()
        query = scope["query_string"].decode()
        with self._lock:
            self.targets.append(f"{key}?{query}" if query else key)
        status, headers, body = self.answers.get(key, (404, {}, b"not found"))
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        raw.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})


async def _public_resolver(host: str, port: int) -> list[str]:
    if host != "public.test":
        raise OSError("no such host")
    return [PUBLIC]


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:8888/internal",  # another path on the endpoint's origin
        "http://127.0.0.1:8888/search?q=x",  # the configured endpoint itself
        "http://127.0.0.1:8888/",  # the origin's root
    ],
)
def test_public_page_redirecting_into_an_endpoint_origin_is_refused(location: str) -> None:
    endpoint = "http://127.0.0.1:8888/search"
    internet = Internet(
        {
            "http://public.test/go": (302, {"Location": location}, b""),
            endpoint: (200, {"Content-Type": "application/json"}, b'{"results": []}'),
        }
    )
    with serve(internet) as proxy:

        async def go() -> NetResponse:
            settings = HttpSettings(**FAST, proxy=proxy)
            async with HttpClient(settings, trusted_urls=[endpoint], resolver=_public_resolver) as client:
                with pytest.raises(UnsafeURLError, match="non-public"):
                    await client.get("http://public.test/go")
                return await client.get(endpoint, params={"q": "bhxh"})

        own = asyncio.run(go())
    # The code's own call still reaches the endpoint; the redirect into its origin never did.
    assert (own.status, own.robots) == (200, "not_checked")
    assert internet.targets == [
        "http://public.test/robots.txt",
        "http://public.test/go",
        endpoint + "?q=bhxh",
    ]


def test_other_paths_on_an_endpoint_origin_are_guarded() -> None:
    peer = Peer(routes={"/search": _json(), "/other": text("internal"), "/": text("home")})
    with serve(peer.app()) as base:
        refused = [
            "/other",
            "/",
            "/search/",  # not the same path
            "/%73earch",  # spelled differently on the wire
            "/search/../other",
            "/og.png",
        ]

        async def go() -> list[str]:
            outcomes = []
            async with HttpClient(HttpSettings(**FAST), trusted_urls=[base + "/search"]) as client:
                outcomes.append((await client.get(base + "/search?q=a&page=2")).robots)
                for path in refused:
                    try:
                        await client.get(base + path)
                    except UnsafeURLError:
                        outcomes.append("UnsafeURLError")
                    else:
                        outcomes.append("fetched")
            return outcomes

        assert asyncio.run(go()) == ["not_checked"] + ["UnsafeURLError"] * len(refused)
    assert peer.paths() == ["/search"]


def test_other_paths_on_an_endpoint_origin_are_robots_checked() -> None:
    peer = Peer(
        routes={
            "/robots.txt": text("User-agent: *\nDisallow: /\n"),
            "/search": _json(),
            "/result": text("a search result on the same site"),
        }
    )
    with serve(peer.app()) as base:

        async def go() -> list[str]:
            settings = HttpSettings(**FAST, allow_private_networks=True, respect_robots=True)
            seen = []
            async with HttpClient(settings, trusted_urls=[base + "/search"]) as client:
                seen.append((await client.get(base + "/search", params={"q": "x"})).robots)
                with pytest.raises(RobotsDisallowed):
                    await client.get(base + "/result")
                seen.append("RobotsDisallowed")
            return seen

        assert asyncio.run(go()) == ["not_checked", "RobotsDisallowed"]
    assert peer.paths() == ["/search", "/robots.txt"]


def test_tiktok_pages_next_to_the_oembed_endpoint_honour_robots() -> None:
    video = "/@bhxh.binhduong/video/7300000000000000001"
    peer = Peer(
        routes={
            "/robots.txt": text("User-agent: *\nDisallow: /@\n"),
            "/oembed": _json(),
            video: text("<html>video page</html>"),
        }
    )
    with serve(peer.app()) as base:

        async def go() -> NetResponse:
            settings = HttpSettings(**FAST, allow_private_networks=True, respect_robots=True)
            async with HttpClient(settings, trusted_urls=[base + "/oembed"]) as client:
                with pytest.raises(RobotsDisallowed):
                    await client.get(base + video)
                return await client.get(base + "/oembed", params={"url": base + video}, robots=False)

        oembed = asyncio.run(go())
    assert (oembed.status, oembed.json(), oembed.robots) == (200, {"results": []}, "not_checked")
    assert peer.paths() == ["/robots.txt", "/oembed"]


def test_trust_passes_only_from_a_trusted_hop_to_an_endpoint() -> None:
    peer = Peer(
        routes={
            "/a": _redirect("/b"),  # configured to configured: trusted all the way
            "/b": _json(),
            "/paged": _redirect("/paged2"),
            "/paged2": _redirect("/b?page=2"),
            "/c": _redirect("/elsewhere"),  # configured to not configured: guarded
            "/api": _versioned,  # declared trusted by the caller, same path: kept
            "/api-out": _redirect("/elsewhere"),
            "/elsewhere": text("internal"),
        }
    )
    with serve(peer.app()) as base:
        configured = [base + p for p in ("/a", "/b", "/paged", "/paged2", "/c")]

        async def go() -> list[object]:
            seen: list[object] = []
            async with HttpClient(HttpSettings(**FAST), trusted_urls=configured) as client:
                for path in ("/a", "/paged"):
                    seen.append((await client.get(base + path)).final_url)
                seen.append((await client.get(base + "/api", trusted=True)).final_url)
                for path, trusted in (("/c", False), ("/api-out", True)):
                    with pytest.raises(UnsafeURLError):
                        await client.get(base + path, trusted=trusted)
                    seen.append("UnsafeURLError")
            return seen

        assert asyncio.run(go()) == [
            base + "/b",
            base + "/b?page=2",
            base + "/api?v=2",
            "UnsafeURLError",
            "UnsafeURLError",
        ]
    assert "/elsewhere" not in peer.paths()


def test_untrusted_redirect_to_an_endpoint_is_robots_checked() -> None:
    """With private networks allowed the guard lets loopback through: robots.txt still applies."""
    peer = Peer(
        routes={
            "/robots.txt": text("User-agent: *\nDisallow: /search\n"),
            "/page": _redirect("/search?q=1"),
            "/search": _json(),
        }
    )
    with serve(peer.app()) as base:

        async def go() -> None:
            settings = HttpSettings(**FAST, allow_private_networks=True, respect_robots=True)
            async with HttpClient(settings, trusted_urls=[base + "/search"]) as client:
                await client.get(base + "/page")

        with pytest.raises(FetchError) as info:
            asyncio.run(go())
    assert isinstance(info.value, RobotsDisallowed)
    assert peer.paths() == ["/robots.txt", "/page"]
