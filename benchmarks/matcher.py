"""Matcher figures: precision, recall and misses on the labelled names; throughput against WRatio.

    .venv/bin/python benchmarks/matcher.py [--names 200000] [--config config/monitor.toml]

Quality is measured on tests/matching/labelled_names.tsv. Throughput is measured on one core
for a generated list of names (brand fakes with random tricks, other offices, ordinary pages,
personal names; most of them unique), through `monitor match --file` and through the matcher
alone, next to plain rapidfuzz WRatio on the same names pre-folded, in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

import click
from rapidfuzz import fuzz, process

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from monitor.commands.context import CliContext  # noqa: E402
from monitor.commands.match import match_command  # noqa: E402
from monitor.matching import BrandProfile, Matcher  # noqa: E402
from monitor.matching.normalize import fold  # noqa: E402
from monitor.settings import BrandSettings, load_settings  # noqa: E402

LABELLED = REPO / "tests" / "matching" / "labelled_names.tsv"
REPEAT = 3  # each figure is the best of this many runs: the machine is shared

ALLOWED = {
    "impersonation": {"impersonation"},
    "suspect": {"suspect"},
    "clear": {"clear"},
    "flagged": {"impersonation", "suspect"},
    "not_impersonation": {"suspect", "clear"},
}


def quality(matcher: Matcher) -> None:
    from tests.matching.conftest import labelled_rows

    rows = labelled_rows()
    verdicts = [(expect, category, name, matcher.score(name).verdict) for expect, category, name in rows]
    variants = [v for v in verdicts if v[1].startswith("variant")]
    flagged = [v for v in variants if v[3] != "clear"]
    alerts = [v for v in verdicts if v[3] == "impersonation"]
    true_alerts = [v for v in alerts if v[1].startswith("variant")]
    offices = [v for v in verdicts if v[1].startswith(("other_office", "national"))]
    media = [v for v in verdicts if v[1].split("/")[0] in ("newspaper", "law_firm")]
    print(f"labelled file: {LABELLED.relative_to(REPO)} ({len(rows)} names, {len(variants)} true variants)")
    print(
        f"recall (variants flagged impersonation or suspect): {len(flagged)}/{len(variants)}"
        f" = {len(flagged) / max(1, len(variants)):.3f}"
    )
    precision = len(true_alerts) / max(1, len(alerts))
    print(f"precision of impersonation: {len(true_alerts)}/{len(alerts)} = {precision:.3f}")
    print(
        f"other-province/region/national offices above clear: {sum(v[3] != 'clear' for v in offices)}"
        f" of {len(offices)}"
    )
    print(
        f"newspapers and law/accounting firms called impersonation: "
        f"{sum(v[3] == 'impersonation' for v in media)} of {len(media)}"
    )
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for _, category, _, verdict in verdicts:
        table[category.split("/")[0]][verdict] += 1
    print("\nverdicts by category       impersonation  suspect  clear")
    for group, counts in sorted(table.items()):
        print(f"  {group:24} {counts['impersonation']:13} {counts['suspect']:8} {counts['clear']:6}")
    misses: dict[str, list[str]] = defaultdict(list)
    for expect, category, name, verdict in verdicts:
        if verdict not in ALLOWED[expect]:
            misses[category].append(f"{name!r} -> {verdict} (expected {expect})")
    print(f"\nmisses by category: {sum(len(v) for v in misses.values())}")
    for category, names in sorted(misses.items()):
        print(f"  {category}: {len(names)}")
        for line in names:
            print(f"    {line}")


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


def _cli_run(path: Path, config: Path, as_json: bool) -> None:
    """Run `monitor match --file` once in this process (the child of a timed run)."""

    @click.group()
    @click.pass_context
    def root(ctx: click.Context) -> None:
        ctx.obj = CliContext(config=config, lang="vi")

    root.add_command(match_command)
    root.main(["match", "--file", str(path), *(["--json"] if as_json else [])], standalone_mode=False)


def _through_cli(path: Path, config: Path, as_json: bool) -> float:
    """Seconds for a fresh process to run `monitor match --file`: start-up, reading, writing."""
    command = [sys.executable, __file__, "--config", str(config), "--cli-run", str(path)]
    start = time.perf_counter()
    subprocess.run([*command, *(["--json"] if as_json else [])], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _best(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def throughput(brand: BrandSettings, config: Path, count: int) -> None:
    names = generate(count)
    print(f"\n{count} generated names, {len(set(names))} distinct, one core, best of {REPEAT} runs")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "names.txt"
        path.write_text("\n".join(names) + "\n", encoding="utf-8")
        plain = min(_through_cli(path, config, as_json=False) for _ in range(REPEAT))
        as_json = min(_through_cli(path, config, as_json=True) for _ in range(REPEAT))
    profile = BrandProfile.from_settings(brand)
    alone = _best(lambda: Matcher(BrandProfile.from_settings(brand)).score_many(names))
    del profile
    folded = [fold(name) for name in names]  # pre-folded: not timed, as the reference has it easy
    official = fold(brand.name)
    every = [fold(name) for name in brand.all_names]
    single = _best(lambda: [fuzz.WRatio(name, official) for name in folded])
    best_of = _best(
        lambda: [process.extractOne(name, every, scorer=fuzz.WRatio, processor=None) for name in folded]
    )
    rate = {
        key: count / value
        for key, value in {
            "cli": plain, "cli_json": as_json, "matcher": alone, "wratio": single, "wratio_all": best_of,
        }.items()
    }  # fmt: skip
    print(f"  monitor match --file          {rate['cli']:>10,.0f} names/s  (new process: start-up, I/O)")
    print(f"  monitor match --file --json   {rate['cli_json']:>10,.0f} names/s")
    print(f"  Matcher.score_many            {rate['matcher']:>10,.0f} names/s  (new matcher, cold caches)")
    print(f"  WRatio vs the official name   {rate['wratio']:>10,.0f} names/s  (pre-folded strings)")
    print(
        f"  WRatio best of {len(every)} names      {rate['wratio_all']:>10,.0f} names/s  (pre-folded strings)"
    )
    print(
        f"  cli / WRatio single = {rate['cli'] / rate['wratio']:.2f};"
        f" cli / WRatio best-of = {rate['cli'] / rate['wratio_all']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=200_000)
    parser.add_argument("--config", type=Path, default=REPO / "config" / "monitor.toml")
    parser.add_argument("--cli-run", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cli_run:
        _cli_run(args.cli_run, args.config, args.json)
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    brand = load_settings(args.config, environ={}).brands[0]
    quality(Matcher(BrandProfile.from_settings(brand)))
    throughput(brand, args.config, args.names)


if __name__ == "__main__":
    main()
