"""A real `monitor scan` whose results are hostile pages: it finishes, and records every fake."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.enrich.enricher import Enrichment
from monitor.enrich.pages import extract_page
from monitor.scoring import content_hash
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding, Scan
from tests.support.hostile_web import NESTED_DIVS, ROT13_NAME, ROT13_TYPE, HostileWeb, hostile_web

BRAND = "bhxh-binh-duong"
SCAN_TIMEOUT = 600.0  # a hang guard only; the scan's wall time is measured by benchmarks/hostile_scan.py


@pytest.fixture
def web() -> Iterator[HostileWeb]:
    with hostile_web() as hostile:
        yield hostile


def stored(db_url: str) -> dict[str, Finding]:
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            rows = session.scalars(select(Finding).where(Finding.brand == BRAND))
            return {row.identity: row for row in rows}
    finally:
        engine.dispose()


def test_a_scan_of_hostile_pages_finishes_and_records_every_fake(
    web: HostileWeb, db_url: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "scan", "--json", "--no-notify"],
        env=web.command_env(db_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=SCAN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]  # `monitor scan` exits 1 only for a failed scan
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["status"] == "ok"
    planted = {fake.identity: fake for fake in web.fakes}
    assert {item["identity"] for item in report["new"]} == set(planted)
    for fake in web.fakes:
        assert web.asked(fake.path) == 1, fake.path  # every page was asked for, at its own path

    findings = stored(db_url)
    assert set(findings) == set(planted)  # every fake recorded, the YouTube channel included
    verdicts = {identity: f.verdict for identity, f in findings.items()}
    assert verdicts == dict.fromkeys(planted, "impersonation")
    states = {identity: f.page_state for identity, f in findings.items()}
    nested, rot13, channel = (
        "tiktok:@bhxhbd.hotro.rut",
        "telegram:bhxhbd_rut_mot_lan",
        "youtube:channel:UCbhxhBinhDuongHoTroRut01",
    )
    assert len(planted[nested].body) >= NESTED_DIVS * 5
    assert states == {identity: ("parse_limit" if identity == nested else "read") for identity in planted}
    assert findings[nested].page_note == f"parse_limit (HTTP 200): {web.base}{planted[nested].path}"
    assert findings[channel].url == "https://www.youtube.com/channel/UCbhxhBinhDuongHoTroRut01"

    # The rot13 label was refused and the page read as the UTF-8 it is: the stored hash is the
    # hash of the page's own name and bio, which its search title does not share.
    fake = planted[rot13]
    assert fake.content_type == ROT13_TYPE
    page = extract_page("telegram", f"{web.base}{fake.path}", 200, fake.body.decode("utf-8"))
    assert page.title == ROT13_NAME != fake.title
    read = Enrichment(url=fake.url, platform="telegram", outcome="content", page=page)
    assert findings[rot13].content_hash == content_hash(read)

    counts = report["counts"]
    assert (counts["pages"], counts["pages_unreadable"], counts["page_parse_limit"]) == (5, 1, 1)
    # The page that could not be read is named in the summary people read.
    status = subprocess.run(
        [sys.executable, "-m", "monitor", "status"],
        env=web.command_env(db_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=SCAN_TIMEOUT,
        check=False,
    )
    assert status.returncode == 0, status.stderr[-3000:]
    assert "Trang không đọc được: 1 (quá giới hạn phân tích 1)" in status.stdout


@pytest.mark.xdist_group("timed_stops")  # with the other stops timed in seconds
def test_sigterm_while_the_daemon_reads_the_nested_page_exits_within_10_s(
    web: HostileWeb, db_url: str, tmp_path: Path
) -> None:
    env = {
        **web.command_env(db_url, tmp_path),
        "MONITOR_SCHEDULE__SCAN_EVERY": "1h",
        "MONITOR_SCHEDULE__JITTER_SECONDS": "0",
        "MONITOR_SCHEDULE__SHUTDOWN_WAIT_SECONDS": "6",
        "MONITOR_DIGEST__SEND_EMPTY": "false",
    }
    log_path = tmp_path / "daemon.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "monitor", "run"], env=env, stdout=log, stderr=log)
    nested = next(fake.path for fake in web.fakes if fake.body.count(b"<div>") == NESTED_DIVS)
    try:
        # The answer is on its way: the daemon's scan is reading or parsing 200,000 <div>s.
        assert web.arrived[nested].wait(SCAN_TIMEOUT), log_path.read_text()[-3000:]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0, log_path.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    text = log_path.read_text()
    assert "Traceback" not in text
    assert "daemon_stopped" in text
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            statuses = list(session.scalars(select(Scan.status)))
    finally:
        engine.dispose()
    assert statuses  # the daemon's scan was under way...
    assert "running" not in statuses  # ...and was closed, not left running


def test_tiktok_pages_honour_robots_next_to_the_configured_oembed_endpoint(
    web: HostileWeb, db_url: str, tmp_path: Path
) -> None:
    # The oEmbed endpoint is configured on this very origin (<base>/tiktok/oembed): its trust
    # does not spread to the profile pages beside it.
    assert web.overrides()["MONITOR_SOURCES__TIKTOK__OEMBED_URL"] == f"{web.base}/tiktok/oembed"
    web.robots = "User-agent: *\nDisallow: /tiktok/@\n"
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "scan", "--json", "--no-notify", "--source", "brave"],
        env=web.command_env(db_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=SCAN_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    tiktok = next(fake for fake in web.fakes if fake.identity.startswith("tiktok:"))
    assert web.asked("/robots.txt") >= 1
    assert web.asked(tiktok.path) == 0  # never fetched
    findings = stored(db_url)
    assert set(findings) == {fake.identity for fake in web.fakes}  # still recorded, on its search result
    assert (findings[tiktok.identity].page_state, findings[tiktok.identity].verdict) == (
        "robots",
        "impersonation",
    )
    others = {identity: f.page_state for identity, f in findings.items() if identity != tiktok.identity}
    assert set(others.values()) == {"read"}
    assert json.loads(done.stdout)["counts"]["page_robots"] == 1
