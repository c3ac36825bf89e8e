"""SIGTERM to `monitor scan` while a page request hangs: it ends at once, interrupted, keeping its reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import anyio.to_thread
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding, Notification, Observation, Scan, SourceRun
from tests.support.loopback import serve
from tests.support.page_web import Page, PageWeb, telegram_page

REPO = Path(__file__).resolve().parents[1]
NAME = "Bảo Hiểm Xã Hội Bình Dương - Hỗ trợ rút BHXH 1 lần"
SNIPPET = "Hỗ trợ rút BHXH 1 lần nhanh, nhận tiền trong ngày. Liên hệ Zalo 0901 234 567."
READ = "telegram:bhxhbd_hotro_rut"  # its page answers
HELD = "telegram:bhxhbd_cskh_24h"  # its page is held open until the scan is stopped
HELD_PATH = "/tme/bhxhbd_cskh_24h"
STOP_WITHIN = 5.0

# Stops timed in seconds: these tests run one after another on one xdist worker, so that no
# two of them start CPU-heavy monitor processes at the same moment.
pytestmark = pytest.mark.xdist_group("timed_stops")


class _Web:
    """page_web's answers, plus an event set when the held page is asked for, and a webhook."""

    def __init__(self) -> None:
        self.pages = PageWeb()
        self.held_asked = threading.Event()
        self.hold_search = False
        self.search_asked = threading.Event()
        self.alerts: list[str] = []
        self.lock = threading.Lock()

    async def answer(self, request: Request) -> Response:
        if request.url.path == HELD_PATH:
            self.held_asked.set()
        if request.url.path.startswith("/brave/") and self.hold_search:
            self.search_asked.set()
            await anyio.to_thread.run_sync(self.pages.release.wait)
        return await self.pages.answer(request)

    async def hook(self, request: Request) -> JSONResponse:
        with self.lock:
            self.alerts.append(request.headers.get("idempotency-key", ""))
        return JSONResponse({"ok": True})


@pytest.fixture
def web() -> Iterator[_Web]:
    state = _Web()
    app = Starlette(
        routes=[Route("/hook", state.hook, methods=["POST"]), Route("/{path:path}", state.answer)]
    )
    with serve(app) as base:
        state.pages.base = base
        try:
            yield state
        finally:
            state.pages.release.set()


def _env(web: _Web, db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
        **web.pages.overrides(),
        "MONITOR_CONFIG": str(REPO / "config" / "monitor.toml"),
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_ALERTS__WEBHOOK__URL": f"{web.pages.base}/hook",
        "MONITOR_LIFECYCLE__GONE_AFTER_MISSES": "1",
        "MONITOR_HTTP__TIMEOUT": "120",  # the held page would outlast any stop
        "MONITOR_LOG_FORMAT": "json",
        "MONITOR_LOG_LEVEL": "debug",
    }


