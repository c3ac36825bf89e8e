"""Hostile-scan figures: one real `monitor scan` over a rot13 page, 200,000 nested <div>s and a /channel/UC….

Run from the repository root: .venv/bin/python benchmarks/hostile_scan.py [--db-url URL]

The world is tests/support/hostile_web.py (the one tests/test_scan_hostile.py scans). Prints the
scan's wall time against the 3-minute bound, its exit code, the findings recorded with their
page states, and the peak RSS of the scan process. Exits with status 1 when the bound is passed,
the scan fails or a planted fake is not recorded.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the loopback web lives with the tests

from sqlalchemy import select  # noqa: E402

from monitor.store.db import open_database, session_factory, session_scope  # noqa: E402
from monitor.store.schema import Finding  # noqa: E402
from tests.support.hostile_web import hostile_web  # noqa: E402

BOUND_SECONDS = 180.0


def run(db_url: str | None) -> int:
    with tempfile.TemporaryDirectory() as scratch, hostile_web() as web:
        url = db_url or f"sqlite:///{Path(scratch) / 'monitor.db'}"
        env = web.command_env(url, Path(scratch))
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "monitor", "scan", "--json", "--no-notify"],
            env=env,
            capture_output=True,
            text=True,
            timeout=BOUND_SECONDS * 5,
            check=False,
        )
        wall = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
        engine = open_database(url)
        try:
            with session_scope(session_factory(engine)) as session:
                rows = [
                    (f.identity, f.verdict, f.page_state or "", f.page_note or "")
                    for f in session.scalars(select(Finding).order_by(Finding.identity))
                ]
        finally:
            engine.dispose()
        planted = {fake.identity for fake in web.fakes}
        sizes = {fake.identity: len(fake.body) for fake in web.fakes}

    traceback = "Traceback" in done.stderr
    print(f"scan wall time      {wall:8.2f} s   (bound {BOUND_SECONDS:.0f} s)")
    print(f"exit code           {done.returncode:8d}   traceback in stderr: {'yes' if traceback else 'no'}")
    print(f"peak RSS (children) {peak_kib / 1024:8.1f} MiB")
    if done.returncode == 0:
        counts = json.loads(done.stdout)["counts"]
        unread = counts["pages_unreadable"]
        print(f"pages read/unread   {counts['pages'] - unread:8d} / {unread}")
    print(f"findings recorded   {len(rows):8d} of {len(planted)} planted")
    for identity, verdict, state, note in rows:
        print(f"  {identity:45} {verdict:14} {state:12} {sizes.get(identity, 0):>9,} B  {note}")
    missing = planted - {row[0] for row in rows}
    for identity in sorted(missing):
        print(f"  MISSING {identity}")
    failed = wall > BOUND_SECONDS or done.returncode != 0 or traceback or bool(missing)
    if done.returncode != 0 or traceback:
        print(done.stderr[-3000:], file=sys.stderr)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db-url", default=None, help="database to scan into (default: a fresh SQLite file)")
    args = parser.parse_args()
    sys.exit(run(args.db_url))


if __name__ == "__main__":
    main()
