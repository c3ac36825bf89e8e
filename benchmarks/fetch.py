"""Politeness benchmark: many requests to several loopback hosts, wall time against the per-host bound.

Run from the repository root:  .venv/bin/python -m benchmarks.fetch [--hosts 5 --requests 40 ...]

Each host is a real HTTP server on its own loopback address (127.0.0.2, 127.0.0.3, ...; Linux
routes all of 127/8 to lo). The bound is the time politeness alone imposes, max over hosts of
requests × interval; a ratio near 1 means the client loses no time beyond being polite.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from monitor.log import configure
from monitor.net import HttpClient
from monitor.settings import HttpSettings
from tests.support.loopback import serve


@dataclass
class Recorder:
    """A minimal ASGI app: answers "ok" after `delay`, records arrivals and in-flight counts per host."""

    delay: float
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)
    max_in_flight: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        host = scope["server"][0]
        with self.lock:
            self.arrivals.setdefault(host, []).append(time.monotonic())
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), self.in_flight[host])
        try:
            await asyncio.sleep(self.delay)
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
            await send({"type": "http.response.body", "body": b"ok"})
        finally:
            with self.lock:
                self.in_flight[host] -= 1


async def _run(bases: list[str], requests: int, settings: HttpSettings) -> tuple[float, int]:
    async with HttpClient.from_settings(settings) as client:
        urls = [f"{base}/item/{n}" for n in range(requests) for base in bases]
        started = time.monotonic()
        responses = await asyncio.gather(*(client.get(url, robots=False) for url in urls))
        elapsed = time.monotonic() - started
    return elapsed, sum(1 for r in responses if r.status == 200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=5)
    parser.add_argument("--requests", type=int, default=40, help="requests per host")
    parser.add_argument("--interval", type=float, default=0.05, help="http.per_host_min_interval")
    parser.add_argument("--per-host-concurrency", type=int, default=2)
    parser.add_argument("--max-concurrency", type=int, default=8)
    parser.add_argument("--server-delay", type=float, default=0.02, help="seconds each answer takes")
    args = parser.parse_args()
    configure("console", "WARNING")  # one debug line per request would drown the figures

    settings = HttpSettings(
        allow_private_networks=True,
        per_host_min_interval=args.interval,
        per_host_concurrency=args.per_host_concurrency,
        max_concurrency=args.max_concurrency,
    )
    recorder = Recorder(args.server_delay)
    hosts = [f"127.0.0.{n}" for n in range(2, 2 + args.hosts)]
    with ExitStack() as stack:
        bases = [stack.enter_context(serve(recorder, host=host)) for host in hosts]
        elapsed, ok = asyncio.run(_run(bases, args.requests, settings))

    bound = args.requests * args.interval
    print(
        f"hosts={args.hosts} requests/host={args.requests} interval={args.interval}s "
        f"per_host_concurrency={args.per_host_concurrency} max_concurrency={args.max_concurrency} "
        f"server_delay={args.server_delay}s"
    )
    print(f"ok={ok}/{args.hosts * args.requests}")
    # What max_concurrency alone allows when every answer takes server_delay: if this is above
    # the politeness bound, the run is limited by concurrency, not by politeness.
    floor = args.hosts * args.requests * args.server_delay / args.max_concurrency
    print(
        f"wall={elapsed:.3f}s bound={bound:.3f}s ratio={elapsed / bound:.3f} concurrency_floor={floor:.3f}s"
    )
    worst_gap = float("inf")
    for host in hosts:
        times = sorted(recorder.arrivals.get(host, []))
        gaps = [b - a for a, b in itertools.pairwise(times)]
        gap = min(gaps, default=float("inf"))
        worst_gap = min(worst_gap, gap)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        rate = (len(times) - 1) / span if span else 0.0
        print(
            f"  {host}: requests={len(times)} max_in_flight={recorder.max_in_flight.get(host, 0)} "
            f"min_gap={gap * 1000:.1f}ms mean_rate={rate:.2f}/s (limit {1 / args.interval:.2f}/s)"
        )
    concurrency_ok = all(v <= args.per_host_concurrency for v in recorder.max_in_flight.values())
    print(f"per_host_concurrency_respected={concurrency_ok} min_gap_over_hosts={worst_gap * 1000:.1f}ms")


if __name__ == "__main__":
    main()
