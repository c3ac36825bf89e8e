"""A loopback web peer for the domains tests: crt.sh answers by query, homepages by Host header."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from monitor.domains.dns import lookup, make_resolver
from monitor.net.client import HttpClient
from monitor.settings import HttpSettings

# One scripted answer: status, body, content type.
Answer = tuple[int, str, str]


def json_answer(body: str) -> Answer:
    return (200, body, "application/json")


def html_answer(body: str, status: int = 200) -> Answer:
    return (status, body, "text/html; charset=utf-8")


@dataclass
class Peer:
    """crt.sh: `crtsh[pattern]` is a list of answers given in turn (the last one repeats).
    Homepages: `pages[host]` is the answer for GET / of that host; others get 404."""

    crtsh: dict[str, list[Answer]] = field(default_factory=dict)
    pages: dict[str, Answer] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._dispatch)])

    def crtsh_requests(self, pattern: str) -> int:
        with self.lock:
            return sum(
                1 for host, _, params in self.seen if host == "127.0.0.1" and params.get("q") == pattern
            )

    async def _dispatch(self, request: Request) -> Response:
        host = (request.headers.get("host") or "").rsplit(":", 1)[0]
        with self.lock:
            self.seen.append((host, request.url.path, dict(request.query_params)))
        if host == "127.0.0.1":
            script = self.crtsh.get(request.query_params.get("q", ""), [json_answer("[]")])
            with self.lock:
                status, body, kind = script.pop(0) if len(script) > 1 else script[0]
        elif request.url.path == "/" and host in self.pages:
            status, body, kind = self.pages[host]
        else:
            status, body, kind = 404, "not found", "text/plain"
        return Response(body, status_code=status, media_type=kind)


def client(dns_address: str | None = None, stop: threading.Event | None = None) -> HttpClient:
    """The project's HTTP client, allowed to reach loopback; host names resolve through dns_address."""
    settings = HttpSettings(
        allow_private_networks=True,
        per_host_min_interval=0,
        backoff_base=0.01,
        backoff_max=0.02,
        max_retries=1,
        timeout=5,
        connect_timeout=2,
    )
    if dns_address is None:
        return HttpClient(settings, stop=stop)
    resolver = make_resolver([dns_address], 1.0)

    async def resolve(host: str, port: int) -> list[str]:
        return sorted((await lookup(resolver, host)).addresses)

    guard_resolver: Callable[[str, int], Awaitable[list[str]]] = resolve
    return HttpClient(settings, resolver=guard_resolver, stop=stop)
