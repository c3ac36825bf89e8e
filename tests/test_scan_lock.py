"""Overlapping scans: one scan per brand across processes; a leader that loses its lease stops its scan."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from monitor.commands.run import build_jobs
from monitor.daemon import Daemon, Jobs
from monitor.demo.web import SampleWeb
from monitor.errors import ScanBusyError
from monitor.report import NullProgress, ScanReport
from monitor.scan import Scanner
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.heartbeat import LEASE_NAME
from monitor.store.scans import SCAN_HEARTBEAT_SECONDS
from monitor.store.schema import BrandLock, DaemonState, Observation, Scan, utcnow
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[1]
BRAND = "bhxh-binh-duong"
RENAMED = "facebook:page:bhxhbinhduonghotro"
ONLY = ["duckduckgo"]


@dataclass
class Gate:
    """A search endpoint in front of the sample web that can hold requests until the test says."""

    upstream: str
    base: str = ""
    hold: threading.Event = field(default_factory=threading.Event)
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def forward(self, request: Request) -> Response:
        if self.hold.is_set():
            self.entered.set()
            await asyncio.to_thread(self.release.wait, 120)
        async with httpx.AsyncClient() as client:
            answer = await client.request(
                request.method,
                f"{self.upstream}{request.url.path}",
                params=request.query_params,
                content=await request.body(),
                headers={"content-type": request.headers.get("content-type", "text/plain")},
            )
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))


@pytest.fixture
def web() -> Iterator[SampleWeb]:
    with SampleWeb() as sample:
        yield sample


@pytest.fixture
def gate(web: SampleWeb) -> Iterator[Gate]:
    held = Gate(web.base_url)
    app = Starlette(routes=[Route("/ddg/{rest:path}", held.forward, methods=["GET", "POST"])])
    with serve(app) as base:
        held.base = base
        try:
            yield held
        finally:
            held.release.set()


@pytest.fixture
def env(web: SampleWeb, gate: Gate, db_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **web.overrides(),
        "MONITOR_SOURCES__DUCKDUCKGO__URL": f"{gate.base}/ddg/html/",
        "MONITOR_HTTP__TIMEOUT": "120",  # a held request must not time out while the test works
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_SCHEDULE__SCAN_EVERY": "1h",
        "MONITOR_SCHEDULE__JITTER_SECONDS": "0",
        "MONITOR_SCHEDULE__LEASE_SECONDS": "2",
        "MONITOR_SCHEDULE__SHUTDOWN_WAIT_SECONDS": "8",
    }


@pytest.fixture
def settings(env: dict[str, str]) -> Settings:
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    opened = open_database(settings.database.url)
    try:
        yield opened
    finally:
        opened.dispose()


def cli(env: dict[str, str], *args: str) -> tuple[list[str], dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return [sys.executable, "-m", "monitor", *args], {
        **base,
        **env,
        "MONITOR_CONFIG": str(REPO / "config" / "monitor.toml"),
        "MONITOR_LOG_FORMAT": "json",
    }


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command, full_env = cli(env, *args)
    return subprocess.run(command, env=full_env, capture_output=True, text=True, timeout=120, check=False)


class Background:
    """A scan in another thread of this process, with its own engine (as another process would)."""

    def __init__(self, settings: Settings, heartbeat_seconds: float = SCAN_HEARTBEAT_SECONDS) -> None:
        self.engine = open_database(settings.database.url)
        self.scanner = Scanner(settings, self.engine, heartbeat_seconds=heartbeat_seconds)
        self.report: ScanReport | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.report = asyncio.run(self.scanner.run([BRAND], ONLY))
        except BaseException as exc:
            self.error = exc
        finally:
            self.engine.dispose()

    def join(self) -> ScanReport:
        self.thread.join(timeout=120)
        assert not self.thread.is_alive()
        assert self.error is None, self.error
        assert self.report is not None
        return self.report


def scans(engine: Engine) -> list[Scan]:
    with session_scope(session_factory(engine)) as session:
        return list(session.scalars(select(Scan).order_by(Scan.id)))


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_second_scan_of_a_busy_brand_is_refused_and_a_rename_is_recorded_once(
    settings: Settings, env: dict[str, str], web: SampleWeb, gate: Gate, engine: Engine
) -> None:
    assert asyncio.run(Scanner(settings, engine).run([BRAND], ONLY)).status == "ok"
    web.state.renamed.add("fb_hotro")
    gate.hold.set()
    first = Background(settings, heartbeat_seconds=0.05)
    assert gate.entered.wait(60)  # the first scan holds the brand, its search held by the gate

    running = scans(engine)[-1]
    assert running.status == "running"
    assert running.owner is not None
    assert running.owner.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    started = running.started_at
    assert wait_for(lambda: (scans(engine)[-1].heartbeat_at or started) > started, 30)  # it beats

    with pytest.raises(ScanBusyError) as busy:
        asyncio.run(Scanner(settings, engine).run([BRAND], ONLY))
    assert busy.value.holders == {BRAND: running.owner}
    vi = run_cli(env, "scan", "--brand", BRAND, "--source", "duckduckgo")
    assert vi.returncode == 75, vi.stderr[-2000:]
    assert "Không quét: thương hiệu" in vi.stderr
    assert f"tiến trình {os.getpid()}" in vi.stderr
    en = run_cli(env, "--lang", "en", "scan", "--brand", BRAND, "--source", "duckduckgo", "--json")
    assert en.returncode == 75, en.stderr[-2000:]
    assert f"Not scanning: {BRAND} is being scanned by another process" in en.stderr
    assert json.loads(en.stdout) == {"error": "scan_busy", "holders": {BRAND: running.owner}}

    gate.hold.clear()
    gate.release.set()
    report = first.join()
    assert report.status == "ok"
    assert {item["identity"] for item in report.events["changed"]} == {RENAMED}
    rows = scans(engine)
    assert [s.status for s in rows] == ["ok", "ok"]  # the refused scans left no row behind
    with session_scope(session_factory(engine)) as session:
        changed = session.scalar(
            select(func.count()).select_from(Observation).where(Observation.event == "changed")
        )
        assert changed == 1
        assert session.scalars(select(BrandLock.owner)).all() == [None]


def test_scan_with_wait_runs_once_the_other_scan_is_done(
    settings: Settings, env: dict[str, str], gate: Gate, engine: Engine
) -> None:
    gate.hold.set()
    first = Background(settings)
    assert gate.entered.wait(60)
    command, full_env = cli(env, "scan", "--brand", BRAND, "--source", "duckduckgo", "--wait", "--json")
    waiting = subprocess.Popen(
        command, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert waiting.stderr is not None
        for line in waiting.stderr:  # its log says when it found the brand busy
            if '"scan_waiting"' in line:
                break
        else:
            pytest.fail("the waiting scan never reported waiting")
        gate.hold.clear()
        gate.release.set()
        stdout, stderr = waiting.communicate(timeout=120)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait(timeout=10)
    assert waiting.returncode == 0, stderr[-2000:]
    assert first.join().status == "ok"
    second = json.loads(stdout)
    rows = {s.id: s for s in scans(engine)}
    held_scan = rows[min(rows)]
    assert held_scan.finished_at is not None
    assert rows[second["scan_id"]].started_at >= held_scan.finished_at  # one after the other


def test_a_leader_that_loses_its_lease_stops_its_scan(settings: Settings, gate: Gate, engine: Engine) -> None:
    jobs = build_jobs(settings, engine)
    stops: list[threading.Event] = []
    called = threading.Event()

    def scan(sources: object, stop: threading.Event) -> object:
        stops.append(stop)
        called.set()
        return jobs.scan(sources, stop)  # type: ignore[arg-type]

    gate.hold.set()
    daemon = Daemon(settings, engine, Jobs(scan=scan, digest=lambda: None))
    runner = threading.Thread(target=daemon.run, daemon=True)
    runner.start()
    try:
        assert called.wait(60)
        assert gate.entered.wait(60)  # its scan is in the middle of a search
        assert not stops[0].is_set()
        with session_scope(session_factory(engine)) as session:  # another daemon takes the lease
            session.execute(
                update(DaemonState)
                .where(DaemonState.name == LEASE_NAME)
                .values(holder="thief", expires_at=utcnow() + timedelta(hours=1))
            )
        assert stops[0].wait(30)  # the lost lease stopped the scan...
        assert not daemon.stop_event.is_set()  # ...not the daemon, which stands by or leads again
        gate.hold.clear()
        gate.release.set()
        assert wait_for(lambda: scans(engine)[0].status != "running", 60)
    finally:
        gate.release.set()
        daemon.stop_event.set()
        runner.join(timeout=60)
    assert not runner.is_alive()
    rows = scans(engine)
    assert rows[0].status == "interrupted"
    assert all(s.status != "running" for s in rows)
    with session_scope(session_factory(engine)) as session:
        owners = dict(session.execute(select(BrandLock.brand, BrandLock.owner)).all())
    # The daemon scans every office of the shipped brands file: the stopped scan let go of each.
    assert set(owners) == {brand.slug for brand in settings.brands}
    assert set(owners.values()) == {None}


class Exploding(NullProgress):
    def candidates(self, brand: str, count: int) -> None:
        raise RuntimeError("a stage broke")


def test_a_scan_that_breaks_frees_its_brand_at_once(settings: Settings, engine: Engine) -> None:
    broken = Scanner(settings, engine, progress=Exploding())
    with pytest.raises(RuntimeError):
        asyncio.run(broken.run([BRAND], ONLY))
    rows = scans(engine)
    assert rows[-1].status == "failed"
    assert rows[-1].error == "RuntimeError: a stage broke"
    assert asyncio.run(Scanner(settings, engine).run([BRAND], ONLY)).status == "ok"  # not refused
