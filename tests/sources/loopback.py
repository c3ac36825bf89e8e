"""Loopback engines for source tests: a Starlette app that records requests and answers from a handler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from monitor.i18n import Language
from monitor.net.client import HttpClient
from monitor.queries import Query
from monitor.settings import HttpSettings, SourceSettings
from monitor.sources.base import SearchSource, SourceResult
from tests.support.loopback import serve


@dataclass(frozen=True)
class Seen:
    """One request the engine received."""

    method: str
    path: str
    params: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


Handler = Callable[[Seen, int], Response]


class Engine:
    """Answers every path with `handler(request, index)`; robots.txt (404 unless given) is not recorded."""

    def __init__(self, handler: Handler, robots: str | None = None) -> None:
        self.handler = handler
        self.robots = robots
        self.requests: list[Seen] = []
        self.app = Starlette(routes=[Route("/{path:path}", self._answer, methods=["GET", "POST"])])

    async def _answer(self, request: Request) -> Response:
        if request.url.path == "/robots.txt":
            if self.robots is None:
                return PlainTextResponse("", status_code=404)
            return PlainTextResponse(self.robots)
        # An urlencoded form, read with the standard library (no multipart package needed).
        form = (
            dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
            if request.method == "POST"
            else {}
        )
        seen = Seen(
            request.method,
            request.url.path,
            dict(request.query_params),
            form,
            {k.lower(): v for k, v in request.headers.items()},
        )
        self.requests.append(seen)
        return self.handler(seen, len(self.requests) - 1)


@contextmanager
def engine(handler: Handler, robots: str | None = None) -> Iterator[tuple[Engine, str]]:
    """A recording engine served on 127.0.0.1; yields it and its base URL."""
    eng = Engine(handler, robots)
    with serve(eng.app, host="127.0.0.1") as base:
        yield eng, base


def http_settings(**overrides: Any) -> HttpSettings:
    """Fast, loopback-friendly client settings."""
    values: dict[str, Any] = {
        "allow_private_networks": True,
        "per_host_min_interval": 0,
        "max_retries": 1,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "timeout": 5.0,
        "connect_timeout": 2.0,
        "breaker_threshold": 50,
    }
    values.update(overrides)
    return HttpSettings(**values)


def run_source(
    cls: type[SearchSource[Any]],
    settings: SourceSettings,
    queries: Sequence[Query],
    *,
    http: HttpSettings | None = None,
    lang: Language | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> SourceResult:
    """Build the source on a fresh client and run it to the end."""

    async def go() -> SourceResult:
        async with HttpClient.from_settings(http or http_settings()) as client:
            source = (
                cls(settings, client, lang=lang, sleep=sleep)
                if sleep is not None
                else cls.from_settings(settings, client, lang=lang)
            )
            return await source.run(queries)

    return asyncio.run(go())


def queries(*texts: str, pages: int = 1) -> list[Query]:
    """Queries in plan order: every first page, then every second page, and so on."""
    return [Query(text, page=page) for page in range(1, pages + 1) for text in texts]
