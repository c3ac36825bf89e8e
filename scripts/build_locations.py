"""Write monitor/matching/data/locations.tsv from the `vietnam-provinces` 0.6 data.

vietnam-provinces 0.6.x holds the 63 provinces and their 696 district-level units as they
stood before the 2025 reform; impersonators still use those names, so the matcher needs them.
The 34 provinces after the 2025 merger all keep the name of one of the 63.

    pip download --no-deps 'vietnam-provinces>=0.6,<0.7' -d /tmp/vp
    python scripts/build_locations.py /tmp/vp/vietnam_provinces-0.6.0-py3-none-any.whl
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "monitor" / "matching" / "data" / "locations.tsv"
TYPES = ("Thành phố", "Thị xã", "Quận", "Huyện", "Tỉnh")


def split_type(full: str) -> tuple[str, str]:
    for unit_type in TYPES:
        if full.lower().startswith(unit_type.lower() + " "):
            return unit_type, full[len(unit_type) + 1 :].strip()
    raise ValueError(f"no unit type in {full!r}")


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        data = json.loads(archive.read("vietnam_provinces/data/nested-divisions.json"))
    lines = [
        "# Vietnam's provinces and district-level units before the 2025 reform.",
        "# Source: the vietnam-provinces package 0.6.0 (nested-divisions.json); written by",
        "# scripts/build_locations.py. Columns: kind, unit type, name, province.",
    ]
    for province in data:
        p_type, p_name = split_type(province["name"])
        lines.append(f"province\t{p_type}\t{p_name}\t")
        for district in province["districts"]:
            d_type, d_name = split_type(district["name"])
            lines.append(f"district\t{d_type}\t{d_name}\t{p_name}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(data)} provinces, {len(lines) - 3 - len(data)} districts")


if __name__ == "__main__":
    main(sys.argv[1])
