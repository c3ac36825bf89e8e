"""A job that raises is retried with back-off and recorded; when its tries are spent the scan goes on
without it and says so — never dropped in silence, never left running for ever."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from procrastinate.jobs import Job
from sqlalchemy import text

from monitor.demo.web import SampleWeb
from monitor.queue import steps
from monitor.queue.app import Queue, Retries, bind
from monitor.queue.steps import Released, Runtime, plan_scan
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_scope
from monitor.store.scan_parts import JUDGE, ScanParts
from monitor.store.scans import ScanRepository

REPO = Path(__file__).resolve().parents[2]
BRAND = "bhxh-binh-duong"


def job(attempts: int) -> Job:
    return Job(
        id=1, queue="judge", lock=None, queueing_lock=None, task_name="monitor.judge", attempts=attempts
    )


def test_retries_back_off_exponentially_and_stop_after_the_configured_tries() -> None:
    retries = Retries(attempts=3, wait=10)
    waits = []
    for attempts in range(3):
        decision = retries.get_retry_decision(exception=RuntimeError("x"), job=job(attempts))
        assert decision is not None
        assert decision.retry_at is not None
        waits.append(decision.retry_at)
    assert waits[0] < waits[1] < waits[2]  # 10 s, 20 s, 40 s from now
    assert retries.get_retry_decision(exception=RuntimeError("x"), job=job(3)) is None
    # A job handed back by a stopping worker runs again at once, whatever its count.
    handed_back = retries.get_retry_decision(exception=Released("stop"), job=job(99))
    assert handed_back is not None


@pytest.fixture
def web() -> Iterator[SampleWeb]:
    with SampleWeb() as sample:
        yield sample


@pytest.fixture
def settings(web: SampleWeb, pg_url: str, tmp_path: Path) -> Settings:
    env = {
        **web.overrides(),
        "MONITOR_DATABASE__URL": pg_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_QUEUE__BACKEND": "procrastinate",
        "MONITOR_QUEUE__JOB_RETRIES": "2",
        "MONITOR_QUEUE__RETRY_WAIT_SECONDS": "0",
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def test_a_judgement_that_keeps_failing_is_retried_then_recorded_failed_and_the_scan_closed(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    async def broken(rt: Runtime, scan_id: int, brand: str, *args: object, **kwargs: object) -> object:
        calls.append(scan_id)
        raise RuntimeError("the matcher broke")

    monkeypatch.setattr(steps, "judge", broken)
    engine = open_database(settings.database.url)
    rt = Runtime(settings, engine, threading.Event())
    queue = Queue(settings)

    async def run() -> int:
        async with queue.app.open_async():
            plan = plan_scan(rt, [BRAND], ["brave"], "cli")
            await queue.defer_plan(plan, ["brave"], notify=False)
            bind(rt)
            try:
                await queue.app.run_worker_async(wait=False, install_signal_handlers=False)
            finally:
                bind(None)
            return plan.scan_id

    try:
        scan_id = asyncio.run(run())
        with session_scope(rt.factory) as session:
            scan = ScanRepository(session).get(scan_id)
            assert scan is not None
            assert scan.status == "failed"  # its only brand was never judged: not "ok"
            judged = [p for p in ScanParts(session).parts(scan_id) if p.part == JUDGE]
            assert judged[0].state == "done"
            assert "the matcher broke" in judged[0].outcome["error"]
            runs = {run.source: run.status for run in ScanRepository(session).runs(scan_id)}
            assert runs["brave"] == "ok"  # discovery itself went fine
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT status::text, attempts FROM procrastinate_jobs WHERE task_name = 'monitor.judge'"
                )
            ).all()
        assert [tuple(row) for row in rows] == [("failed", 3)]
        assert len(calls) == 3  # the first try and two retries
    finally:
        engine.dispose()
