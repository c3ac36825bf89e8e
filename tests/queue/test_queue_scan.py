"""Scans as jobs on real PostgreSQL with real `monitor worker` processes, against the sample web.

A queued scan reports the same new findings as an in-process scan of the same web, each once;
a worker killed with SIGKILL in the middle of a job leaves that job to the other worker, and
nothing is found or alerted twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from monitor.demo.web import SampleWeb
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding, Scan
from tests.queue.conftest import monitor, run_monitor
from tests.support.hooks import Hook, hook_server
from tests.support.loopback import serve

# What the sample web plants for the Bình Dương office (tests/test_scan.py checks the same).
BRAND = "bhxh-binh-duong"
PLANTED = {
    "facebook:page:bhxhbinhduonghotro",
    "facebook:id:100089123456789",
    "telegram:bhxhbinhduong_cskh",
    "tiktok:@bhxh.binhduong",
}
# Workers notice a dead one quickly in these tests; the event waits below are generous.
QUEUE_ENV = {
    "MONITOR_QUEUE__BACKEND": "procrastinate",
    "MONITOR_QUEUE__POLL_SECONDS": "0.5",
    "MONITOR_QUEUE__HEARTBEAT_SECONDS": "0.5",
    "MONITOR_QUEUE__STALL_SECONDS": "3",
    "MONITOR_QUEUE__RETRY_WAIT_SECONDS": "0.5",
}
EVENT_WAIT = 120.0


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    with hook_server() as found:
        yield found


@pytest.fixture
def web() -> Iterator[SampleWeb]:
    with SampleWeb() as sample:
        yield sample


def environment(web: SampleWeb, db_url: str, evidence: Path, hook_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {
        **env,
        **web.overrides(),
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(evidence),
        "MONITOR_ALERTS__WEBHOOK__URL": hook_url,
        "MONITOR_LOG_LEVEL": "warning",
    }


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(monitor("worker", *args), env=env, stdout=out, stderr=subprocess.STDOUT)


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> list[int]:
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    return [worker.wait(timeout=EVENT_WAIT) for worker in workers]


def scan_json(env: dict[str, str]) -> dict[str, Any]:
    done = run_monitor(env, "scan", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def new_identities(report: dict[str, Any], brand: str | None = None) -> list[str]:
    return sorted(
        f"{item['brand']} {item['identity']}" if brand is None else item["identity"]
        for item in report["new"]
        if brand is None or item["brand"] == brand
    )


def stored_identities(db_url: str) -> list[str]:
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            return sorted(session.scalars(select(Finding.identity)))
    finally:
        engine.dispose()


def test_queued_scan_reports_what_an_inline_scan_reports_each_once(
    web: SampleWeb, pg_url: str, tmp_path: Path, hook: tuple[Hook, str]
) -> None:
    inline_env = environment(web, f"sqlite:///{tmp_path / 'inline.db'}", tmp_path / "ev-inline", hook[1])
    inline = scan_json(inline_env)
    inline_alerts = hook[0].identities()
    with hook[0].lock:
        hook[0].received.clear()

    env = {**environment(web, pg_url, tmp_path / "ev-queue", hook[1]), **QUEUE_ENV}
    upgraded = run_monitor(env, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    workers = [start_worker(env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        queued = scan_json(env)
        # The alerts go out in a delivery job after the judgement.
        wait_for(lambda: len(hook[0].identities()) >= len(inline_alerts), hook[0].identities)
    finally:
        codes = stop_workers(workers)
    assert codes == [0, 0]

    assert new_identities(inline, BRAND) == sorted(PLANTED)
    # Every office, every finding: the same, each once.
    assert new_identities(queued) == new_identities(inline)
    assert len(set(new_identities(queued))) == len(new_identities(queued))
    assert queued["status"] == inline["status"] == "ok"
    assert {s["name"] for s in queued["sources"]} == {s["name"] for s in inline["sources"]}
    assert queued["counts"]["candidates"] == inline["counts"]["candidates"]
    # Each finding stored once and alerted once, as the inline scan alerted them.
    assert len(stored_identities(pg_url)) == len(new_identities(queued))
    assert hook[0].identities() == inline_alerts


@dataclass
class Gate:
    """Holds the first page read of one path until released; forwards everything to the sample web."""

    target: str
    path: str
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    held: int = 0

    def app(self) -> Starlette:
        async def forward(request: Request) -> Response:
            path = request.url.path
            if path.startswith(self.path) and self.held == 0:
                self.held += 1
                self.arrived.set()
                import anyio

                await anyio.to_thread.run_sync(self.release.wait, EVENT_WAIT)
            async with httpx.AsyncClient() as client:
                answer = await client.get(f"{self.target}{path}", params=dict(request.query_params))
            headers = {"content-type": answer.headers.get("content-type", "text/html")}
            return Response(answer.content, status_code=answer.status_code, headers=headers)

        return Starlette(routes=[Route("/{path:path}", forward)])


def interrupted_mid_judgement(
    web: SampleWeb,
    pg_url: str,
    tmp_path: Path,
    hook: tuple[Hook, str],
    interrupt: Callable[[subprocess.Popen[bytes], int], None],
) -> str:
    """A scan whose first worker is interrupted (by `interrupt`) while it reads a page in the middle
    of the brand's judgement; a second worker then takes over. The scan's final status."""
    gate = Gate(web.base_url, "/tme/")
    with serve(gate.app()) as gate_base:
        env = {
            **environment(web, pg_url, tmp_path / "ev", hook[1]),
            **QUEUE_ENV,
            # Telegram pages go through the gate: the judgement's first page read is held there.
            "MONITOR_SOURCES__TELEGRAM__URL": f"{gate_base}/tme",
        }
        assert run_monitor(env, "db", "upgrade").returncode == 0
        first = start_worker(env, tmp_path / "first.log", "--concurrency", "1")
        second: subprocess.Popen[bytes] | None = None
        try:
            queued = run_monitor(env, "scan", "--no-wait", "--json", "--brand", BRAND)
            assert queued.returncode == 0, queued.stderr
            scan_id = json.loads(queued.stdout)["scan_id"]
            assert gate.arrived.wait(EVENT_WAIT)
            interrupt(first, scan_id)
            gate.release.set()
            second = start_worker(env, tmp_path / "second.log")
            wait_for(lambda: scan_status(pg_url, scan_id) != "running", lambda: scan_status(pg_url, scan_id))
            # The alerts go out in a delivery job after the judgement.
            wait_for(lambda: len(hook[0].identities()) >= len(PLANTED), hook[0].identities)
        finally:
            gate.release.set()
            if first.poll() is None:
                first.kill()
                first.wait()
            if second is not None:
                assert stop_workers([second]) == [0]
    return scan_status(pg_url, scan_id)


def test_a_worker_killed_mid_job_leaves_the_job_to_the_other_and_nothing_twice(
    web: SampleWeb, pg_url: str, tmp_path: Path, hook: tuple[Hook, str]
) -> None:
    def kill(first: subprocess.Popen[bytes], scan_id: int) -> None:
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=EVENT_WAIT) == -signal.SIGKILL

    assert interrupted_mid_judgement(web, pg_url, tmp_path, hook, kill) == "ok"
    assert stored_identities(pg_url) == sorted(PLANTED)
    assert hook[0].identities() == sorted(PLANTED)  # each alerted once
    judgements = job_rows(pg_url, "monitor.judge")
    assert [(row["status"], row["attempts"] >= 1) for row in judgements] == [("succeeded", True)]


@pytest.mark.xdist_group("timed_stops")  # with the other stops timed in seconds
def test_sigterm_hands_the_running_job_back_within_seconds_and_it_completes_later(
    web: SampleWeb, pg_url: str, tmp_path: Path, hook: tuple[Hook, str]
) -> None:
    def terminate(first: subprocess.Popen[bytes], scan_id: int) -> None:
        asked = time.monotonic()
        first.send_signal(signal.SIGTERM)
        code = first.wait(timeout=EVENT_WAIT)
        took = time.monotonic() - asked
        assert code == 0
        assert took < 10, f"the worker took {took:.1f} s to stop"
        # Handed back, not failed: waiting to run again.
        assert [row["status"] for row in job_rows(pg_url, "monitor.judge")] == ["todo"]
        assert scan_status(pg_url, scan_id) == "running"

    assert interrupted_mid_judgement(web, pg_url, tmp_path, hook, terminate) == "ok"
    assert stored_identities(pg_url) == sorted(PLANTED)
    assert hook[0].identities() == sorted(PLANTED)


def wait_for(done: Callable[[], object], show: Callable[[], object], timeout: float = EVENT_WAIT) -> object:
    """Poll a condition the workers bring about (they are other processes) until it holds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout} s: {show()!r}")
        time.sleep(0.1)
    return show()


def scan_status(db_url: str, scan_id: int) -> str:
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            scan = session.get(Scan, scan_id)
            return scan.status if scan is not None else "missing"
    finally:
        engine.dispose()


def job_rows(db_url: str, task: str) -> list[dict[str, Any]]:
    engine = open_database(db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT status::text AS status, attempts FROM procrastinate_jobs"
                    " WHERE task_name = :task ORDER BY id"
                ),
                {"task": task},
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()