def _scan_until_held(command: list[str], env: dict[str, str], web: _Web) -> tuple[int, float, str]:
    """Start a scan; once the held page is asked for and the other page read, SIGTERM it."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    read = threading.Event()

    def watch() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if '"page_read"' in line and READ in line:
                read.set()
        process.stderr.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        assert web.held_asked.wait(120), "the scan never asked for the held page"
        assert read.wait(120), "the scan never read the answering page"
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.stdout is not None
        out = process.stdout.read()
        process.wait(timeout=60)
        took = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    watcher.join(timeout=60)
    return process.returncode, took, out


def test_sigterm_ends_the_scan_interrupted_keeping_what_it_read(
    db_url: str, tmp_path: Path, web: _Web
) -> None:
    for identity in (READ, HELD):
        handle = identity.split(":", 1)[1]
        web.pages.results.append((f"{NAME} – Telegram", f"https://t.me/{handle}", SNIPPET))
    web.pages.pages[f"/tme/{READ.split(':', 1)[1]}"] = Page(body=telegram_page(NAME, SNIPPET))
    web.pages.pages[HELD_PATH] = Page(hang=True)
    env = _env(web, db_url, tmp_path)
    command = [sys.executable, "-m", "monitor", "scan", "--json", "--source", "brave"]

    code, took, out = _scan_until_held(command, env, web)
    assert code == 128 + signal.SIGTERM, out[-2000:]
    assert took < STOP_WITHIN
    shown = json.loads(out)
    assert shown["status"] == "interrupted"
    assert shown["outcome"]["exit_code"] == 143

    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        scan = session.scalars(select(Scan)).one()
        assert scan.status == "interrupted"
        assert scan.finished_at is not None
        runs = {run.source: run.status for run in session.scalars(select(SourceRun))}
        assert runs["brave"] == "ok"  # the search had answered before the stop
        assert set(session.scalars(select(Finding.identity))) == {READ}  # read: kept; held: next time
        queued = session.scalar(select(func.count()).select_from(Notification))
    assert queued == 1
    assert web.alerts == []  # a stopping scan leaves delivery to the next round

    # The next scan reads the held page; nothing is found twice, alerted twice or marked gone.
    web.pages.pages[HELD_PATH] = Page(body=telegram_page(NAME, SNIPPET))
    web.pages.release.set()
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout)["status"] == "ok"
    with session_scope(factory) as session:
        rows = list(session.scalars(select(Finding)))
        events = list(session.execute(select(Observation.finding_id, Observation.event)).all())
        notifications = list(session.scalars(select(Notification.finding_id)))
    engine.dispose()
    assert sorted(f.identity for f in rows) == sorted([READ, HELD])
    assert {f.status for f in rows} == {"active"}
    assert sorted(event for _, event in events) == ["new", "new"]
    assert sorted(notifications) == sorted(f.id for f in rows)  # one alert per finding
    assert len(web.alerts) == 2
    assert len(set(web.alerts)) == 2


def test_the_stop_line_says_what_was_kept_in_vietnamese_by_default() -> None:
    from datetime import UTC, datetime

    from monitor.commands.scan import stopped_line
    from monitor.report import ScanReport

    report = ScanReport(scan_id=7, started_at=datetime.now(UTC), candidates=3)
    report.events["new"].append({"id": 1})
    line = stopped_line(report, "SIGTERM", "vi")
    assert line.startswith("Đã dừng lần quét #7 theo yêu cầu (SIGTERM). Đã lưu những gì đọc được: ")
    assert "3 ứng viên, 1 sự kiện" in line
    assert "không trang nào bị coi là không còn thấy" in line
    assert "nothing was marked gone" in stopped_line(report, "SIGINT", "en")
    report.dry_run = True
    assert "chạy thử nên không lưu gì" in stopped_line(report, "SIGINT", "vi")


def test_a_source_cut_short_by_the_stop_is_skipped_never_failed(
    db_url: str, tmp_path: Path, web: _Web
) -> None:
    import asyncio

    from monitor.scan import Scanner
    from monitor.settings import load_settings

    web.hold_search = True
    env = _env(web, db_url, tmp_path)
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    engine = open_database(db_url)
    scanner = Scanner(settings, engine, notify=False)

    def stop_once_asked() -> None:
        if web.search_asked.wait(120):
            scanner.stop.set()

    stopper = threading.Thread(target=stop_once_asked, daemon=True)
    stopper.start()
    try:
        report = asyncio.run(scanner.run(None, ["brave"]))
    finally:
        web.pages.release.set()
        stopper.join(timeout=60)
    assert web.search_asked.is_set()
    assert report.status == "interrupted"
    brave = [s for s in report.sources if s.name == "brave"]
    assert [(s.status, s.error) for s in brave] == [("skipped", "stopped")]
    assert report.followups == []  # a stopping scan runs no follow-up
    with session_scope(session_factory(engine)) as session:
        runs = {run.source: (run.status, run.error) for run in session.scalars(select(SourceRun))}
        assert session.scalars(select(Scan.status)).one() == "interrupted"
    engine.dispose()
    assert runs["brave"] == ("skipped", "stopped")
    assert "failed" not in {status for status, _ in runs.values()}
