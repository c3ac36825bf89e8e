"""Web console benchmark: the queue's first page and a finding page over a large store.

Builds a SQLite store of 50,000 findings and 500,000 observations (plus triage events), serves the
console on 127.0.0.1 with uvicorn, signs in, then asks each page 20 times. Prints the median and
worst server time (measured around the ASGI app, from request to last byte) and the client's time.
Run: python -m benchmarks.web [--findings 50000] [--observations 10]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from monitor.settings import load_settings
from monitor.store.accounts import AccountRepository
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding, Observation, TriageEvent
from monitor.web.app import create_app
from monitor.web.passwords import hash_password
from tests.support.loopback import serve

BRANDS = """
[[brands]]
slug = "bhxh-binh-duong"
name = "Bảo hiểm xã hội tỉnh Bình Dương"
organization_terms = ["bảo hiểm xã hội", "bhxh"]
"""
PLATFORMS = ("facebook", "tiktok", "youtube", "telegram", "web", "zalo")
VERDICTS = ("impersonation", "suspect", "clear")
EVENTS = ("new", "changed", "changed", "gone", "reappeared")
START = datetime(2026, 1, 1, tzinfo=UTC)


class Timed:
    """Wraps an ASGI app and keeps the server time of each request (request in to last byte out)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: dict[str, list[float]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        started = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            self.times.setdefault(scope["path"], []).append(time.perf_counter() - started)


def build(url: str, findings: int, per_finding: int) -> None:
    engine = open_database(url)
    rng = random.Random(7)
    with engine.begin() as connection:
        batch: list[dict[str, Any]] = []
        for i in range(1, findings + 1):
            seen = START + timedelta(minutes=rng.randrange(0, 500_000))
            batch.append(
                {
                    "id": i,
                    "brand": "bhxh-binh-duong",
                    "platform": PLATFORMS[i % len(PLATFORMS)],
                    "identity": f"{PLATFORMS[i % len(PLATFORMS)]}:acct{i}",
                    "url": f"https://example.{i % 97}.vn/acct{i}",
                    "name": f"BHXH Bình Dương hỗ trợ {i}",
                    "score": rng.randrange(30, 100),
                    "verdict": VERDICTS[i % 3],
                    "reasons": [{"code": "organization_match", "detail": "bhxh", "weight": 40}],
                    "signals": ["phone:0912345678"],
                    "status": "active",
                    "triage": "untriaged",
                    "sources": ["duckduckgo"],
                    "misses": 0,
                    "first_seen_at": seen,
                    "last_seen_at": seen + timedelta(days=3),
                    "last_changed_at": seen,
                }
            )
            if len(batch) == 5000:
                connection.execute(insert(Finding), batch)
                batch = []
        if batch:
            connection.execute(insert(Finding), batch)
        rows: list[dict[str, Any]] = []
        for i in range(1, findings + 1):
            for step in range(per_finding):
                rows.append(
                    {
                        "finding_id": i,
                        "observed_at": START + timedelta(hours=i % 1000 + step),
                        "event": EVENTS[step % len(EVENTS)] if step else "new",
                        "name": f"BHXH Bình Dương hỗ trợ {i} ({step // 3})",
                        "url": f"https://example.{i % 97}.vn/acct{i}",
                        "score": 80,
                        "verdict": "impersonation",
                        "reasons": [],
                        "signals": [],
                        "sources": ["duckduckgo"],
                    }
                )
            if len(rows) >= 20_000:
                connection.execute(insert(Observation), rows)
                rows = []
        if rows:
            connection.execute(insert(Observation), rows)
        connection.execute(
            insert(TriageEvent),
            [
                {"finding_id": i, "action": "confirmed", "actor": "oanh", "created_at": START, "note": None}
                for i in range(1, findings + 1, 10)
            ],
        )
    with session_scope(session_factory(engine)) as session:
        AccountRepository(session).add("bench", hash_password("benchmark password"), "officer")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument("--observations", type=int, default=10, help="observations per finding")
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "monitor.toml").write_text("", encoding="utf-8")
        (site / "brands.toml").write_text(BRANDS, encoding="utf-8")
        url = f"sqlite:///{site / 'data' / 'monitor.db'}"
        settings = load_settings(site / "monitor.toml", {"MONITOR_DATABASE__URL": url})
        started = time.perf_counter()
        build(url, args.findings, args.observations)
        print(
            f"store: {args.findings:,} findings, {args.findings * args.observations:,} observations"
            f" built in {time.perf_counter() - started:.1f} s"
        )
        engine = open_database(url)
        timed = Timed(create_app(settings, engine))
        with serve(timed) as base, httpx.Client(base_url=base, timeout=60) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            login = {"username": "bench", "password": "benchmark password", "csrf_token": token.group(1)}
            assert client.post("/login", data=login).status_code == 303
            target = args.findings // 2
            pages = {
                "queue, first page (by score)": "/findings",
                "queue, first page (newest first)": "/findings?sort=first_seen",
                "queue, filtered (platform, verdict, text)": (
                    "/findings?platform=web&verdict=suspect&q=h%E1%BB%97"
                ),
                f"finding page #{target}": f"/findings/{target}",
            }
            for label, path in pages.items():
                client.get(path)  # warm the page cache once
                timed.times.clear()
                wall: list[float] = []
                for _ in range(args.requests):
                    before = time.perf_counter()
                    response = client.get(path)
                    wall.append(time.perf_counter() - before)
                    assert response.status_code == 200, response.status_code
                    assert "<table" in response.text or 'id="timeline"' in response.text
                server = timed.times[path.split("?")[0]]
                median, worst = statistics.median(server) * 1000, max(server) * 1000
                print(
                    f"{label:42s} server median {median:6.1f} ms, worst {worst:6.1f} ms;"
                    f" client median {statistics.median(wall) * 1000:6.1f} ms ({args.requests} requests)"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
