"""A discovery part the settings switch off costs no job: it is planned done, with its skipped runs."""

from __future__ import annotations

import threading
from pathlib import Path

from monitor.queue.steps import DISCOVER, JUDGE, Runtime, plan_scan
from monitor.settings import load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.scan_parts import DONE, WAITING, ScanParts
from monitor.store.scans import ScanRepository

REPO = Path(__file__).resolve().parents[2]
BRAND = "bhxh-binh-duong"


def test_switched_off_parts_are_planned_done_and_report_skipped(tmp_path: Path) -> None:
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_SOURCES__DUCKDUCKGO__ENABLED": "false",
        "MONITOR_SOURCES__YOUTUBE__ENABLED": "false",
        "MONITOR_SOURCES__BRAVE__API_KEY": "key",
        "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
        "MONITOR_SOURCES__CRTSH__ENABLED": "true",
    }
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    engine = open_database(settings.database.url)
    try:
        plan = plan_scan(Runtime(settings, engine, threading.Event()), [BRAND], None, "test")
        with session_scope(session_factory(engine)) as session:
            states = {p.part: p.state for p in ScanParts(session).parts(plan.scan_id, BRAND)}
            runs = {r.source: r for r in ScanRepository(session).runs(plan.scan_id)}
            skipped = {source: (run.status, run.error, run.requests) for source, run in runs.items()}
    finally:
        engine.dispose()

    jobs = {p.part for p in plan.discovery}
    # Brave has a key and look-alikes have crt.sh on: they run. The switched-off engines do not.
    assert DISCOVER + "brave" in jobs
    assert DISCOVER + "domains+crtsh" in jobs
    assert DISCOVER + "duckduckgo" not in jobs
    assert DISCOVER + "youtube" not in jobs
    assert states[DISCOVER + "duckduckgo"] == DONE
    assert states[DISCOVER + "youtube"] == DONE
    assert states[DISCOVER + "brave"] == WAITING
    assert states[JUDGE] == WAITING
    # Reported as an in-process scan reports them: skipped, with the reason, no request made.
    assert skipped == {
        "duckduckgo": ("skipped", "đã tắt trong cấu hình", 0),
        "youtube": ("skipped", "đã tắt trong cấu hình", 0),
    }
    assert plan.brands_without_discovery() == []


def test_a_brand_with_every_part_off_is_judged_at_once(tmp_path: Path) -> None:
    off = {
        f"MONITOR_SOURCES__{key.upper()}__ENABLED": "false"
        for key in ("duckduckgo", "brave", "searxng", "google_cse", "youtube", "domains", "crtsh")
    }
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        **off,
    }
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    engine = open_database(settings.database.url)
    try:
        plan = plan_scan(Runtime(settings, engine, threading.Event()), [BRAND], None, "test")
    finally:
        engine.dispose()
    assert plan.discovery == []
    assert plan.brands_without_discovery() == [BRAND]
