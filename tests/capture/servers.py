"""Loopback HTTP servers for the screenshot tests: each records every request it receives."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# path -> (status, headers, body); a missing path answers 404.
Routes = dict[str, tuple[int, dict[str, str], bytes]]


@dataclass
class Recorder:
    """What a loopback server saw; `hit` is set at the first request."""

    host: str
    port: int
    paths: list[str] = field(default_factory=list)
    hit: threading.Event = field(default_factory=threading.Event)
    # Set when a request reaches a path that is held (see serve's `hang`).
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    _arrivals: dict[str, threading.Event] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def arrival(self, path: str) -> threading.Event:
        """An event set when `path` is first requested."""
        with self._lock:
            return self._arrivals.setdefault(path, threading.Event())

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"


def html(
    body: str, status: int = 200, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/html; charset=utf-8", **(headers or {})}, body.encode()


@contextmanager
def serve(
    routes: Routes | Callable[[Recorder], Routes] | None = None, *, hang: frozenset[str] = frozenset()
) -> Iterator[Recorder]:
    """A threaded server on 127.0.0.1; requests for the `hang` paths are held until `release` is set."""
    recorder = Recorder("127.0.0.1", 0)
    table: Routes = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorder.paths.append(self.path)
            recorder.hit.set()
            recorder.arrival(self.path).set()
            if self.path in hang:
                recorder.held.set()
                recorder.release.wait(60)
                return
            status, headers, body = table.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    recorder.port = server.server_address[1]
    table.update(routes(recorder) if callable(routes) else (routes or {}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        recorder.release.set()
        server.shutdown()
        server.server_close()
