"""`--json` outputs write bidi and other invisible characters as \\uXXXX escapes, values unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.commands.test_findings import HOSTILE, REPO, invoke, seed

HIDDEN = "\u202e\u2066\u2069\u200e\u200f\u061c\u2028\u2029"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "monitor.toml"


def test_findings_list_and_show_escape_bidi_controls(config: Path, db_url: str) -> None:
    seed(db_url)
    listed = invoke(config, db_url, "findings", "list", "--json")
    assert "\\u202e" in listed
    assert not any(ch in listed for ch in HIDDEN)
    rows = json.loads(listed)
    hostile = next(row for row in rows if row["identity"] == "facebook:page:fake1")
    assert hostile["name"] == HOSTILE  # escaped on the wire, intact once parsed
    shown = invoke(config, db_url, "findings", "show", str(hostile["id"]), "--json")
    assert "\\u202e" in shown
    assert "\u202e" not in shown
    assert "Bình Dương" in shown
