"""While scans run, the objects held before them are out of the collector's way; afterwards they
are collected as before."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

from monitor import heap
from monitor.scan import Scanner
from monitor.settings import load_settings
from monitor.store.db import open_database

REPO = Path(__file__).resolve().parents[1]


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_older_objects_are_set_aside_while_scans_run_and_collected_after() -> None:
    assert heap.running() == 0
    older = Node()
    gone = weakref.ref(older)
    with heap.older_objects_aside():
        assert gc.get_freeze_count() > 0
        with heap.older_objects_aside():  # a second scan beside the first
            assert heap.running() == 2
        assert heap.running() == 1
        assert gc.get_freeze_count() > 0  # still set aside: the first scan runs on
        del older
        gc.collect()
        assert gone() is not None  # frozen: a full collection does not walk it
    assert heap.running() == 0
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert gone() is None


def test_a_scan_sets_the_older_objects_aside_and_puts_them_back(tmp_path: Path) -> None:
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
        "MONITOR_SOURCES__CRTSH__ENABLED": "false",
    }
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    engine = open_database(settings.database.url)
    seen: list[int] = []
    scanner = Scanner(settings, engine, notify=False)
    original = scanner._finish

    async def finish(report: object) -> object:
        seen.append(gc.get_freeze_count())
        return await original(report)  # type: ignore[arg-type]

    scanner._finish = finish  # type: ignore[method-assign,assignment]
    try:
        asyncio.run(scanner.run(["bhxh-binh-duong"], ["tips"]))
    finally:
        engine.dispose()
    assert len(seen) == 1
    assert seen[0] > 0
    assert gc.get_freeze_count() == 0
