"""When the queue's tick finds a scan due: intervals, running scans, and `--no-initial-scan`."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.queue.app import Queue
from monitor.queue.schedule import MAIN, due_scans
from monitor.queue.steps import Runtime
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_scope
from monitor.store.scans import QUEUED, ScanRepository

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def _settings(tmp_path: Path, **extra: str) -> Settings:
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_SCHEDULE__SCAN_EVERY": "6h",
        **extra,
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def _due(rt: Runtime, now: datetime, quiet_since: datetime | None = None) -> list[str]:
    return [trigger for _, trigger in due_scans(rt, now, quiet_since)]


def test_a_group_is_due_after_its_interval_and_never_while_it_runs(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    engine = open_database(settings.database.url)
    rt = Runtime(settings, engine, threading.Event())
    try:
        assert _due(rt, NOW) == [MAIN]  # never scanned: at once
        with session_scope(rt.factory) as session:
            scan = ScanRepository(session).start(["bhxh-binh-duong"], MAIN, now=NOW, owner=QUEUED)
            scan_id = scan.id
        assert _due(rt, NOW + timedelta(hours=7)) == []  # still running
        with session_scope(rt.factory) as session:
            repo = ScanRepository(session)
            found = repo.get(scan_id)
            assert found is not None
            repo.finish(found, "ok", {})
        assert _due(rt, NOW + timedelta(hours=5)) == []
        assert _due(rt, NOW + timedelta(hours=6)) == [MAIN]
    finally:
        engine.dispose()


def test_without_an_initial_scan_a_new_group_waits_one_interval(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    engine = open_database(settings.database.url)
    rt = Runtime(settings, engine, threading.Event())
    try:
        assert _due(rt, NOW, quiet_since=NOW) == []
        assert _due(rt, NOW + timedelta(hours=3), quiet_since=NOW) == []
        assert _due(rt, NOW + timedelta(hours=6), quiet_since=NOW) == [MAIN]
    finally:
        engine.dispose()


def test_the_scheduler_hands_its_start_to_the_tick_only_without_an_initial_scan(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path,
        MONITOR_DATABASE__URL="postgresql+psycopg://postgres@127.0.0.1:5432/not_connected",
        MONITOR_QUEUE__BACKEND="procrastinate",
    )

    def tick_kwargs(initial_scan: bool) -> dict[str, object]:
        queue = Queue(settings)  # registers the tasks; nothing connects until the app is opened
        queue.schedule(initial_scan=initial_scan)
        periodic = queue.app.periodic_registry.periodic_tasks
        tick = next(task for (_, periodic_id), task in periodic.items() if periodic_id == "tick")
        return dict(tick.configure_kwargs.get("task_kwargs") or {})

    before = int(time.time())
    assert tick_kwargs(True) == {}
    quiet = tick_kwargs(False)
    assert set(quiet) == {"quiet_since"}
    assert before <= int(str(quiet["quiet_since"])) <= int(time.time())
