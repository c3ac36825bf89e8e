"""Queue benchmark: 1,000 synthetic brands x 3 search discoverers as jobs, with 2 and then 4 workers.

A loopback web stands in for three search APIs (Brave-, SearXNG- and Google-CSE-like, one host
each), the Telegram pages (a fourth host) and an alert webhook (a fifth). Each brand's query
returns one planted fake, a Telegram channel named after the brand, from all three engines: one
finding and one alert per brand are expected. For each worker count, on a fresh PostgreSQL
database, `monitor scan --no-wait` defers the scan and `monitor worker` processes run it.

Prints: jobs per second, p95 time from due to started, the per-host politeness ratio (smallest
gap between two requests arriving at a host, as the kernel stamped them, / the configured
interval; must be >= 0.95), the duplicate findings and alerts (must be 0), missing findings, and
each worker's peak RSS.
Run: python -m benchmarks.queue [--brands 1000] [--interval 0.1] [--workers 2 4]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
ENGINE_HOSTS = {"brave": "127.0.0.2", "searxng": "127.0.0.3", "google_cse": "127.0.0.4"}
PAGE_HOST = "127.0.0.5"
HOOK_HOST = "127.0.0.6"
NUMBER = re.compile(r"(\d{4})")
# Linux: the kernel stamps each received packet (struct timespec, CLOCK_REALTIME) when asked to.
SO_TIMESTAMPNS = 35
# A run whose queue makes no progress for this long is reported stuck, not waited for.
STUCK_AFTER = 180.0


def brand_file(count: int) -> str:
    lines = []
    for i in range(count):
        tag = f"{i:04d}"
        lines += [
            "[[brands]]",
            f'slug = "b{tag}"',
            f'name = "Bảo hiểm xã hội Thử nghiệm {tag}"',
            f'names = ["BHXH Thử nghiệm {tag}"]',
            'organization_terms = ["Bảo hiểm xã hội", "BHXH"]',
            f'location_terms = ["Thử nghiệm {tag}"]',
            f'official_domains = ["tn{tag}.example.gov.vn"]',
            "owns_social_accounts = false",
            'scam_phrases = ["rút BHXH 1 lần", "hỗ trợ"]',
            "",
        ]
    return "\n".join(lines)


class Server(ThreadingHTTPServer):
    # A real server's accept queue: the default 5 overflows when many clients connect at once,
    # and the connections the kernel then drops look like the peer failing.
    request_queue_size = 128

    def server_bind(self) -> None:
        # Set on the listening socket, the kernel stamps the packets of every accepted connection
        # from its first one, also those that arrived before the connection was accepted.
        self.socket.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        super().server_bind()


class Web:
    """The engines, the pages and the webhook, all on one port of five loopback addresses."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: dict[str, list[float]] = {}
        self.alerts: Counter[str] = Counter()
        # Requests the kernel did not stamp (stamped when read instead: their gaps are less sure).
        self.unstamped = 0
        self.servers: list[Server] = []
        port = 0
        for host in (*ENGINE_HOSTS.values(), PAGE_HOST, HOOK_HOST):
            server = Server((host, port), self._handler())
            server.daemon_threads = True
            port = server.server_address[1]
            self.servers.append(server)
        self.port = port
        for server in self.servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def reset(self) -> None:
        with self.lock:
            self.arrivals.clear()
            self.alerts.clear()
            self.unstamped = 0

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def log_message(self, format: str, *args: object) -> None:
                return

            def handle_one_request(self) -> None:
                # When the request reached this host, as the kernel stamped its first packet: a
                # server thread late to run (the machine is busy) must not shorten a gap.
                arrived = arrival(self.connection)
                if arrived is None:
                    with web.lock:
                        web.unstamped += 1
                    arrived = time.time()
                self.arrived = arrived
                super().handle_one_request()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                payload = json.loads(self.rfile.read(length) or b"{}")
                finding = payload.get("finding", {})
                with web.lock:
                    web.alerts[f"{finding.get('brand')} {finding.get('identity')}"] += 1
                self._send("{}", "application/json")

            def do_GET(self) -> None:
                host = str(self.server.server_address[0])
                with web.lock:
                    web.arrivals.setdefault(host, []).append(self.arrived)
                parts = urlsplit(self.path)
                if parts.path == "/robots.txt":
                    return self._send("User-agent: *\nAllow: /\n", "text/plain")
                query = parse_qs(parts.query).get("q", [""])[0]
                found = NUMBER.search(query)
                tag = found.group(1) if found else "0000"
                title = f"BHXH Thử nghiệm {tag} - hỗ trợ rút BHXH 1 lần"
                url = f"https://t.me/bhxh_tn{tag}_hotro"
                snippet = f"Hỗ trợ rút BHXH 1 lần, liên hệ Zalo 0901 234 {tag[1:]}"
                if host == ENGINE_HOSTS["brave"]:
                    body = {"web": {"results": [{"title": title, "url": url, "description": snippet}]}}
                elif host == ENGINE_HOSTS["searxng"]:
                    body = {"results": [{"title": title, "url": url, "content": snippet}]}
                elif host == ENGINE_HOSTS["google_cse"]:
                    body = {"items": [{"title": title, "link": url, "snippet": snippet}]}
                else:
                    handle = parts.path.strip("/")
                    digits = NUMBER.search(handle)
                    name = f"BHXH Thử nghiệm {digits.group(1) if digits else '0000'} - Hỗ trợ"
                    page = (
                        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: Contact</title>'
                        f'<meta property="og:title" content="{name}">'
                        f'<meta property="og:description" content="{snippet}"></head><body>'
                        f'<div class="tgme_page"><div class="tgme_page_title"><span dir="auto">{name}</span>'
                        '</div><div class="tgme_page_extra">1 204 subscribers</div>'
                        f'<div class="tgme_page_description">{snippet}</div>'
                        '<a class="tgme_action_button_new" href="tg://resolve?domain=x">View in Telegram</a>'
                        "</div></body></html>"
                    )
                    return self._send(page, "text/html; charset=utf-8")
                return self._send(json.dumps(body, ensure_ascii=False), "application/json")

            def _send(self, body: str, kind: str) -> None:
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def arrival(connection: socket.socket) -> float | None:
    """The kernel's receive time of the next unread bytes (waits for them; reads nothing); None
    when the kernel gave none for a request."""
    try:
        data, ancillary, _, _ = connection.recvmsg(1, socket.CMSG_SPACE(16), socket.MSG_PEEK)
    except OSError:
        return time.time()  # no request follows
    if not data:
        return time.time()  # the client closed the connection: no request follows
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            seconds, nanoseconds = struct.unpack("qq", data[:16])
            return float(seconds + nanoseconds / 1e9)
    return None


