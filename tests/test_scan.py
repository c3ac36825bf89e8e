"""`monitor scan` end to end against the sample web on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from monitor.demo.web import SampleWeb
from monitor.report import ScanReport
from monitor.scan import Scanner
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.schema import Finding, Notification
from tests.support.loopback import serve
from tests.support.page_web import MAX_BYTES, Page, PageWeb, page_web, telegram_page, youtube_page

REPO = Path(__file__).resolve().parents[1]
BRAND = "bhxh-binh-duong"
PLANTED = {
    "facebook:page:bhxhbinhduonghotro",
    "facebook:id:100089123456789",
    "telegram:bhxhbinhduong_cskh",
    "tiktok:@bhxh.binhduong",
}


@dataclass
class Hook:
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def hook() -> Iterator[tuple[Hook, str]]:
    state = Hook()

    async def receive(request: Request) -> JSONResponse:
        payload = await request.json()
        with state.lock:
            state.received.append(payload)
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hook", receive, methods=["POST"])])
    with serve(app) as base:
        yield state, f"{base}/hook"


@pytest.fixture
def web() -> Iterator[SampleWeb]:
    with SampleWeb() as sample:
        yield sample


@pytest.fixture
def settings(web: SampleWeb, db_url: str, tmp_path: Path, hook: tuple[Hook, str]) -> Settings:
    env = {
        **web.overrides(),
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_ALERTS__WEBHOOK__URL": hook[1],
        "MONITOR_LIFECYCLE__GONE_AFTER_MISSES": "3",
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def scan(settings: Settings, sources: list[str] | None = None) -> ScanReport:
    engine = open_database(settings.database.url)
    try:
        return asyncio.run(Scanner(settings, engine).run(None, sources))
    finally:
        engine.dispose()


def identities(report: ScanReport, kind: str) -> set[str]:
    return {item["identity"] for item in report.events[kind]}


def findings(settings: Settings) -> dict[str, Finding]:
    engine = open_database(settings.database.url)
    with session_scope(session_factory(engine)) as session:
        rows = {f.identity: f for f in FindingRepository(session).all_for(BRAND)}
    engine.dispose()
    return rows


def test_first_scan_finds_exactly_the_planted_fakes_then_nothing_new(
    settings: Settings, hook: tuple[Hook, str]
) -> None:
    first = scan(settings)
    assert first.status == "ok"
    assert identities(first, "new") == PLANTED
    assert len(first.events["new"]) == len(PLANTED)  # each once, whatever URL forms the engines used
    assert set(findings(settings)) == PLANTED  # no decoy became a finding
    received = hook[0].received
    assert sorted(alert["finding"]["identity"] for alert in received) == sorted(PLANTED)

    second = scan(settings)
    assert second.status == "ok"
    assert second.counts()["new"] == 0
    assert not any(second.events.values())
    assert len(hook[0].received) == len(PLANTED)  # no alert twice
    engine = open_database(settings.database.url)
    with session_scope(session_factory(engine)) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == len(PLANTED)
    engine.dispose()


def test_rename_is_changed_and_alerted_once(
    settings: Settings, web: SampleWeb, hook: tuple[Hook, str]
) -> None:
    scan(settings)
    web.state.renamed.add("fb_hotro")
    report = scan(settings)
    assert identities(report, "changed") == {"facebook:page:bhxhbinhduonghotro"}
    assert identities(report, "new") == set()
    assert scan(settings).counts()["changed"] == 0
    renamed = [a for a in hook[0].received if a["finding"]["identity"] == "facebook:page:bhxhbinhduonghotro"]
    assert len(renamed) == 2  # new, then renamed


def test_absent_for_k_clean_scans_is_gone_and_blocked_scans_never_count(
    settings: Settings, web: SampleWeb
) -> None:
    only_ddg = ["duckduckgo"]
    scan(settings, only_ddg)
    web.state.hidden.add("fb_profile")
    web.state.blocked.add("duckduckgo")
    for _ in range(5):  # its only source is blocked: the fake stays active
        report = scan(settings, only_ddg)
        assert report.status == "failed"
        assert report.events["gone"] == []
    assert findings(settings)["facebook:id:100089123456789"].status == "active"
    assert findings(settings)["facebook:id:100089123456789"].misses == 0
    web.state.blocked.clear()
    outcomes = [identities(scan(settings, only_ddg), "gone") for _ in range(3)]
    assert outcomes == [set(), set(), {"facebook:id:100089123456789"}]
    assert findings(settings)["facebook:id:100089123456789"].status == "gone"
    web.state.hidden.clear()
    assert identities(scan(settings, only_ddg), "reappeared") == {"facebook:id:100089123456789"}


def test_live_page_missing_from_search_is_never_gone(settings: Settings, web: SampleWeb) -> None:
    scan(settings)
    web.state.hidden.add("tg_cskh")  # search engines stop showing it, but its page is still there
    for _ in range(4):
        assert scan(settings).events["gone"] == []
    assert findings(settings)["telegram:bhxhbinhduong_cskh"].status == "active"


def test_page_answering_404_is_taken_down(settings: Settings, web: SampleWeb) -> None:
    scan(settings)
    web.state.removed_pages.add("tt_official")
    report = scan(settings)
    assert identities(report, "taken_down") == {"tiktok:@bhxh.binhduong"}
    assert findings(settings)["tiktok:@bhxh.binhduong"].status == "taken_down"
    assert scan(settings).events["taken_down"] == []
    web.state.hidden.add("tg_cskh")
    web.state.removed_pages.add("tg_cskh")  # gone from search and its page answers 404
    assert identities(scan(settings), "taken_down") == {"telegram:bhxhbinhduong_cskh"}


def test_dry_run_writes_nothing(settings: Settings, hook: tuple[Hook, str]) -> None:
    engine = open_database(settings.database.url)
    report = asyncio.run(Scanner(settings, engine, dry_run=True).run())
    engine.dispose()
    assert identities(report, "new") == PLANTED
    assert findings(settings) == {}
    assert hook[0].received == []


HOSTILE = (
    "BHXH Bình Dương hỗ trợ rút 1 lần <script>alert('x')</script><img src=x onerror=alert(1)>"
    "\x1b[2J\x07\u202e" + "A" * 10_000
)


def test_hostile_name_is_stored_intact_and_escaped_everywhere(
    settings: Settings, web: SampleWeb, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli
    from monitor.demo.content import Account

    web.state.extra.append(
        Account(
            key="hostile",
            title=HOSTILE,
            url="https://www.facebook.com/hostile.page.1",
            snippet="x",
            fake=True,
        )
    )
    report = scan(settings)
    assert "facebook:page:hostilepage1" in identities(report, "new")
    stored = findings(settings)["facebook:page:hostilepage1"]
    assert "<script>alert('x')</script>" in stored.name
    assert "\x1b[2J" in stored.name
    assert "\u202e" in stored.name
    assert len(stored.name) > 10_000
    env = {"MONITOR_DATABASE__URL": settings.database.url}
    config = str(REPO / "config" / "monitor.toml")
    runner = CliRunner()
    for args in (["findings", "list"], ["findings", "list", "--csv"], ["findings", "show", str(stored.id)]):
        output = runner.invoke(cli, ["--config", config, *args], env=env, catch_exceptions=False).output
        assert "\x1b" not in output
        assert "\x07" not in output
        assert "\u202e" not in output
    eml = tmp_path / "digest.eml"
    result = runner.invoke(
        cli, ["--config", config, "digest", "--dry-run", "--out", str(eml)], env=env, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    import email
    from email import policy

    # The shipped brands file has several offices: one file each, digest-<office>.eml.
    message = email.message_from_bytes((tmp_path / f"digest-{BRAND}.eml").read_bytes(), policy=policy.default)
    html_part = message.get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html
    assert "\x1b" not in html


def test_evidence_of_a_scanned_fake_exports_and_verifies(settings: Settings, tmp_path: Path) -> None:
    import hashlib
    import json

    from click.testing import CliRunner

    from monitor.cli import cli

    scan(settings)
    scan(settings)  # the same pages again: no second copy
    telegram = findings(settings)["telegram:bhxhbinhduong_cskh"]
    out = tmp_path / "export"
    env = {
        "MONITOR_DATABASE__URL": settings.database.url,
        "MONITOR_EVIDENCE__DIR": str(settings.evidence.dir),
    }
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(REPO / "config" / "monitor.toml"),
            "evidence",
            "export",
            str(telegram.id),
            "--out",
            str(out),
        ],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["finding"]["identity"] == "telegram:bhxhbinhduong_cskh"
    assert manifest["captures"]
    assert all(entry["fetch_count"] == 2 for entry in manifest["captures"] if entry["status"] == 200)
    for entry in manifest["captures"]:
        assert hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert (
        len(list(Path(settings.evidence.dir).rglob("*.gz")))
        == len({e["sha256"] for e in manifest["captures"]}) + 1
    )


# Pages read per identity kind, and pages that cannot be read, against tests.support.page_web.
FAKE_NAME = "Bảo Hiểm Xã Hội Bình Dương - Hỗ trợ rút BHXH 1 lần"
FAKE_SNIPPET = "Hỗ trợ rút BHXH 1 lần nhanh, nhận tiền trong ngày. Liên hệ Zalo 0901 234 567."
CHANNEL = "UCbhxhBinhDuongHoTro0001"


@pytest.fixture
def pages() -> Iterator[PageWeb]:
    with page_web() as web:
        yield web


@pytest.fixture
def page_settings(pages: PageWeb, db_url: str, tmp_path: Path) -> Settings:
    env = {
        **pages.overrides(),
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_LIFECYCLE__GONE_AFTER_MISSES": "2",
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def quiet_scan(settings: Settings, sources: list[str]) -> ScanReport:
    engine = open_database(settings.database.url)
    try:
        return asyncio.run(Scanner(settings, engine, notify=False).run(None, sources))
    finally:
        engine.dispose()


def test_youtube_channel_from_channel_search_is_a_finding_read_at_its_channel_page(
    page_settings: Settings, pages: PageWeb
) -> None:
    pages.channels.append((CHANNEL, FAKE_NAME, FAKE_SNIPPET))
    pages.pages[f"/channel/{CHANNEL}"] = Page(body=youtube_page(CHANNEL, FAKE_NAME, FAKE_SNIPPET))
    first = quiet_scan(page_settings, ["youtube"])
    identity = f"youtube:channel:{CHANNEL}"
    assert identities(first, "new") == {identity}
    assert pages.asked(f"/channel/{CHANNEL}") == 1
    stored = findings(page_settings)[identity]
    assert (stored.page_state, stored.page_note) == ("read", None)
    assert stored.url == f"https://www.youtube.com/channel/{CHANNEL}"
    second = quiet_scan(page_settings, ["youtube"])
    assert not any(second.events.values())
    assert pages.asked(f"/channel/{CHANNEL}") == 2
    assert findings(page_settings)[identity].status == "active"


def test_telegram_invite_and_private_links_are_findings_read_at_their_pages(
    page_settings: Settings, pages: PageWeb
) -> None:
    links = {
        "https://t.me/+AbCdEf_12-xYz": ("telegram:invite:AbCdEf_12-xYz", "/tme/+AbCdEf_12-xYz"),
        "https://t.me/joinchat/QRStuv987654": ("telegram:invite:QRStuv987654", "/tme/+QRStuv987654"),
        "https://t.me/c/1234567890/77": ("telegram:c:1234567890", "/tme/c/1234567890"),
    }
    for url, (_, path) in links.items():
        pages.results.append((f"{FAKE_NAME} – Telegram", url, FAKE_SNIPPET))
        pages.pages[path] = Page(body=telegram_page(FAKE_NAME, FAKE_SNIPPET, group=True))
    first = quiet_scan(page_settings, ["brave"])
    assert identities(first, "new") == {identity for identity, _ in links.values()}
    stored = findings(page_settings)
    for identity, path in links.values():
        assert pages.asked(path) == 1
        assert stored[identity].page_state == "read"
    second = quiet_scan(page_settings, ["brave"])
    assert second.events["taken_down"] == []
    assert {f.status for f in findings(page_settings).values()} == {"active"}


def test_new_fakes_whose_pages_cannot_be_read_are_recorded_and_counted(
    page_settings: Settings, pages: PageWeb, capsys: pytest.CaptureFixture[str]
) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli
    from monitor.commands.scan import print_summary

    unread = {
        "https://t.me/bhxhbd_hotro_rut": (
            "telegram:bhxhbd_hotro_rut",
            "/tme/bhxhbd_hotro_rut",
            Page(hang=True),
        ),
        "https://www.youtube.com/@bhxhbd.hotro": (
            "youtube:@bhxhbd.hotro",
            "/@bhxhbd.hotro",
            Page(size=2 * MAX_BYTES),
        ),
        "https://www.tiktok.com/@bhxhbd.hotro": (
            "tiktok:@bhxhbd.hotro",
            "/tiktok/@bhxhbd.hotro",
            Page(status=503),
        ),
    }
    for url, (_, path, page) in unread.items():
        pages.results.append((FAKE_NAME, url, FAKE_SNIPPET))
        pages.pages[path] = page
    report = quiet_scan(page_settings, ["brave"])
    assert identities(report, "new") == {identity for identity, _, _ in unread.values()}
    stored = findings(page_settings)
    states = {identity: stored[identity].page_state for identity, _, _ in unread.values()}
    assert states == {
        "telegram:bhxhbd_hotro_rut": "timeout",
        "youtube:@bhxhbd.hotro": "too_large",
        "tiktok:@bhxhbd.hotro": "failed",
    }
    for identity, path, _ in unread.values():
        assert stored[identity].verdict in ("impersonation", "suspect")  # judged on name and snippet
        note = stored[identity].page_note
        assert note is not None
        assert note.endswith(f"{pages.base}{path}")
    assert stored["telegram:bhxhbd_hotro_rut"].page_note.startswith("timeout")  # type: ignore[union-attr]
    assert stored["tiktok:@bhxhbd.hotro"].page_note.startswith("http_503")  # type: ignore[union-attr]
    counts = report.counts()
    assert (counts["pages"], counts["pages_unreadable"]) == (3, 3)
    assert (counts["page_timeout"], counts["page_too_large"], counts["page_failed"]) == (1, 1, 1)
    print_summary(report, "vi")
    shown = capsys.readouterr().out
    assert "Trang không đọc được: 3 (quá thời gian 1, quá lớn 1, lỗi 1)" in shown
    print_summary(report, "en")
    assert "Pages not read: 3 (timed out 1, too large 1, failed 1)" in capsys.readouterr().out

    env = {"MONITOR_DATABASE__URL": page_settings.database.url}
    config = str(REPO / "config" / "monitor.toml")
    status = CliRunner().invoke(cli, ["--config", config, "status"], env=env, catch_exceptions=False)
    assert status.exit_code == 0, status.output
    assert "Trang không đọc được: 3 (quá thời gian 1, quá lớn 1, lỗi 1)" in status.output
    finding_id = stored["telegram:bhxhbd_hotro_rut"].id
    show = CliRunner().invoke(
        cli, ["--config", config, "findings", "show", str(finding_id)], env=env, catch_exceptions=False
    )
    assert show.exit_code == 0, show.output
    assert f"Trang: quá thời gian — timeout: {pages.base}/tme/bhxhbd_hotro_rut" in show.output


def test_a_known_finding_whose_page_fails_is_never_taken_down_nor_missed(
    page_settings: Settings, pages: PageWeb
) -> None:
    identity, path = "telegram:bhxhbd_cskh_rut", "/tme/bhxhbd_cskh_rut"
    result = (FAKE_NAME, "https://t.me/bhxhbd_cskh_rut", FAKE_SNIPPET)
    pages.results.append(result)
    pages.pages[path] = Page(body=telegram_page(FAKE_NAME, FAKE_SNIPPET))
    assert identities(quiet_scan(page_settings, ["brave"]), "new") == {identity}
    before = findings(page_settings)[identity]
    assert before.page_state == "read"

    pages.pages[path] = Page(size=2 * MAX_BYTES)  # still in the results, its page too large
    report = quiet_scan(page_settings, ["brave"])
    assert not any(report.events.values())
    after = findings(page_settings)[identity]
    assert (after.status, after.page_state) == ("active", "too_large")
    assert (after.score, after.verdict) == (before.score, before.verdict)

    pages.results.clear()  # gone from the results: its page is re-checked, and fails
    pages.pages[path] = Page(status=503)
    for _ in range(3):  # more scans than lifecycle.gone_after_misses
        report = quiet_scan(page_settings, ["brave"])
        assert report.status == "ok"
        assert not any(report.events.values())
    pages.pages[path] = Page(hang=True)
    assert not any(quiet_scan(page_settings, ["brave"]).events.values())
    kept = findings(page_settings)[identity]
    assert (kept.status, kept.misses, kept.page_state) == ("active", 0, "timeout")

    pages.pages[path] = Page(status=404, body="<html><body>Not Found</body></html>")  # really gone
    assert identities(quiet_scan(page_settings, ["brave"]), "taken_down") == {identity}
    gone = findings(page_settings)[identity]
    assert (gone.status, gone.page_state) == ("taken_down", "gone")
    assert gone.page_note == f"http_404: {pages.base}{path}"
