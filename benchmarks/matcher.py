"""Matcher figures: quality on the labelled names; speed and memory against fold + WRatio.

    .venv/bin/python -m benchmarks.matcher [--names 200000] [--config config/monitor.toml] [--speed-only]

Quality: recall, strict recall, precision and the negatives' figures on every labelled file in
tests/matching/, and the verdicts on the brand's names followed by each tagline of taglines.txt.
Speed and memory, on one core, for a generated list of names (brand fakes with random tricks,
other offices, ordinary pages, personal names; most of them unique): three kinds of fresh
process run in turn on the same file, each timed whole (start-up, reading, work, writing) with
its peak RSS: the fold + WRatio reference, `monitor match --file` and `monitor match --file --json`.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.matching import BrandProfile, Matcher  # noqa: E402
from monitor.settings import BrandSettings, load_settings  # noqa: E402

LABELLED = REPO / "tests" / "matching" / "labelled_names.tsv"
REPEAT = 3  # each figure is the best of this many runs: the machine is shared


def quality(matcher: Matcher) -> None:
    """The issue's figures on every labelled file, and the brand's names with each tagline."""
    from tests.matching.conftest import labelled_rows
    from tests.matching.figures import TAGLINE_NAMES, figures, labelled_files, tagline_probes

    def verdict(name: str) -> str:
        return matcher.score(name).verdict

    for path in labelled_files():
        found = figures(labelled_rows(path), verdict)
        print(f"{path.relative_to(REPO)}: {'meets the targets' if found.meets() else 'MISSES a target'}")
        for line in found.lines():
            print(f"  {line}")
    probes = tagline_probes()
    print(f"\n{len(probes) // len(TAGLINE_NAMES)} taglines after each of the brand's names")
    for name in TAGLINE_NAMES:
        counts = Counter(verdict(text) for base, text in probes if base == name)
        total = sum(counts.values())
        print(
            f"  {name:34} impersonation {counts['impersonation'] / total:6.1%}"
            f"  suspect {counts['suspect']:3}  clear {counts['clear']:3}"
        )


# -- generated names -------------------------------------------------------------------------

_FAMILY = str.split("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Trương Đinh Mai")
_GIVEN = str.split(
    "An Anh Bảo Bình Chi Cường Dũng Dương Giang Hà Hải Hạnh Hiếu Hòa Hoàng Hùng Hương Huy Khánh Khoa Lan "
    "Linh Long Mai Minh My Nam Ngọc Nhung Phong Phúc Phương Quang Quân Sơn Tâm Thảo Thành Thủy Trang Trung "
    "Tuấn Tú Uyên Vân Việt Xuân Yến"
)
_PAGES = [
    "Shop {g} {g}",
    "Cửa hàng {g}",
    "Quán ăn {g} {p}",
    "Nhà thuốc {g}",
    "Công ty TNHH {g} {g}",
    "Hội {g} {p}",
    "{p} 24h",
    "Tin tức {p}",
    "Việc làm {p}",
    "Nhà đất {p} {g}",
    "Spa {g} {p}",
    "Phòng trọ {p} giá rẻ",
    "Chợ {p} online",
    "CLB {g} {p}",
    "Bảo hiểm nhân thọ {g} {p}",
    "Luật sư {f} {g} - tư vấn BHXH",
]
_PLACES = [
    "Bình Dương",
    "Bình Định",
    "Bình Phước",
    "Hải Dương",
    "Hà Nội",
    "TP.HCM",
    "Đồng Nai",
    "Thủ Dầu Một",
    "Dĩ An",
    "Long An",
    "Cần Thơ",
    "Đà Nẵng",
    "Tây Ninh",
    "Bình Thuận",
    "Hòa Bình",
    "Gò Vấp",
]
_ORGS = ["BHXH", "Bảo hiểm xã hội", "Bảo Hiểm Xã Hội Tỉnh", "BH xã hội", "bhxh"]
_SCAM = [
    "",
    "",
    " - Hỗ trợ rút BHXH 1 lần",
    " CSKH",
    " - Tư vấn 24/7",
    " ✔",
    " - Hotline 09{n}",
    " chính thức",
]


def _trick(text: str, rng: random.Random) -> str:
    pick = rng.randrange(8)
    if pick == 0:
        return "".join(chr(0x1D400 + ord(c) - 65) if "A" <= c <= "Z" else c for c in text)
    if pick == 1:
        cut = rng.randrange(1, max(2, len(text)))
        return text[:cut] + "\u200d" + text[cut:]
    if pick == 2:
        return text.replace("B", "В").replace("H", "Н").replace("X", "Х")
    if pick == 3:
        return text.replace("BHXH", "B.H.X.H")
    if pick == 4:
        return text.replace("Bình", "B1nh")
    if pick == 5:
        return text.replace(" ", "")
    return text


def generate(count: int, seed: int = 2025) -> list[str]:
    """A deterministic list of names shaped like what search results and pages give."""
    rng = random.Random(seed)
    names: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.3:
            name = f"{rng.choice(_ORGS)} {rng.choice(_PLACES)}{rng.choice(_SCAM)}"
            name = _trick(name, rng).replace("{n}", str(rng.randrange(10_000_000, 99_999_999)))
        elif roll < 0.6:
            name = f"{rng.choice(_FAMILY)} {rng.choice(_GIVEN)} {rng.choice(_GIVEN)}"
        else:
            name = rng.choice(_PAGES).format(
                g=rng.choice(_GIVEN), p=rng.choice(_PLACES), f=rng.choice(_FAMILY)
            )
        if rng.random() < 0.5:
            name += f" {rng.randrange(1, 10_000)}"
        names.append(name)
    return names


# The reference, as a process of its own that imports nothing it does not use: read the names,
# fold each (NFD, combining marks stripped, đ -> d), WRatio against three of the brand's names
# with `process.cdist` on one worker, write the best score of each name.
REFERENCE = """
import sys, unicodedata
from rapidfuzz import fuzz, process

