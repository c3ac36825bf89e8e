"""Follow-up steps through real scans: report takedown dates, screenshots by Chromium, none in a dry run."""

from __future__ import annotations

import asyncio
import html
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.demo.web import SampleWeb
from monitor.report import ScanReport
from monitor.scan import Scanner
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.reports import ReportRepository
from monitor.store.schema import Finding
from monitor.store.schema_reports import EvidenceFile, Report
from tests.support.page_web import Page, PageWeb, page_web, telegram_page

REPO = Path(__file__).resolve().parents[1]
BRAND = "bhxh-binh-duong"
REMOVED = "tiktok:@bhxh.binhduong"  # its page answers 404 once the sample web removes "tt_official"
CHROMIUM = Path("/usr/bin/chromium")


def _settings(overrides: dict[str, str], db_url: str, tmp_path: Path, **extra: str) -> Settings:
    env = {
        **overrides,
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        **extra,
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def _scan(settings: Settings, *, dry_run: bool = False, sources: list[str] | None = None) -> ScanReport:
    engine = open_database(settings.database.url)
    try:
        return asyncio.run(Scanner(settings, engine, notify=False, dry_run=dry_run).run([BRAND], sources))
    finally:
        engine.dispose()


def _finding(settings: Settings, identity: str) -> Finding:
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            rows = {f.identity: f for f in FindingRepository(session).all_for(BRAND)}
    finally:
        engine.dispose()
    return rows[identity]


@pytest.fixture
def sample() -> Iterator[SampleWeb]:
    with SampleWeb() as web:
        yield web


def test_a_reported_fake_whose_page_answers_404_has_its_report_taken_down(
    sample: SampleWeb, db_url: str, tmp_path: Path
) -> None:
    settings = _settings(sample.overrides(), db_url, tmp_path, MONITOR_LIFECYCLE__GONE_AFTER_MISSES="3")
    first = _scan(settings)
    assert [(s.key, s.status) for s in first.followups] == [
        ("takedowns", "ok"),
        ("screenshots", "ok"),
    ]
    finding = _finding(settings, REMOVED)
    submitted = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        repo = ReportRepository(session)
        row = repo.ensure(finding.id, BRAND, "tiktok", "form", actor="cán bộ", now=submitted)
        repo.mark_submitted(
            row, now=submitted, actor="cán bộ", destination="TikTok", reference="R-1", follow_up_days=7
        )
        report_id = row.id

    sample.state.removed_pages.add("tt_official")
    before = datetime.now(UTC)
    second = _scan(settings)
    after = datetime.now(UTC)
    assert {item["identity"] for item in second.events["taken_down"]} == {REMOVED}
    steps = {s.key: s for s in second.followups}
    assert (steps["takedowns"].status, steps["takedowns"].detail) == ("ok", "reports_taken_down=1")
    with session_scope(factory) as session:
        stored = session.get(Report, report_id)
        assert stored is not None
        assert stored.status == "taken_down"
        assert stored.taken_down_at is not None
        taken = _aware(stored.taken_down_at)
        assert before - timedelta(seconds=1) <= taken <= after + timedelta(seconds=1)
        assert stored.submitted_at is not None
        assert _aware(stored.submitted_at) == submitted  # the submission date is kept
    engine.dispose()
    # Nothing new ended: a third scan leaves the report as it is.
    third = _scan(settings)
    assert {s.key: s.detail for s in third.followups}["takedowns"] == "reports_taken_down=0"


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# A look-alike website on loopback that a search returns, and a Telegram-like page.
SITE_NAME = "Bảo Hiểm Xã Hội Bình Dương - Hỗ trợ rút BHXH 1 lần"
SITE_TEXT = "Hỗ trợ rút BHXH 1 lần nhanh, nhận tiền trong ngày. Liên hệ Zalo 0901 234 567."


def _site_page() -> str:
    name, text = html.escape(SITE_NAME), html.escape(SITE_TEXT)
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{name}</title>'
        f'<meta name="description" content="{text}"></head>'
        f'<body style="background:#fff"><h1>{name}</h1><p>{text}</p></body></html>'
    )


@pytest.fixture
def pages() -> Iterator[PageWeb]:
    with page_web() as web:
        yield web


def test_a_scanned_impersonation_gets_a_screenshot_and_a_dry_run_runs_no_follow_up(
    pages: PageWeb, db_url: str, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI")
        pytest.skip("Debian's Chromium is not installed")
    site = f"{pages.base}/bhxh-binhduong-hotro"
    pages.results.append((SITE_NAME, site, SITE_TEXT))
    pages.pages["/bhxh-binhduong-hotro"] = Page(body=_site_page())
    pages.results.append((f"{SITE_NAME} – Telegram", "https://t.me/bhxhbd_hotro_rut", SITE_TEXT))
    pages.pages["/tme/bhxhbd_hotro_rut"] = Page(body=telegram_page(SITE_NAME, SITE_TEXT))
    settings = _settings(
        pages.overrides(),
        db_url,
        tmp_path,
        MONITOR_SCREENSHOTS__CHROMIUM=str(CHROMIUM),
        MONITOR_SCREENSHOTS__TIMEOUT="60",
    )

    dry = _scan(settings, dry_run=True, sources=["brave"])
    assert dry.followups == []  # nothing was recorded, so nothing is followed up
    assert pages.asked("/bhxh-binhduong-hotro") == 1  # read once, by the scan; no browser came

    report = _scan(settings, sources=["brave"])
    steps = {s.key: s for s in report.followups}
    assert steps["screenshots"].status == "ok", steps["screenshots"].detail
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        found = {f.identity: f for f in FindingRepository(session).all_for(BRAND)}
        web = [f for f in found.values() if f.platform == "web"]
        assert len(web) == 1, {f.identity: f.verdict for f in found.values()}
        assert web[0].verdict == "impersonation"
        shots = list(
            session.scalars(
                select(EvidenceFile).where(
                    EvidenceFile.finding_id == web[0].id, EvidenceFile.kind == "screenshot"
                )
            )
        )
    engine.dispose()
    assert len(shots) == 1, steps
    # The website is pictured; the Telegram page lives on t.me, which this machine cannot reach.
    assert steps["screenshots"].detail.startswith("stored=1 ")
    assert pages.asked("/bhxh-binhduong-hotro") >= 3  # the scan's read, then the browser's
