"""A loopback web site for the enrichment tests: fixed answers by path and a log of what was asked."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from monitor.settings import HttpSettings

ROBOTS = "User-agent: *\nDisallow: /private/\n"


@dataclass
class Site:
    """Answers `pages[path]` (404 otherwise), robots.txt disallowing /private/; paths in `slow` wait 1 s."""

    pages: dict[str, Response] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET"])])

    async def _answer(self, request: Request) -> Response:
        with self._lock:
            self.asked.append(request.url.path)
            self.queries.append(dict(request.query_params))
        if request.url.path == "/robots.txt":
            return PlainTextResponse(ROBOTS)
        if request.url.path in self.slow:
            await asyncio.sleep(5)  # far past any client timeout a test sets
        return self.pages.get(request.url.path) or PlainTextResponse("not found", status_code=404)


def settings(**overrides: Any) -> HttpSettings:
    """Client settings for loopback peers: private networks allowed, no pacing, no retries."""
    values: dict[str, Any] = {
        "allow_private_networks": True,
        "per_host_min_interval": 0.0,
        "max_retries": 0,
        "backoff_base": 0.0,
        "timeout": 5.0,
        **overrides,
    }
    return HttpSettings(**values)
