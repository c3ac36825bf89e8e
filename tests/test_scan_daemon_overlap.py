"""`monitor scan` while the `monitor run` daemon is mid-scan: refused with 75, and nothing recorded twice."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import BrandLock, Finding, Observation, Scan
from tests.support.hostile_web import HostileWeb, hostile_web

BRAND = "bhxh-binh-duong"
RENAMED = "telegram:bhxhbd_cskh_nhom"
TIMEOUT = 300.0  # hang guards only: every wait below ends on an event


@pytest.fixture
def web() -> Iterator[HostileWeb]:
    with hostile_web() as hostile:
        yield hostile


def manual_scan(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "scan", "--brand", BRAND, "--json", "--no-notify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def scans(db_url: str) -> list[Scan]:
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            return list(session.scalars(select(Scan).order_by(Scan.id)))
    finally:
        engine.dispose()


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_manual_scan_during_a_daemon_scan_is_refused_and_no_change_is_recorded_twice(
    web: HostileWeb, db_url: str, tmp_path: Path
) -> None:
    env = web.command_env(db_url, tmp_path)
    first = manual_scan(env)
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(json.loads(first.stdout)["new"]) == len(web.fakes)

    # The group is renamed in the search results: the next scan that runs records one change.
    web.results = [
        (f"{title} (hỗ trợ 24/7)" if url.endswith("/bhxhbd_cskh_nhom") else title, url, snippet)
        for title, url, snippet in web.results
    ]
    web.hold.set()  # the daemon's search waits for the test
    daemon_env = {
        **env,
        "MONITOR_SCHEDULE__SCAN_EVERY": "1h",
        "MONITOR_SCHEDULE__JITTER_SECONDS": "0",
        "MONITOR_SCHEDULE__SHUTDOWN_WAIT_SECONDS": "8",
        "MONITOR_DIGEST__SEND_EMPTY": "false",
    }
    log_path = tmp_path / "daemon.log"
    with log_path.open("wb") as log:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"], env=daemon_env, stdout=log, stderr=log
        )
    try:
        assert web.searching.wait(TIMEOUT), log_path.read_text()[-3000:]
        running = scans(db_url)[-1]
        assert (running.trigger, running.status) == ("daemon", "running")
        assert running.owner is not None
        assert f":{daemon.pid}:" in running.owner  # held by the daemon process, not by this one

        refused = manual_scan(env)
        assert refused.returncode == 75, refused.stderr[-3000:]
        assert json.loads(refused.stdout) == {"error": "scan_busy", "holders": {BRAND: running.owner}}
        assert "Không quét: thương hiệu" in refused.stderr
        assert f"tiến trình {daemon.pid}" in refused.stderr
        assert "Traceback" not in refused.stderr

        web.hold.clear()
        web.release.set()
        assert wait_for(lambda: scans(db_url)[-1].status != "running", TIMEOUT), log_path.read_text()[-3000:]
        daemon_scan = scans(db_url)[-1]
        assert (daemon_scan.id, daemon_scan.status) == (running.id, "ok")

        after = manual_scan(env)  # the brand is free again: it runs, and finds nothing new
        assert after.returncode == 0, after.stderr[-3000:]
        report = json.loads(after.stdout)
        assert not any(report[kind] for kind in ("new", "changed", "gone", "taken_down", "reappeared"))

        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=TIMEOUT) == 0, log_path.read_text()[-3000:]
    finally:
        web.release.set()
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait(timeout=10)
    assert "Traceback" not in log_path.read_text()

    rows = scans(db_url)
    assert [(s.trigger, s.status) for s in rows] == [("cli", "ok"), ("daemon", "ok"), ("cli", "ok")]
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            seen = list(
                session.execute(
                    select(Finding.identity, Observation.event, Observation.scan_id).join(
                        Finding, Finding.id == Observation.finding_id
                    )
                )
            )
            owners = dict(session.execute(select(BrandLock.brand, BrandLock.owner)).all())
    finally:
        engine.dispose()
    events = Counter((identity, event) for identity, event, _ in seen)
    assert max(events.values()) == 1  # no finding has any event twice
    assert {key for key in events if key[1] == "changed"} == {(RENAMED, "changed")}
    assert {scan_id for identity, event, scan_id in seen if event == "changed"} == {running.id}
    assert sum(1 for _, event in events if event == "new") == len(web.fakes)
    # The daemon scans every office of the shipped brands file; every scan let go of its brands.
    assert owners[BRAND] is None
    assert set(owners.values()) == {None}
