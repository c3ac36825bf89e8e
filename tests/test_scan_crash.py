"""kill -9 in the middle of scans, then a clean scan: no duplicate findings or alerts, none lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from monitor.demo.web import SampleWeb
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding, Notification, Observation, Scan
from tests.support.loopback import serve
from tests.test_scan import BRAND, PLANTED

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def hook() -> Iterator[tuple[list[str], str]]:
    keys: list[str] = []
    lock = threading.Lock()

    async def receive(request: Request) -> JSONResponse:
        with lock:
            keys.append(request.headers.get("idempotency-key", ""))
        return JSONResponse({"ok": True})

    with serve(Starlette(routes=[Route("/hook", receive, methods=["POST"])])) as base:
        yield keys, f"{base}/hook"


# Log events at which a scan is killed: before any source finished, between sources, after the
# candidates were merged, after the first finding queued its alert, after the first alert went out.
STAGES = ("scan_started", "source_run_recorded", "candidates_merged", "alert_queued", "alert_sent")
STAGE_TIMEOUT = 300.0


def _kill_at(command: list[str], env: dict[str, str], stage: str) -> bool:
    """Start a scan, SIGKILL it as soon as its log shows `stage`; True when it was killed there."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    reached = threading.Event()

    def watch() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if f'"event": "{stage}"' in line or f'"event":"{stage}"' in line:
                process.send_signal(signal.SIGKILL)
                reached.set()
        process.stderr.close()

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    process.wait(timeout=STAGE_TIMEOUT)
    reader.join(timeout=STAGE_TIMEOUT)
    return reached.is_set() and process.returncode == -signal.SIGKILL


def test_kill_9_mid_scan_loses_and_duplicates_nothing(
    db_url: str, tmp_path: Path, hook: tuple[list[str], str]
) -> None:
    with SampleWeb() as web:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
            **web.overrides(),
            "MONITOR_CONFIG": str(REPO / "config" / "monitor.toml"),
            "MONITOR_DATABASE__URL": db_url,
            "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
            "MONITOR_ALERTS__WEBHOOK__URL": hook[1],
            "MONITOR_HTTP__MAX_CONCURRENCY": "2",
            "MONITOR_LOG_FORMAT": "json",
        }
        # One office: the sample web plants its fakes only (the other offices find nothing there).
        command = [sys.executable, "-m", "monitor", "scan", "--json", "--brand", BRAND]
        web.state.delay = 0.05
        # Each run is cut off right after it has reached one more stage: events, not clock time, so a
        # busy machine cuts at the same places as an idle one.
        killed = 0
        for stage in STAGES:
            if _kill_at(command, env, stage):
                killed += 1
        assert killed == len(STAGES)  # the scans really were cut off
        web.state.delay = 0
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert final.returncode == 0, final.stderr[-2000:]
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert again.returncode == 0
    engine = open_database(db_url)
    factory = session_factory(engine)

    def counts() -> tuple[list[str], int, dict[str, int]]:
        with session_scope(factory) as session:
            identities = list(session.scalars(select(Finding.identity)))
            news = session.scalar(
                select(func.count()).select_from(Observation).where(Observation.event == "new")
            )
            statuses = dict(
                session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all()
            )
        return identities, int(news or 0), {str(k): int(v) for k, v in statuses.items()}

    identities, news, statuses = counts()
    with session_scope(factory) as session:
        interrupted = session.scalar(
            select(func.count()).select_from(Scan).where(Scan.status == "interrupted")
        )
    assert sorted(identities) == sorted(PLANTED)  # none lost, none twice
    assert news == len(PLANTED)
    # One alert per new finding. A process killed between claiming an alert and recording the
    # outcome leaves it "sending": it is neither sent twice nor forgotten.
    assert sum(statuses.values()) == len(PLANTED)
    assert set(statuses) <= {"sent", "sending"}
    assert sorted(set(hook[0])) == sorted(hook[0])  # no alert delivered twice
    assert statuses.get("sent", 0) <= len(hook[0]) <= len(PLANTED)
    assert interrupted >= 1

    # Once such a claim is stale it is retried under the same idempotency key, so every alert
    # reaches the receiver, and a receiver that keeps the keys sees each alert once.
    with session_scope(factory) as session:
        for row in session.scalars(select(Notification).where(Notification.status == "sending")):
            assert row.sent_at is not None
            row.sent_at = row.sent_at - timedelta(hours=1)
    with SampleWeb() as web:
        env.update(web.overrides())
        last = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert last.returncode == 0, last.stderr[-2000:]
    _, _, statuses = counts()
    engine.dispose()
    assert statuses == {"sent": len(PLANTED)}
    assert len(set(hook[0])) == len(PLANTED)
