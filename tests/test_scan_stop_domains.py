"""A scan stopped during look-alike DNS look-ups: its domain runs are skipped and nothing goes missing."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from sqlalchemy import select

from monitor.scan import Scanner
from monitor.settings import Settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding
from tests.test_scan_domains import ONLY, World, scan, settings, source_runs, world

__all__ = ["settings", "world"]  # the look-alike world's fixtures, used here


def test_a_stop_during_dns_look_ups_skips_the_domain_runs_and_marks_nothing_gone(
    settings: Settings, world: World
) -> None:
    first = scan(settings)
    assert first.status == "ok"
    engine = open_database(settings.database.url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        before = {f.identity: (f.status, f.misses) for f in session.scalars(select(Finding))}
    assert before

    scanner = Scanner(settings, engine, notify=False)
    answer = world.zones.resolve
    asked = threading.Event()

    def resolve(request: Any, handler: Any) -> Any:
        if not asked.is_set():
            asked.set()
            scanner.stop.set()  # the first look-up of this scan stops it; the rest go unanswered
        return answer(request, handler)

    world.zones.silent = frozenset({"."})
    world.zones.resolve = resolve  # type: ignore[method-assign]
    report = asyncio.run(scanner.run(None, ONLY))
    assert asked.is_set()
    assert report.status == "interrupted"
    runs = source_runs(settings, report.scan_id)
    assert {key: (status, error) for key, (status, _, error) in runs.items()} == {
        "domains": ("skipped", "stopped"),
        "crtsh": ("skipped", "stopped"),
    }
    assert report.events["gone"] == []
    with session_scope(factory) as session:
        after = {f.identity: (f.status, f.misses) for f in session.scalars(select(Finding))}
    engine.dispose()
    assert after == before  # a stopped scan looked nowhere fully: no miss, nothing gone
