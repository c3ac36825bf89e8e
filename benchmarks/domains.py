"""Look-alike domain figures: permutations per fuzzer family, and look-up speed on a loopback DNS server.

Run from the repository root: .venv/bin/python benchmarks/domains.py [--names 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the loopback DNS server lives with the tests

from monitor.domains.dns import resolve_many  # noqa: E402
from monitor.domains.names import finding_key  # noqa: E402
from monitor.domains.permutations import FAMILIES, generate  # noqa: E402
from monitor.settings import BrandSettings, DomainsSettings, load_settings  # noqa: E402
from tests.domains.dnsserver import FakeZones, dns_server  # noqa: E402

DOMAINS = ("binhduong.baohiemxahoi.gov.vn", "baohiemxahoi.gov.vn")


def families(brand: BrandSettings, tlds: list[str]) -> None:
    print(f"TLDs: {', '.join(tlds)}")
    columns = [
        Counter(p.fuzzer for p in generate(brand.model_copy(update={"official_domains": [d]}), tlds))
        for d in DOMAINS
    ]
    print(f"{'family':<15}" + "".join(f"{d:>32}" for d in DOMAINS))
    for family in FAMILIES:
        print(f"{family:<15}" + "".join(f"{c[family]:>32}" for c in columns))
    print(f"{'total':<15}" + "".join(f"{sum(c.values()):>32}" for c in columns))
    missing = [f for f in FAMILIES if f != "various" and not all(c[f] for c in columns)]
    print(f"families missing: {', '.join(missing) or 'none'}")
    whole = generate(brand, tlds)
    keys = {finding_key(p.domain) for p in whole}
    print(
        f"whole brand ({len(brand.official_domains)} official domains): {len(whole)} names, "
        f"{len(keys)} finding keys (first-round look-ups)"
    )


def resolve_time(brand: BrandSettings, settings: DomainsSettings, count: int) -> None:
    keys = list(dict.fromkeys(finding_key(p.domain) for p in generate(brand, settings.tlds)))
    names = keys[:count] + [f"filler{i}.example" for i in range(max(0, count - len(keys)))]
    registered = {name: {"A": ["127.0.0.1"], "NS": [f"ns1.{name}"]} for name in names[::100]}
    zones = FakeZones(records=registered)
    with dns_server(zones) as address:
        started = time.perf_counter()
        answers = asyncio.run(resolve_many(names, [address], settings.concurrency, settings.timeout))
        elapsed = time.perf_counter() - started
    statuses = Counter(a.status for a in answers.values())
    print(
        f"resolved {len(answers)} names against {address} at concurrency {settings.concurrency} "
        f"(timeout {settings.timeout} s): {elapsed:.2f} s, {len(answers) / elapsed:.0f} names/s, "
        f"{len(zones.queries)} queries; {dict(statuses)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=5000)
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "monitor.toml")
    args = parser.parse_args()
    settings = load_settings(args.config, environ={})
    brand = settings.brands[0]
    defaults = settings.sources.domains
    families(brand, list(defaults.tlds))
    print()
    resolve_time(brand, defaults, args.names)


if __name__ == "__main__":
    main()
