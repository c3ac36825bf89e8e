"""The character tables kept in the cache folder are the tables built from Unicode data; a
damaged or unwritable cache only means building them again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from monitor.matching import charmap


def _same(a: charmap.CharTables, b: charmap.CharTables) -> None:
    assert a.table == b.table
    assert a.kinds == b.kinds
    assert a.vietnamese_letters == b.vietnamese_letters
    for name in ("special", "invisible", "bidi", "decorated", "homoglyph"):
        left, right = getattr(a, name), getattr(b, name)
        assert (left.bmp.pattern, left.astral.pattern) == (right.bmp.pattern, right.astral.pattern)


def test_tables_read_from_the_cache_are_the_tables_built(tmp_path: Path) -> None:
    built = charmap._tables(charmap._build_parts())
    first = charmap.cached_parts(tmp_path)  # built and kept
    [kept] = tmp_path.glob("chartables-*.json")
    stamp = kept.stat().st_mtime_ns
    second = charmap.cached_parts(tmp_path)  # read back
    assert kept.stat().st_mtime_ns == stamp
    _same(charmap._tables(first), built)
    _same(charmap._tables(second), built)
    # The tables still catch what they are for, read from the cache.
    tables = charmap._tables(second)
    assert "\u0430".translate(tables.table) == "a"  # Cyrillic a
    assert "\u200b".translate(tables.table) == ""
    assert "ệ" in tables.vietnamese_letters
    assert ord("ệ") not in tables.table


EMPTIED = '{"table": {}, "invisible": [], "decorated": [], "homoglyph": []}'
WRONG_TYPES = '{"table": [], "invisible": {}, "decorated": "x", "homoglyph": null}'


@pytest.mark.parametrize("damage", ["{not json", '{"table": {}}', "[]", "", EMPTIED, WRONG_TYPES])
def test_a_damaged_cache_is_built_again(tmp_path: Path, damage: str) -> None:
    charmap.cached_parts(tmp_path)
    [kept] = tmp_path.glob("chartables-*.json")
    kept.write_text(damage, encoding="utf-8")
    parts = charmap.cached_parts(tmp_path)
    assert parts == charmap._build_parts()
    assert json.loads(kept.read_text(encoding="utf-8")) == parts  # and kept again


def test_an_unwritable_cache_folder_still_gives_the_tables(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x", encoding="utf-8")
    parts = charmap.cached_parts(blocked / "monitor")  # its parent is a file: nothing can be written
    assert parts == charmap._build_parts()
    assert not (blocked / "monitor").exists()


def test_the_cache_name_follows_the_module_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    charmap.cached_parts(tmp_path)
    before = {p.name for p in tmp_path.glob("chartables-*.json")}
    changed = tmp_path / "charmap_copy.py"
    changed.write_bytes(Path(charmap.__file__).read_bytes() + b"\n# another version\n")
    monkeypatch.setattr(charmap, "__file__", os.fspath(changed))
    charmap.cached_parts(tmp_path)
    after = {p.name for p in tmp_path.glob("chartables-*.json")}
    assert len(after) == 2
    assert before < after


def test_a_file_left_half_written_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(charmap.os, "replace", fail)
    assert charmap.cached_parts(tmp_path) == charmap._build_parts()
    assert list(tmp_path.iterdir()) == []
