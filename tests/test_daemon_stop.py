"""SIGTERM while a scan resolves look-alike domains: the daemon exits 0 within 10 s, the scan is
recorded `interrupted` with what it learned, and the next scan loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dnslib import DNSError
from sqlalchemy import select

from monitor.demo.web import SampleWeb
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.lease import read_state
from monitor.store.schema import Finding, Notification, Observation, Scan, SourceRun
from tests.domains.dnsserver import FakeZones, dns_server

REPO = Path(__file__).resolve().parents[1]

# Stops timed in seconds: these tests run one after another on one xdist worker, so that no
# two of them start CPU-heavy monitor processes at the same moment.
pytestmark = pytest.mark.xdist_group("timed_stops")
# Longer than the test may take: a look-up held by the server ends only by the stop.
DNS_TIMEOUT = "120"


class HeldZones(FakeZones):
    """A DNS server that holds every answer while `holding` is set (as a stalled resolver does);
    `asked` is set at the first query."""

    holding: threading.Event
    asked: threading.Event

    def resolve(self, request: Any, handler: Any) -> Any:
        self.asked.set()
        if self.holding.is_set():
            raise DNSError("held")  # dnslib sends nothing: the client waits out its timeout
        return super().resolve(request, handler)


def environment(web: SampleWeb, dns: str, db_url: str, tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    return {
        **base,
        **web.overrides(),
        "MONITOR_CONFIG": str(REPO / "config" / "monitor.toml"),
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_LOG_FORMAT": "json",
        "MONITOR_SCHEDULE__JITTER_SECONDS": "0",
        "MONITOR_SCHEDULE__LEASE_SECONDS": "5",
        "MONITOR_DIGEST__SEND_EMPTY": "false",
        "MONITOR_SOURCES__DOMAINS__ENABLED": "true",
        "MONITOR_SOURCES__DOMAINS__NAMESERVERS": json.dumps([dns]),
        "MONITOR_SOURCES__DOMAINS__TIMEOUT": DNS_TIMEOUT,
        "MONITOR_SOURCES__DOMAINS__TLDS": json.dumps(["com", "xyz"]),
        "MONITOR_SOURCES__DOMAINS__MAX_NAMES": "30",
    }


def events(log: Path) -> list[dict[str, Any]]:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    """Poll for an event (a log line, a query seen); the timeout only bounds a failing test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def scan_once(env: dict[str, str], log: Path) -> None:
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "monitor", "scan"], env=env, stdout=out, stderr=out, timeout=300
        )
    assert done.returncode in (0, 1), log.read_text()[-3000:]  # 1: impersonations found


def state(db_url: str) -> dict[str, Any]:
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            findings = {f.identity: f.verdict for f in session.scalars(select(Finding))}
            firsts = Counter(
                identity
                for identity, event in session.execute(
                    select(Finding.identity, Observation.event).join(Observation)
                )
                if event == "new"
            )
            alerts = Counter(
                (n.channel, identity)
                for n, identity in session.execute(
                    select(Notification, Finding.identity).join(
                        Finding, Notification.finding_id == Finding.id
                    )
                )
            )
            scans = [(s.id, s.status) for s in session.scalars(select(Scan).order_by(Scan.id))]
            runs = [(r.scan_id, r.source, r.status) for r in session.scalars(select(SourceRun))]
        return {"findings": findings, "firsts": firsts, "alerts": alerts, "scans": scans, "runs": runs}
    finally:
        engine.dispose()


def test_sigterm_during_lookalike_dns_exits_0_and_the_next_scan_loses_nothing(
    db_url: str, tmp_path: Path
) -> None:
    zones = HeldZones()
    zones.holding, zones.asked = threading.Event(), threading.Event()
    zones.holding.set()
    log = tmp_path / "daemon.log"
    with SampleWeb() as web, dns_server(zones) as dns:
        env = environment(web, dns, db_url, tmp_path)
        with log.open("wb") as out:
            daemon = subprocess.Popen(
                [sys.executable, "-m", "monitor", "run"], env=env, stdout=out, stderr=out
            )
        try:
            assert zones.asked.wait(120), log.read_text()[-3000:]
            # The searches finished and were recorded while the look-alike names hang in the DNS.
            recorded = {"duckduckgo", "brave"}
            assert wait_until(
                lambda: (
                    recorded
                    <= {e.get("source") for e in events(log) if e.get("event") == "source_run_recorded"}
                ),
                120,
            ), log.read_text()[-3000:]
            assert daemon.poll() is None
            signalled = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
            took = time.monotonic() - signalled
        finally:
            if daemon.poll() is None:
                daemon.kill()
        assert code == 0, log.read_text()[-3000:]
        assert took < 10, f"{took:.1f} s\n" + log.read_text()[-3000:]

        stopped = state(db_url)
        assert [status for _, status in stopped["scans"]] == ["interrupted"]
        first_scan = stopped["scans"][0][0]
        learned = {source for scan, source, _ in stopped["runs"] if scan == first_scan}
        assert recorded <= learned  # committed before the stop, kept after it
        engine = open_database(db_url)
        lease = read_state(engine)
        engine.dispose()
        assert lease is not None
        assert lease.state == "stopped"

        # The DNS answers again: the next scan, and a scan of a fresh database for reference.
        zones.holding.clear()
        scan_once(env, tmp_path / "next.log")
        reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
        scan_once({**env, "MONITOR_DATABASE__URL": reference_url}, tmp_path / "reference.log")

    after, reference = state(db_url), state(reference_url)
    assert [status for _, status in after["scans"]][-1] == reference["scans"][-1][1]
    assert after["findings"] == reference["findings"]  # nothing lost
    assert after["findings"]
    assert after["firsts"] == reference["firsts"]  # each finding is new exactly once
    assert set(after["firsts"].values()) == {1}
    assert after["alerts"] == reference["alerts"]  # no alert twice, none missing


# The wind-down never ends by itself. It waits in short sleeps: Python runs a signal handler
# between bytecodes, so a signal that lands just before a long blocking wait (on a busy machine,
# while the process is off the CPU) would be handled only when that wait ends.
WIND_DOWN = """
import threading, time
from monitor.daemon import stop_on_signals
from monitor.log import configure
configure("json")
stop = threading.Event()
with stop_on_signals(stop):
    print("ready", flush=True)
    stop.wait(120)
    print("stopping", flush=True)
    while True:
        time.sleep(0.1)
"""


def test_the_first_signal_asks_to_stop_and_a_second_one_ends_the_process() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", WIND_DOWN], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        process.send_signal(signal.SIGTERM)
        assert process.stdout.readline().strip() == b"stopping"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        if process.poll() is None:
            process.kill()
    assert process.stderr is not None
    logged = process.stderr.read().decode()
    assert "daemon_stop_requested" in logged
    assert "stop_forced" in logged
