"""A webhook receiver on loopback that keeps every alert it is sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.support.loopback import serve


@dataclass
class Hook:
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def identities(self) -> list[str]:
        """The identity of each alert's finding, sorted (one entry per alert received)."""
        with self.lock:
            return sorted(alert["finding"]["identity"] for alert in self.received)


@contextmanager
def hook_server() -> Iterator[tuple[Hook, str]]:
    """The receiver and its URL."""
    state = Hook()

    async def receive(request: Request) -> JSONResponse:
        payload = await request.json()
        with state.lock:
            state.received.append(payload)
        return JSONResponse({"ok": True})

    with serve(Starlette(routes=[Route("/hook", receive, methods=["POST"])])) as base:
        yield state, f"{base}/hook"
