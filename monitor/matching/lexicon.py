"""The data files the matcher ships: Vietnam's administrative units and its word lists."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_PACKAGE = "monitor.matching"


@dataclass(frozen=True)
class Unit:
    """One province or district-level unit."""

    kind: str  # "province" | "district"
    unit_type: str  # "Tỉnh", "Thành phố", "Quận", "Huyện", "Thị xã"
    name: str  # without the unit type: "Bình Định", "Thủ Đức", "1"
    province: str  # the province of a district ("" for a province)


@dataclass(frozen=True)
class Lexicon:
    units: tuple[Unit, ...]
    location_aliases: dict[str, tuple[str, ...]]
    organization_synonyms: dict[str, tuple[str, ...]]
    national: tuple[str, ...]
    region_count: int
    region_words: tuple[str, ...]
    claims: tuple[str, ...]
    scam_specific: tuple[str, ...]
    scam_generic: tuple[str, ...]
    service: tuple[str, ...]
    filler: tuple[str, ...]
    headline: tuple[str, ...]
    headline_strong: tuple[str, ...]
    staff: tuple[str, ...]
    third_party: dict[str, tuple[str, ...]]


def _read(name: str) -> str:
    return resources.files(_PACKAGE).joinpath("data", name).read_text(encoding="utf-8")


def _strings(data: dict[str, Any], section: str, key: str) -> tuple[str, ...]:
    return tuple(str(item) for item in data.get(section, {}).get(key, []))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Load the shipped data files (once)."""
    units: list[Unit] = []
    for line in _read("locations.tsv").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, unit_type, name, province = ([*line.split("\t"), "", "", ""])[:4]
        units.append(Unit(kind.strip(), unit_type.strip(), name.strip(), province.strip()))
    data = tomllib.loads(_read("lexicon.toml"))
    aliases = {str(k): tuple(str(v) for v in vs) for k, vs in data.get("location_aliases", {}).items()}
    synonyms = {str(k): tuple(str(v) for v in vs) for k, vs in data.get("organization_synonyms", {}).items()}
    third = {str(k): tuple(str(v) for v in vs) for k, vs in data.get("third_party", {}).items()}
    return Lexicon(
        units=tuple(units),
        location_aliases=aliases,
        organization_synonyms=synonyms,
        national=_strings(data, "national", "names"),
        region_count=int(data.get("regions", {}).get("count", 0)),
        region_words=_strings(data, "regions", "words"),
        claims=_strings(data, "claims", "words"),
        scam_specific=_strings(data, "scam", "specific"),
        scam_generic=_strings(data, "scam", "generic"),
        service=_strings(data, "service", "words"),
        filler=_strings(data, "filler", "words"),
        headline=_strings(data, "headline", "words"),
        headline_strong=_strings(data, "headline", "strong"),
        staff=_strings(data, "staff", "words"),
        third_party=third,
    )