def environment(web: Web, db_url: str, folder: Path, interval: float) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    port = web.port
    return {
        **base,
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(folder / "evidence"),
        "MONITOR_LOG_LEVEL": "warning",
        "MONITOR_QUEUE__BACKEND": "procrastinate",
        "MONITOR_QUEUE__POLL_SECONDS": "1",
        "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": str(interval),
        "MONITOR_HTTP__MAX_RETRIES": "0",
        "MONITOR_SOURCES__BRAVE__URL": f"http://{ENGINE_HOSTS['brave']}:{port}/res/v1/web/search",
        "MONITOR_SOURCES__BRAVE__API_KEY": "bench",
        "MONITOR_SOURCES__BRAVE__MAX_QUERIES": "1",
        "MONITOR_SOURCES__BRAVE__MAX_PAGES": "1",
        "MONITOR_SOURCES__SEARXNG__URL": f"http://{ENGINE_HOSTS['searxng']}:{port}/search",
        "MONITOR_SOURCES__SEARXNG__MAX_QUERIES": "1",
        "MONITOR_SOURCES__GOOGLE_CSE__URL": f"http://{ENGINE_HOSTS['google_cse']}:{port}/customsearch/v1",
        "MONITOR_SOURCES__GOOGLE_CSE__API_KEY": "bench",
        "MONITOR_SOURCES__GOOGLE_CSE__CX": "bench",
        "MONITOR_SOURCES__GOOGLE_CSE__MAX_QUERIES": "1",
        "MONITOR_SOURCES__GOOGLE_CSE__MAX_PAGES": "1",
        "MONITOR_SOURCES__DUCKDUCKGO__ENABLED": "false",
        "MONITOR_SOURCES__YOUTUBE__ENABLED": "false",
        "MONITOR_SOURCES__TIKTOK__ENABLED": "false",
        "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
        "MONITOR_SOURCES__CRTSH__ENABLED": "false",
        "MONITOR_SOURCES__TELEGRAM__URL": f"http://{PAGE_HOST}:{port}",
        "MONITOR_SCREENSHOTS__ENABLED": "false",
        "MONITOR_ALERTS__WEBHOOK__URL": f"http://{HOOK_HOST}:{port}/hook",
    }


def new_database(admin: str) -> str:
    name = f"monitor_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_database(admin: str, url: str) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def monitor(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "--config", str(config), *args]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def queue_idle(db_url: str) -> tuple[bool, int]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            waiting = connection.execute(
                text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')")
            ).scalar_one()
            status = connection.execute(text("SELECT status FROM scans ORDER BY id DESC LIMIT 1")).scalar()
        return waiting == 0 and status not in (None, "running"), int(waiting)
    finally:
        engine.dispose()