def fold(text):
    nfd = unicodedata.normalize("NFD", text)
    return "".join(c for c in nfd if not unicodedata.combining(c)).replace("đ", "d").replace("Đ", "D").lower()

choices = [fold(name) for name in sys.argv[2:5]]
with open(sys.argv[1], "rb") as handle, open(1, "w", encoding="utf-8", closefd=False) as out:
    while lines := handle.readlines(1 << 20):
        folded = [fold(line.decode("utf-8", "replace").rstrip("\\r\\n")) for line in lines]
        scores = process.cdist(folded, choices, scorer=fuzz.WRatio, workers=1)
        out.write("".join(f"{best:.0f}\\n" for best in scores.max(axis=1)))
"""


# Starts a run and reports its seconds and peak RSS. Being small, its memory at the start of the
# run (which Linux counts in the run's peak) is below any run's own.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
devnull = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
pid = os.posix_spawn(sys.executable, [sys.executable, *sys.argv[1:]], os.environ, file_actions=devnull)
_, status, usage = os.wait4(pid, 0)
cpu = usage.ru_utime + usage.ru_stime
print(os.waitstatus_to_exitcode(status), time.perf_counter() - start, cpu, usage.ru_maxrss * 1024)
"""


def _timed(args: list[str]) -> tuple[float, float, int]:
    """Wall-clock seconds, CPU seconds and peak RSS (bytes) of a fresh process: start-up,
    reading, work and writing."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    code, seconds, cpu, peak = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{args[:2]} failed with {code}")
    return float(seconds), float(cpu), int(peak)


def throughput(brand: BrandSettings, config: Path, count: int) -> None:
    names = generate(count)
    print(f"\n{count:,} generated names, {len(set(names)):,} distinct, one core, best of {REPEAT} runs")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "names.txt"
        path.write_text("\n".join(names) + "\n", encoding="utf-8")
        cli = ["-m", "monitor", "--config", str(config), "match", "--file", str(path)]
        reference = ["-c", REFERENCE, str(path), *[brand.name, *brand.names][:3]]
        runs: dict[str, list[tuple[float, float, int]]] = {"reference": [], "plain": [], "json": []}
        for _ in range(REPEAT):  # interleaved, so that a busy moment hits every kind alike
            runs["reference"].append(_timed(reference))
            runs["plain"].append(_timed(cli))
            runs["json"].append(_timed([*cli, "--json"]))
    # Rates from CPU time (user + system) of the whole process, which other work on a shared
    # machine does not stretch; wall-clock rates are shown beside them.
    rate = {key: count / min(cpu for _, cpu, _ in values) for key, values in runs.items()}
    wall = {key: count / min(seconds for seconds, _, _ in values) for key, values in runs.items()}
    peak = {key: max(m for _, _, m in values) for key, values in runs.items()}
    for key, label in (
        ("reference", "fold + WRatio cdist (3 names)"),
        ("plain", "monitor match --file"),
        ("json", "monitor match --file --json"),
    ):
        print(
            f"  {label:32} {rate[key]:>9,.0f} names/CPU-s  {wall[key]:>9,.0f} names/s wall"
            f"   peak RSS {peak[key] / 2**20:6.1f} MB"
        )
    print(f"plain rate / reference rate = {rate['plain'] / rate['reference']:.2f}   (target >= 1.0)")
    print(f"--json rate / plain rate = {rate['json'] / rate['plain']:.2f}   (target >= 0.7)")
    print(
        f"peak RSS of plain / --json = {peak['plain'] / 2**20:.1f} / {peak['json'] / 2**20:.1f} MB"
        "   (target <= 150 MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=200_000)
    parser.add_argument("--speed-only", action="store_true", help="skip the quality figures")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "monitor.toml")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    brand = load_settings(args.config, environ={}).brands[0]
    if not args.speed_only:
        quality(Matcher(BrandProfile.from_settings(brand)))
    throughput(brand, args.config, args.names)


if __name__ == "__main__":
    main()
