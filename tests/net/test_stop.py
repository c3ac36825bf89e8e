"""A stopping run: the client starts no request, and retry and politeness waits end at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.net.client import HttpClient
from monitor.net.stop import Stopped, pause
from monitor.settings import HttpSettings

# Far longer than any test may take: only a stop can end these waits in time.
LONG = 600.0


class Peer:
    """Answers 503 with a long Retry-After on /busy and 200 elsewhere; counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.lock = threading.Lock()
        self.first = threading.Event()

    def answer(self, path: str) -> tuple[int, dict[str, str]]:
        with self.lock:
            self.asked.append(path)
        self.first.set()
        if path == "/busy":
            return 503, {"Retry-After": str(int(LONG))}
        return 200, {}


@contextmanager
def serve(peer: Peer) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            status, headers = peer.answer(self.path)
            body = b"ok"
            self.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def client(stop: threading.Event, **overrides: object) -> HttpClient:
    values: dict[str, object] = {
        "allow_private_networks": True,
        "per_host_min_interval": 0.0,
        "max_retries": 3,
        "max_retry_after": LONG,
        "respect_robots": False,
        **overrides,
    }
    return HttpClient(HttpSettings.model_validate(values), stop=stop)


def stop_when(event: threading.Event, stop: threading.Event) -> None:
    """Set `stop` from another thread (as a signal handler does) once `event` happens."""

    def watch() -> None:
        if event.wait(30):
            stop.set()

    threading.Thread(target=watch, daemon=True).start()


def test_a_retry_after_wait_ends_as_soon_as_the_run_stops() -> None:
    peer, stop = Peer(), threading.Event()

    async def go(base: str) -> None:
        async with client(stop) as http:
            await asyncio.wait_for(http.get(f"{base}/busy"), 30)

    with serve(peer) as base:
        stop_when(peer.first, stop)
        with pytest.raises(Stopped):
            asyncio.run(go(base))
    assert peer.asked == ["/busy"]  # asked once; the retry was never sent


def test_a_politeness_wait_ends_as_soon_as_the_run_stops() -> None:
    peer, stop = Peer(), threading.Event()

    async def go(base: str) -> list[object]:
        async with client(stop, per_host_min_interval=LONG) as http:
            first = await http.get(f"{base}/a")
            stop_when(peer.first, stop)
            try:
                await asyncio.wait_for(http.get(f"{base}/b"), 30)
            except Stopped as exc:
                return [first.status, exc]
            return [first.status]

    with serve(peer) as base:
        status, error = asyncio.run(go(base))
    assert status == 200
    assert isinstance(error, Stopped)
    assert peer.asked == ["/a"]


def test_nothing_is_asked_once_stopped() -> None:
    peer, stop = Peer(), threading.Event()
    stop.set()

    async def go(base: str) -> None:
        async with client(stop) as http:
            await http.get(f"{base}/a")

    with serve(peer) as base, pytest.raises(Stopped):
        asyncio.run(go(base))
    assert peer.asked == []


def test_a_callers_own_wait_ends_with_the_run_and_otherwise_lasts() -> None:
    stop = threading.Event()

    async def go() -> tuple[float, bool]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await pause(0.05, stop)  # not stopped: the whole wait
        waited = loop.time() - started
        loop.call_soon(stop.set)
        try:
            await asyncio.wait_for(pause(LONG, stop), 30)
        except Stopped:
            return waited, True
        return waited, False

    waited, stopped = asyncio.run(go())
    assert waited >= 0.05
    assert stopped
