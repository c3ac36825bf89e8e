"""Daemon memory benchmark: 200 scans in a row (the daemon's own scan job) against a loopback web.

Prints resident memory after 10 and after 200 scans; target: growth under 10 %.
Run: python -m benchmarks.daemon
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from monitor.commands.run import build_jobs
from monitor.demo.web import SampleWeb
from monitor.log import configure
from monitor.settings import load_settings
from monitor.store.db import open_database

REPO = Path(__file__).resolve().parents[1]


def rss_mb() -> float:
    """Current resident set size (not the peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def serve_web(pipe: Connection) -> None:
    """The loopback web in its own process, so its threads do not count in the daemon's memory."""
    with SampleWeb() as web:
        pipe.send(web.overrides())
        pipe.recv()  # until the benchmark is done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=200)
    args = parser.parse_args()
    configure("console", "WARNING")
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve_web, args=(child,), daemon=True)
    server.start()
    overrides = parent.recv()
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **overrides,
            "MONITOR_DATABASE__URL": f"sqlite:///{Path(scratch) / 'daemon.db'}",
            "MONITOR_EVIDENCE__DIR": str(Path(scratch) / "evidence"),
            "MONITOR_ALERTS__EMAIL": "false",
        }
        settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
        engine = open_database(settings.database.url)
        scan = build_jobs(settings, engine).scan
        stop = threading.Event()
        marks: dict[int, float] = {}
        started = time.perf_counter()
        for number in range(1, args.scans + 1):
            scan(None, stop)
            if number in (10, args.scans) or number % 50 == 0:
                gc.collect()
                marks[number] = rss_mb()
                print(f"after {number:>4} scans: RSS {marks[number]:.1f} MB")
        elapsed = time.perf_counter() - started
        engine.dispose()
    parent.send("stop")
    server.join(timeout=10)
    growth = (marks[args.scans] - marks[10]) / marks[10] * 100
    print(f"{args.scans} scans in {elapsed:.1f} s ({elapsed / args.scans * 1000:.0f} ms each)")
    print(
        f"RSS after 10 scans: {marks[10]:.1f} MB; after {args.scans}: {marks[args.scans]:.1f} MB; "
        f"growth {growth:+.1f} % (target < 10 %)"
    )


if __name__ == "__main__":
    main()
