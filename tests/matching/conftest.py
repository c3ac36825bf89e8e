"""Fixtures of the matcher tests: the repository's brand, compiled once per session."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.matching import BrandProfile, Matcher
from monitor.settings import BrandSettings, load_settings

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "config" / "monitor.toml"
LABELLED = Path(__file__).with_name("labelled_names.tsv")
# A second sample, kept apart: names written to measure how the matcher generalises.
HELDOUT = Path(__file__).with_name("heldout_names.tsv")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|\\)")


def unescape(text: str) -> str:
    """Undo the \\uXXXX escapes the labelled file uses for characters that do not show."""
    return _ESCAPE.sub(lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), text)


def labelled_rows(path: Path | None = None) -> list[tuple[str, str, str]]:
    """(expect, category, name) for every row of a labelled file (default: labelled_names.tsv)."""
    rows = []
    for line in (path or LABELLED).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        expect, category, name = line.split("\t")
        rows.append((expect, category, unescape(name)))
    return rows


@pytest.fixture(scope="session")
def brand() -> BrandSettings:
    return load_settings(CONFIG, environ={}).brands[0]


@pytest.fixture(scope="session")
def profile(brand: BrandSettings) -> BrandProfile:
    return BrandProfile.from_settings(brand)


@pytest.fixture(scope="session")
def matcher(profile: BrandProfile) -> Matcher:
    return Matcher(profile)