def job_figures(db_url: str) -> dict[str, float]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            waits = connection.execute(
                text(
                    "SELECT EXTRACT(EPOCH FROM started.at - GREATEST(deferred.at, COALESCE(j.scheduled_at,"
                    " deferred.at))) FROM procrastinate_jobs j"
                    " JOIN LATERAL (SELECT min(at) AS at FROM procrastinate_events e"
                    "   WHERE e.job_id = j.id AND e.type = 'deferred') deferred ON true"
                    " JOIN LATERAL (SELECT min(at) AS at FROM procrastinate_events e"
                    "   WHERE e.job_id = j.id AND e.type = 'started') started ON true"
                    " WHERE started.at IS NOT NULL"
                )
            ).scalars()
            delays = sorted(max(0.0, float(w)) for w in waits)
            span = connection.execute(
                text(
                    "SELECT EXTRACT(EPOCH FROM max(at) - min(at)) FROM procrastinate_events"
                    " WHERE type IN ('deferred', 'succeeded', 'failed')"
                )
            ).scalar_one()
            counts = dict(
                connection.execute(
                    text("SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")
                ).all()
            )
            duplicates = connection.execute(
                text(
                    "SELECT count(*) FROM (SELECT brand, identity FROM findings"
                    " GROUP BY brand, identity HAVING count(*) > 1) d"
                )
            ).scalar_one()
            brands_found = connection.execute(text("SELECT count(DISTINCT brand) FROM findings")).scalar_one()
    finally:
        engine.dispose()
    p95 = delays[min(len(delays) - 1, int(0.95 * len(delays)))] if delays else 0.0
    return {
        "jobs": float(sum(counts.values())),
        "succeeded": float(counts.get("succeeded", 0)),
        "failed": float(counts.get("failed", 0)),
        "span": float(span or 0.0),
        "p95": p95,
        "duplicate_findings": float(duplicates),
        "brands_found": float(brands_found),
    }


def politeness(arrivals: dict[str, list[float]], interval: float) -> dict[str, tuple[int, float]]:
    ratios: dict[str, tuple[int, float]] = {}
    for host, times in sorted(arrivals.items()):
        times = sorted(times)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        ratios[host] = (len(times), (min(gaps) / interval) if gaps else float("inf"))
    return ratios


def run(
    web: Web, admin: str, brands: int, workers: int, concurrency: int, interval: float, folder: Path
) -> None:
    config = folder / "monitor.toml"
    db_url = new_database(admin)
    env = environment(web, db_url, folder, interval)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(monitor(config, "db", "upgrade"), env=env, check=True, capture_output=True)
        web.reset()
        for i in range(workers):
            log = (folder / f"worker-{workers}-{i}.log").open("ab")
            processes.append(
                subprocess.Popen(
                    monitor(config, "worker", "--concurrency", str(concurrency)),
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        started = time.monotonic()
        queued = subprocess.run(
            monitor(config, "scan", "--no-wait", "--json"),
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        scan_id = json.loads(queued.stdout)["scan_id"]
        last, progress_at = -1, time.monotonic()
        while True:
            idle, waiting = queue_idle(db_url)
            if idle:
                break
            if waiting != last:
                last, progress_at = waiting, time.monotonic()
            elif time.monotonic() - progress_at > STUCK_AFTER:
                print(f"  STUCK: {waiting} jobs waiting or running, no progress for {STUCK_AFTER:.0f} s")
                break
            time.sleep(0.5)
        wall = time.monotonic() - started
        rss = [peak_rss_mb(p.pid) for p in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=60) for process in processes]
    figures = job_figures(db_url)
    drop_database(admin, db_url)
    ratios = politeness(web.arrivals, interval)
    alerts_twice = sum(1 for count in web.alerts.values() if count > 1)
    print(f"== {brands} brands, {workers} workers x {concurrency} jobs, per-host interval {interval} s")
    print(f"  scan #{scan_id}: wall {wall:.1f} s, worker exit codes {codes}")
    print(
        f"  jobs: {figures['jobs']:.0f} ({figures['succeeded']:.0f} succeeded,"
        f" {figures['failed']:.0f} failed)"
        f" in {figures['span']:.1f} s -> {figures['jobs'] / max(figures['span'], 1e-9):.1f} jobs/s"
    )
    print(f"  p95 due -> started: {figures['p95']:.2f} s")
    for host, (count, ratio) in ratios.items():
        print(f"  politeness {host}: {count} requests, min gap / interval = {ratio:.3f}")
    print(
        f"  politeness ratio: {min(r for _, r in ratios.values()):.3f}"
        f" (requests without a kernel receive stamp: {web.unstamped})"
    )
    print(
        f"  duplicate findings: {figures['duplicate_findings']:.0f}; alerts sent twice: {alerts_twice};"
        f" alerts {sum(web.alerts.values())} for {len(web.alerts)} findings;"
        f" brands with a finding: {figures['brands_found']:.0f} of {brands}"
    )
    print(f"  worker peak RSS: {', '.join(f'{mb:.0f} MB' for mb in rss)}")


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--brands", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=0.1)
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("POSTGRES_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    args = parser.parse_args()
    web = Web()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        shutil.copy(REPO / "config" / "monitor.toml", folder / "monitor.toml")
        (folder / "brands.toml").write_text(brand_file(args.brands), encoding="utf-8")
        try:
            for workers in args.workers:
                run(web, args.admin_url, args.brands, workers, args.concurrency, args.interval, folder)
        finally:
            web.close()


if __name__ == "__main__":
    main()
