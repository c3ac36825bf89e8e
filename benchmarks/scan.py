"""Scan benchmark: 2,000 search results naming 2,000 accounts, then 10 identical re-scans.

A Brave-like API on one loopback host; the accounts are Telegram, TikTok and YouTube handles
whose pages are served by three other hosts (every tenth result is a planted fake, worth a
page read), plus one website. Prints wall time and its ratio to the politeness bound (max over
hosts of requests × interval), peak memory, and database and evidence growth per re-scan.
The loopback web runs in a process of its own, as a real web would: its work is not the scan's.
Run: python -m benchmarks.scan
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing
import resource
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select, text

from monitor.log import configure
from monitor.scan import Scanner
from monitor.settings import load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding

REPO = Path(__file__).resolve().parents[1]
SEARCH_HOST = "127.0.0.2"
PAGE_HOSTS = ("127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6")
# Which page host stands in for which platform, and the account URL a search result shows.
PLATFORM_HOSTS = {"telegram": "127.0.0.3", "tiktok": "127.0.0.4", "youtube": "127.0.0.5"}
RESULT_URLS = {
    "telegram": "https://t.me/{handle}",
    "tiktok": "https://www.tiktok.com/@{handle}",
    "youtube": "https://www.youtube.com/@{handle}",
}
PER_QUERY = 20
# The office whose name the results carry (config/brands.toml lists others too).
BRAND = "bhxh-binh-duong"


class Server(ThreadingHTTPServer):
    # A real server's accept queue: the default 5 overflows when many clients connect at once,
    # and the connections the kernel then drops look like the peer failing.
    request_queue_size = 128


class Web:
    """A Brave-like API on one host and result pages on four others, all on one port."""

    def __init__(self, results: int, fake_every: int) -> None:
        self.results = results
        self.fake_every = fake_every
        self.blocks: dict[tuple[str, str], int] = {}
        self.hits: Counter[str] = Counter()
        # When each request reached each host (for the breakdown of the first scan).
        self.arrivals: dict[str, list[float]] = {}
        self.started = 0.0
        self.lock = threading.Lock()
        self.servers: list[Server] = []
        port = 0
        for host in (SEARCH_HOST, *PAGE_HOSTS):
            server = Server((host, port), self._handler())
            port = server.server_address[1]
            self.servers.append(server)
        self.port = port
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def serve(self, control: Connection) -> None:
        """Answer the benchmark's questions until it says stop: ("hits",), ("arrivals",)."""
        while True:
            command = control.recv()
            if command == "stop":
                break
            with self.lock:
                control.send(
                    dict(self.hits) if command == "hits" else {h: list(t) for h, t in self.arrivals.items()}
                )
        self.close()

    def item(self, index: int) -> dict[str, str]:
        fake = index % self.fake_every == 0
        title = f"BHXH Bình Dương hỗ trợ rút BHXH 1 lần {index}" if fake else f"Cửa hàng điện máy số {index}"
        if index == 0:
            url = f"http://{PAGE_HOSTS[-1]}:{self.port}/site/{index}"
        else:
            platform = list(RESULT_URLS)[(index // self.fake_every) % len(RESULT_URLS)]
            handle = f"bhxh_binhduong_{index}" if fake else f"dienmay_{index}"
            url = RESULT_URLS[platform].format(handle=handle)
        return {"title": title, "url": url, "description": "Trang số " + str(index)}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as search APIs and platforms serve: a request needs no new connection.
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                arrived = time.perf_counter()
                host = str(self.server.server_address[0])  # type: ignore[index]
                with web.lock:
                    web.hits[host] += 1
                    web.arrivals.setdefault(host, []).append(arrived)
                if parts.path == "/robots.txt":
                    return self._send("User-agent: *\nAllow: /\n", "text/plain")
                if parts.path.startswith("/search"):
                    query = parse_qs(parts.query)
                    key = (query.get("q", [""])[0], query.get("offset", ["0"])[0])
                    with web.lock:
                        block = web.blocks.setdefault(key, len(web.blocks))
                    first = block * PER_QUERY
                    items = [web.item(i) for i in range(first, min(first + PER_QUERY, web.results))]
                    more = first + PER_QUERY < web.results
                    body = {
                        "type": "search",
                        "query": {"original": key[0], "more_results_available": more},
                        "web": {"type": "search", "results": items},
                    }
                    return self._send(json.dumps(body, ensure_ascii=False), "application/json")
                tail = parts.path.rsplit("/", 1)[-1]
                index = "".join(c for c in tail if c.isdigit()) or "0"
                page = (
                    f"<html><head><title>BHXH Bình Dương hỗ trợ {index}</title>"
                    f'<meta property="og:description" content="Liên hệ 0901 234 {int(index) % 1000:03d}">'
                    "</head><body><p>Hỗ trợ rút BHXH 1 lần</p></body></html>"
                )
                return self._send(page, "text/html; charset=utf-8")

            def _send(self, body: str, kind: str) -> None:
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def serve(results: int, fake_every: int, control: Connection) -> None:
    """The loopback web's process: says its port, then answers questions (see Web.serve)."""
    web = Web(results, fake_every)
    control.send(web.port)
    web.serve(control)


class RemoteWeb:
    """The loopback web in its own process, seen from the benchmark."""

    def __init__(self, results: int, fake_every: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._control, child = context.Pipe()
        self._process = context.Process(target=serve, args=(results, fake_every, child), daemon=True)
        self._process.start()
        child.close()  # a web that dies then ends recv() with EOFError instead of a hang
        self.port: int = self._control.recv()

    def hits(self) -> Counter[str]:
        self._control.send("hits")
        return Counter(self._control.recv())

    def arrivals(self) -> dict[str, list[float]]:
        """When each request reached each host (the machine-wide perf_counter clock)."""
        self._control.send("arrivals")
        answer: dict[str, list[float]] = self._control.recv()
        return answer

    def close(self) -> None:
        self._control.send("stop")
        self._process.join(timeout=10)


def breakdown(arrivals: dict[str, list[float]], started: float, wall: float) -> None:
    """Where the first scan's time went, as its hosts saw it: when requests arrived, how far apart."""
    for host, times in sorted(arrivals.items()):
        times = sorted(t - started for t in times)
        gaps = [b - a for a, b in itertools.pairwise(times)] or [0.0]
        print(
            f"  {host}: {len(times)} requests, first {times[0]:.3f} s, last {times[-1]:.3f} s, "
            f"gap mean {1000 * sum(gaps) / len(gaps):.1f} ms, max {1000 * max(gaps):.1f} ms"
        )
    last = max(max(times) for times in arrivals.values()) - started
    print(f"  after the last request: {wall - last:.3f} s (of {wall:.3f} s)")


def size_of(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--results", type=int, default=2000)
    parser.add_argument("--fake-every", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.02)
    parser.add_argument("--rescans", type=int, default=10)
    args = parser.parse_args()
    configure("console", "WARNING")
    web = RemoteWeb(args.results, args.fake_every)
    queries = -(-args.results // PER_QUERY)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        database = folder / "bench.db"
        env = {
            "MONITOR_DATABASE__URL": f"sqlite:///{database}",
            "MONITOR_EVIDENCE__DIR": str(folder / "evidence"),
            "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
            # The scan itself against its politeness bound; screenshots run after it, once its alerts
            # are out, and are measured by benchmarks/screenshots.py.
            "MONITOR_SCREENSHOTS__ENABLED": "false",
            "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": str(args.interval),
            "MONITOR_HTTP__PER_HOST_CONCURRENCY": "2",
            "MONITOR_HTTP__MAX_CONCURRENCY": "8",
            "MONITOR_SOURCES__BRAVE__URL": f"http://{SEARCH_HOST}:{web.port}/search",
            "MONITOR_SOURCES__BRAVE__API_KEY": "bench",
            "MONITOR_SOURCES__BRAVE__MAX_QUERIES": str(queries),
            "MONITOR_SOURCES__BRAVE__MAX_PAGES": "10",
            "MONITOR_SOURCES__DUCKDUCKGO__ENABLED": "false",
            **{
                f"MONITOR_SOURCES__{platform.upper()}__URL": f"http://{host}:{web.port}"
                for platform, host in PLATFORM_HOSTS.items()
            },
            "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
            "MONITOR_SOURCES__CRTSH__ENABLED": "false",
            "MONITOR_ALERTS__EMAIL": "false",
        }
        settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
        engine = open_database(settings.database.url)

        def run_once() -> tuple[float, dict[str, int]]:
            before = web.hits()
            started = time.perf_counter()
            scanner = Scanner(settings, engine, trigger="bench", notify=False)
            report = asyncio.run(scanner.run([BRAND]))
            wall = time.perf_counter() - started
            now = web.hits()
            hits = {host: now[host] - before[host] for host in now}
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            print(f"  scan process CPU so far: {cpu.ru_utime + cpu.ru_stime:.2f} s")
            print(f"  scan #{report.scan_id}: {report.status}, {report.counts()}")
            return started, wall, hits

        def db_bytes() -> int:
            with engine.connect() as connection:
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            return database.stat().st_size

        started, wall, hits = run_once()
        first_arrivals = web.arrivals()
        bound = max(hits.values()) * args.interval
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with session_scope(session_factory(engine)) as session:
            findings = session.scalar(select(func.count()).select_from(Finding)) or 0
        db0, ev0 = db_bytes(), size_of(folder / "evidence")
        print(
            f"first scan: {sum(hits.values())} requests over {len(hits)} hosts {dict(sorted(hits.items()))}"
        )
        print(f"wall time: {wall:.2f} s; politeness bound: {bound:.2f} s; ratio: {wall / bound:.2f}")
        breakdown(first_arrivals, started, wall)
        print(
            f"findings: {findings}; database: {db0} bytes; evidence: {ev0} bytes; peak RSS: {peak_mb:.0f} MB"
        )
        if args.rescans < 1:
            engine.dispose()
            web.close()
            return
        walls = [run_once()[1] for _ in range(args.rescans)]
        db1, ev1 = db_bytes(), size_of(folder / "evidence")
        growth = (db1 - db0) / args.rescans
        print(f"{args.rescans} identical re-scans: mean wall {sum(walls) / len(walls):.2f} s")
        print(f"evidence growth: {ev1 - ev0} bytes (target 0)")
        print(
            f"database growth: {db1 - db0} bytes = {growth:.0f} bytes per re-scan = "
            f"{growth / max(findings, 1):.1f} bytes per finding per re-scan (target < 1024)"
        )
        print(f"peak RSS after re-scans: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        engine.dispose()
    web.close()


if __name__ == "__main__":
    main()
