"""Screenshot benchmark: seconds per page and the largest Chromium process, one and two browsers at once.

Run from the repository root:  .venv/bin/python -m benchmarks.screenshots [--pages 6]

Each page is served from loopback (allowed for this run only) with an image, a stylesheet and an
iframe on a second, forbidden loopback port; the figures include starting Chromium, the proxy,
PNG checks and the refusals. The forbidden server must see nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from monitor.capture.chromium import BrowserRun, find_chromium
from monitor.capture.policy import AddressPolicy
from monitor.capture.shooter import Limits, Shooter
from monitor.log import configure
from tests.capture.servers import html, serve


def _page(forbidden: int, n: int) -> str:
    other = f"http://127.0.0.1:{forbidden}"
    rows = "".join(f"<li>Tài khoản giả mạo số {i}: BHXH Bình Dương hỗ trợ</li>" for i in range(40))
    return (
        f'<!doctype html><html lang="vi"><meta charset="utf-8"><link rel="stylesheet" href="{other}/s.css">'
        f"<body><h1>Trang {n}: Bảo hiểm xã hội tỉnh Bình Dương</h1><ul>{rows}</ul>"
        f'<img src="{other}/i.png"><iframe src="{other}/f"></iframe></body></html>'
    )


async def _round(shooter: Shooter, base: str, pages: int, concurrency: int) -> tuple[float, int]:
    limit = asyncio.Semaphore(concurrency)
    sizes: list[int] = []

    async def one(n: int) -> None:
        async with limit:
            shot = await shooter.capture(f"{base}/p{n}")
            sizes.append(len(shot.png))

    started = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(pages)))
    return time.perf_counter() - started, sum(sizes) // max(len(sizes), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=6)
    args = parser.parse_args()
    configure("console", "WARNING")
    chromium = find_chromium(None)
    if chromium is None:
        raise SystemExit("chromium is not installed")
    with serve({}) as forbidden:
        routes = {f"/p{n}": html(_page(forbidden.port, n)) for n in range(args.pages)}
        with serve(routes) as site, tempfile.TemporaryDirectory() as work:
            run = BrowserRun(chromium, 1280, 1600, 60, "impersonation-monitor/benchmark")
            policy = AddressPolicy(allowed_endpoints=frozenset({("127.0.0.1", site.port)}))
            shooter = Shooter(run, policy, Limits(25_000_000, 300, 10_000_000), workroot=Path(work))
            for concurrency in (1, 2):
                seconds, png = asyncio.run(_round(shooter, site.base, args.pages, concurrency))
                print(
                    f"browsers at once: {concurrency}  pages: {args.pages}  wall: {seconds:.2f} s  "
                    f"per page: {seconds / args.pages:.2f} s  mean PNG: {png / 1000:.0f} kB"
                )
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest Chromium process (max RSS): {largest:.0f} MB")
    print(f"requests that reached the forbidden server: {len(forbidden.paths)}")


if __name__ == "__main__":
    main()
