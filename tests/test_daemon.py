"""The daemon with second-scale intervals: schedule, resilience, clean stop, one leader per database."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.daemon import Daemon, Jobs, run_until_stopped
from monitor.demo.web import SampleWeb
from monitor.settings import load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.lease import read_state
from monitor.store.schema import Scan

REPO = Path(__file__).resolve().parents[1]

# Stops timed in seconds: these tests run one after another on one xdist worker, so that no
# two of them start CPU-heavy monitor processes at the same moment.
pytestmark = pytest.mark.xdist_group("timed_stops")
FAST = {
    "MONITOR_SCHEDULE__SCAN_EVERY": "2s",
    "MONITOR_SCHEDULE__JITTER_SECONDS": "0",
    "MONITOR_SCHEDULE__LEASE_SECONDS": "3",
    "MONITOR_SCHEDULE__SHUTDOWN_WAIT_SECONDS": "8",
    "MONITOR_DIGEST__SEND_EMPTY": "false",
}


@pytest.fixture
def web() -> Iterator[SampleWeb]:
    with SampleWeb() as sample:
        yield sample


def env_for(web: SampleWeb, db_url: str, tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {
        **base,
        **web.overrides(),
        **FAST,
        "MONITOR_CONFIG": str(REPO / "config" / "monitor.toml"),
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_LOG_FORMAT": "json",
    }


def start(env: dict[str, str], tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen([sys.executable, "-m", "monitor", "run"], env=env, stdout=log, stderr=log)


def scans(db_url: str) -> list[Scan]:
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            return list(session.scalars(select(Scan).order_by(Scan.id)))
    finally:
        engine.dispose()


def wait_for(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_scans_on_schedule_and_sigterm_exits_0(web: SampleWeb, db_url: str, tmp_path: Path) -> None:
    process = start(env_for(web, db_url, tmp_path), tmp_path, "daemon")
    try:
        assert wait_for(lambda: len([s for s in scans(db_url) if s.status == "ok"]) >= 3, 90), (
            tmp_path / "daemon.log"
        ).read_text()[-3000:]
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert time.monotonic() - stopped_at < 10
    finally:
        if process.poll() is None:
            process.kill()
    done = [s for s in scans(db_url) if s.status == "ok"]
    gaps = [(b.started_at - a.started_at).total_seconds() for a, b in itertools.pairwise(done)]
    assert all(gap >= 1.5 for gap in gaps), gaps  # never closer than the schedule
    engine = open_database(db_url)
    state = read_state(engine)
    engine.dispose()
    assert state is not None
    assert state.state == "stopped"


def test_sigterm_during_page_work_exits_within_10_s(web: SampleWeb, db_url: str, tmp_path: Path) -> None:
    asked = threading.Event()
    release = threading.Event()
    answer = web.page

    def hanging_page(path: str) -> tuple[int, str]:
        asked.set()
        release.wait(120)  # the page answers only after the test ends
        return answer(path)

    web.page = hanging_page  # type: ignore[method-assign]
    env = {
        **env_for(web, db_url, tmp_path),
        "MONITOR_HTTP__TIMEOUT": "120",
        "MONITOR_SCHEDULE__SHUTDOWN_WAIT_SECONDS": "6",
    }
    process = start(env, tmp_path, "daemon")
    log_path = tmp_path / "daemon.log"
    try:
        # A page read hangs: pages are read while other sources may still run, so this is the event.
        assert asked.wait(60), log_path.read_text()[-3000:]
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, log_path.read_text()[-3000:]
        assert time.monotonic() - stopped_at < 10, log_path.read_text()[-3000:]
    finally:
        release.set()
        if process.poll() is None:
            process.kill()
    text = log_path.read_text()
    assert "daemon_stop_requested" in text
    assert "daemon_stopped" in text
    engine = open_database(db_url)
    state = read_state(engine)
    engine.dispose()
    assert state is not None
    assert state.state == "stopped"


def test_a_stopped_job_does_not_wait_for_its_worker_threads() -> None:
    stop, entered, release = threading.Event(), threading.Event(), threading.Event()

    def stuck() -> None:  # stands for a parse in C code, which nothing can interrupt
        entered.set()
        release.wait(120)

    async def work() -> str:
        await asyncio.to_thread(stuck)
        return "done"

    results: list[str | None] = []
    runner = threading.Thread(target=lambda: results.append(run_until_stopped(work(), stop, grace=0.1)))
    runner.start()
    try:
        assert entered.wait(10)
        stop.set()
        runner.join(10)
        assert not runner.is_alive()
        assert results == [None]
    finally:
        release.set()
        runner.join(10)


def test_a_job_that_finishes_returns_its_value() -> None:
    assert run_until_stopped(asyncio.sleep(0, "report"), threading.Event()) == "report"


def test_exit_is_not_held_by_a_busy_thread(tmp_path: Path) -> None:
    script = (
        "import threading\n"
        "from monitor.daemon import exit_without_stragglers\n"
        "from monitor.log import configure\n"
        "configure('json')\n"
        "threading.Thread(target=threading.Event().wait, name='stuck-parse').start()\n"
        "exit_without_stragglers(grace=0.2)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "daemon_exit_forced" in done.stderr
    assert "stuck-parse" in done.stderr


def test_a_job_that_raises_does_not_stop_the_next(db_url: str, tmp_path: Path) -> None:
    settings = load_settings(
        REPO / "config" / "monitor.toml",
        environ={**FAST, "MONITOR_DATABASE__URL": db_url, "MONITOR_SCHEDULE__SCAN_EVERY": "1s"},
    )
    calls: list[float] = []

    def scan(_sources: object, _stop: threading.Event) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("source exploded")

    engine = open_database(db_url)
    daemon = Daemon(settings, engine, Jobs(scan=scan, digest=lambda: None))
    runner = threading.Thread(target=daemon.run)
    runner.start()
    try:
        assert wait_for(lambda: len(calls) >= 3, 60)
    finally:
        daemon.stop_event.set()
        runner.join(timeout=15)
        engine.dispose()
    assert not runner.is_alive()


def test_two_daemons_one_leader_and_takeover(web: SampleWeb, db_url: str, tmp_path: Path) -> None:
    env = env_for(web, db_url, tmp_path)
    first = start(env, tmp_path, "first")
    assert wait_for(lambda: len(scans(db_url)) >= 1, 60)
    second = start(env, tmp_path, "second")
    try:
        # The second daemon has come up and stood by; the leader meanwhile goes on scanning.
        assert wait_for(lambda: "daemon_standby" in (tmp_path / "second.log").read_text(), 60)
        before = len(scans(db_url))
        assert wait_for(lambda: len([s for s in scans(db_url) if s.finished_at]) >= before + 1, 60)
        rows = scans(db_url)
        finished = [s for s in rows if s.finished_at is not None]
        # Never two scans at once: each one starts after the previous one finished.
        for a, b in itertools.pairwise(finished):
            assert b.started_at >= a.finished_at  # type: ignore[operator]
        leader_log = (tmp_path / "first.log").read_text()
        standby_log = (tmp_path / "second.log").read_text()
        assert "daemon_leading" in leader_log
        assert "daemon_leading" not in standby_log
        assert "daemon_standby" in standby_log
        count = len(rows)
        first.kill()  # dies without releasing anything
        first.wait(timeout=10)
        assert wait_for(lambda: "daemon_leading" in (tmp_path / "second.log").read_text(), 60)
        assert wait_for(lambda: len(scans(db_url)) > count + 1, 60)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=10) == 0
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
