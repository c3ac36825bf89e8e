"""Loopback peers for the HTTP client tests: a Starlette app that records every request it sees."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class Hit:
    host: str
    path: str
    method: str
    arrived: float
    headers: dict[str, str]
    body: bytes


@dataclass
class Peer:
    """Routes by path; records arrivals (monotonic) and the most requests in flight at once.

    One Peer may serve several loopback addresses: in-flight counts are kept per Host header
    and overall.
    """

    routes: dict[str, Handler] = field(default_factory=dict)
    delay: float = 0.0
    hits: list[Hit] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: dict[str, int] = field(default_factory=dict)
    total_in_flight: int = 0
    max_total_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self._dispatch, methods=["GET", "POST", "HEAD"])])

    def paths(self) -> list[str]:
        with self._lock:
            return [hit.path for hit in self.hits]

    def arrivals(self, path: str | None = None, host: str | None = None) -> list[float]:
        with self._lock:
            return [
                hit.arrived
                for hit in self.hits
                if (path is None or hit.path == path) and (host is None or hit.host == host)
            ]

    async def _dispatch(self, request: Request) -> Response:
        body = await request.body()
        host = request.headers.get("host", "").rsplit(":", 1)[0]
        with self._lock:
            self.hits.append(
                Hit(
                    host,
                    request.url.path,
                    request.method,
                    time.monotonic(),
                    {k.lower(): v for k, v in request.headers.items()},
                    body,
                )
            )
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), self.in_flight[host])
            self.total_in_flight += 1
            self.max_total_in_flight = max(self.max_total_in_flight, self.total_in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            handler = self.routes.get(request.url.path)
            if handler is None:
                return PlainTextResponse("not found", status_code=404)
            return await handler(request)
        finally:
            with self._lock:
                self.in_flight[host] -= 1
                self.total_in_flight -= 1


def text(body: str, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    async def handler(_: Request) -> Response:
        return PlainTextResponse(body, status_code=status, headers=headers)

    return handler


def sequence(*handlers: Handler) -> Handler:
    """Answers with the next handler on each call; the last one repeats."""
    calls = [0]

    async def handler(request: Request) -> Response:
        index = min(calls[0], len(handlers) - 1)
        calls[0] += 1
        return await handlers[index](request)

    return handler


def min_gap(times: list[float]) -> float:
    ordered = sorted(times)
    return min((b - a for a, b in itertools.pairwise(ordered)), default=float("inf"))
