"""Install benchmark: a fresh venv with `pip install .` (no extras), its size and `monitor --help` time.

Prints the du-style size of site-packages, the largest installed packages and the median wall
time of `monitor --help` over several runs. Run: python -m benchmarks.install [--runs 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def disk_usage(path: Path) -> int:
    """Bytes on disk under `path`, counted like `du` (allocated blocks, each inode once)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, dirs, files in os.walk(path):
        for name in (*dirs, *files):
            info = os.lstat(os.path.join(root, name))
            if (info.st_dev, info.st_ino) in seen:
                continue
            seen.add((info.st_dev, info.st_ino))
            total += info.st_blocks * 512
    return total + os.lstat(path).st_blocks * 512


def human(size: float) -> str:
    """1.2M, 143M: the units `du -sh` prints."""
    for unit in ("B", "K", "M", "G"):
        if size < 1024 or unit == "G":
            return f"{size:.0f}{unit}" if size >= 10 or unit == "B" else f"{size:.1f}{unit}"
        size /= 1024
    raise AssertionError("unreachable")


def sizes_by_distribution(site: Path) -> dict[str, int]:
    """Disk usage per installed distribution, from the files each one's RECORD lists."""
    sizes: dict[str, int] = defaultdict(int)
    counted: set[Path] = set()
    for record in site.glob("*.dist-info/RECORD"):
        name = record.parent.name.split("-", 1)[0].lower().replace("_", "-")
        for row in csv.reader(record.read_text("utf-8").splitlines()):
            path = (site / row[0]).resolve() if row else None
            if path is None or path in counted or not path.is_file():
                continue
            counted.add(path)
            sizes[name] += os.lstat(path).st_blocks * 512
    for path in site.rglob("*"):  # bytecode written after install, files no RECORD lists
        if path.is_file() and path.resolve() not in counted:
            top = path.relative_to(site).parts[0]
            sizes[f"({top})"] += os.lstat(path).st_blocks * 512
    return sizes


def site_packages(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python3*/site-packages"))
    if not found:
        raise SystemExit(f"no site-packages under {venv}")
    return found[0]


def build(venv: Path, python: str) -> float:
    """Create the venv and install the working tree into it; return the seconds it took."""
    start = time.perf_counter()
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    done = subprocess.run([*pip, "install", "-q", str(REPO)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"pip install failed:\n{done.stdout}{done.stderr}")
    return time.perf_counter() - start


def time_help(venv: Path, runs: int) -> list[float]:
    """Wall time of `monitor --help` (bytecode written by a first, untimed run)."""
    command = [str(venv / "bin" / "monitor"), "--help"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("MONITOR_")}
    subprocess.run(command, check=True, capture_output=True, env=env)
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--python", default=sys.executable, help="interpreter for the venv")
    parser.add_argument("--keep", type=Path, default=None, help="build the venv here and keep it")
    parser.add_argument("--top", type=int, default=12, help="how many of the largest packages to list")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="monitor-install-") as scratch:
        venv = args.keep or Path(scratch) / "venv"
        seconds = build(venv, args.python)
        site = site_packages(venv)
        total = disk_usage(site)
        sizes = sizes_by_distribution(site)
        times = time_help(venv, args.runs)

    print(f"install: pip install . (no extras) in {seconds:.0f} s")
    print(f"site-packages: {human(total)}\t{site}")
    tools = sum(sizes.get(name, 0) for name in ("pip", "setuptools", "wheel"))
    print(f"  without pip/setuptools: {human(total - tools)}")
    print(f"largest {args.top} distributions (files of their RECORD):")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1])[: args.top]:
        print(f"  {human(size):>6}  {name}")
    print(
        f"monitor --help: median {statistics.median(times):.3f} s over {len(times)} runs "
        f"(min {min(times):.3f}, max {max(times):.3f})"
    )


if __name__ == "__main__":
    main()
