"""Start-up benchmark: whole-process wall time of `monitor --help` and `monitor status --check`.

Run from the repository root:  .venv/bin/python -m benchmarks.startup [--runs 5]

`status --check` is the container healthcheck: it runs against a scratch SQLite database at the
newest schema whose daemon row holds a fresh heartbeat, so it answers "running" (exit 0). Each
command runs once to warm the bytecode and file caches, then `--runs` times; the median is shown
with the target (0.5 s). Uses hyperfine when it is installed, else times the processes itself.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.5


def monitor_command(module: bool) -> list[str]:
    """The installed console script when there is one (as the container runs it), else -m."""
    script = Path(sys.executable).with_name("monitor")
    return [str(script)] if script.exists() and not module else [sys.executable, "-m", "monitor"]


def prepare(folder: Path) -> dict[str, str]:
    """A config and a database whose daemon is alive; the environment that points at them."""
    from monitor.store.db import make_engine, session_factory, session_scope, upgrade
    from monitor.store.heartbeat import LEASE_NAME
    from monitor.store.schema import DaemonState, utcnow

    shutil.copytree(REPO / "config", folder / "config")
    url = f"sqlite:///{folder / 'monitor.db'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(session_factory(engine)) as session:
            now = utcnow()
            session.merge(
                DaemonState(
                    name=LEASE_NAME,
                    holder="benchmark:1",
                    state="running",
                    acquired_at=now,
                    heartbeat_at=now,
                    expires_at=now + timedelta(days=1),
                    next_runs={},
                )
            )
    finally:
        engine.dispose()
    base = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {
        **base,
        "MONITOR_CONFIG": str(folder / "config" / "monitor.toml"),
        "MONITOR_DATABASE__URL": url,
        "MONITOR_SCHEDULE__LEASE_SECONDS": str(7 * 24 * 3600),  # the heartbeat stays fresh
    }


def timed(command: list[str], env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock seconds of each run, and CPU seconds (user + system) of each run."""
    subprocess.run(command, env=env, capture_output=True, check=True, timeout=60)  # warm-up
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True, timeout=60)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return times, cpu


def hyperfined(command: list[str], env: dict[str, str], runs: int, scratch: Path) -> list[float]:
    export = scratch / "hyperfine.json"
    shown = " ".join(command)
    subprocess.run(
        ["hyperfine", "--warmup", "1", "--runs", str(runs), "--export-json", str(export), "-N", shown],
        env=env,
        capture_output=True,
        check=True,
        timeout=600,
    )
    return [float(t) for t in json.loads(export.read_text())["results"][0]["times"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--module", action="store_true", help="run `python -m monitor` (the package on the path) instead"
    )
    args = parser.parse_args()
    monitor = monitor_command(args.module)
    commands = {
        "monitor --help": [*monitor, "--help"],
        "monitor status --check": [*monitor, "status", "--check"],
    }
    use_hyperfine = shutil.which("hyperfine") is not None
    print(f"{' '.join(monitor)}; {args.runs} runs each after one warm-up; timer: ", end="")
    print("hyperfine" if use_hyperfine else "this script (whole process, wall clock)")
    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        env = prepare(Path(scratch))
        for label, command in commands.items():
            cpu: list[float] = []
            if use_hyperfine:
                times = hyperfined(command, env, args.runs, Path(scratch))
            else:
                times, cpu = timed(command, env, args.runs)
            median = statistics.median(times)
            failed |= median > TARGET
            runs = ", ".join(f"{t:.3f}" for t in times)
            # CPU time hardly changes when other processes load the machine; wall time does.
            busy = f"; CPU median {statistics.median(cpu):.3f} s" if cpu else ""
            print(f"{label}: median {median:.3f} s (target <= {TARGET} s){busy}; runs {runs}")
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
