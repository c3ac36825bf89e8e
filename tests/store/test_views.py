"""Finding and digest read models on SQLite and PostgreSQL: one view, lists, files and periods."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.diff import Change
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.digests import DigestReads
from monitor.store.findings import FindingData, FindingRepository
from monitor.store.scans import ScanRepository
from monitor.store.schema import Capture, EvidenceBlob, Notification, SourceRun
from monitor.store.views import FindingFilter, FindingView, FindingViews

BRAND = "bhxh-binh-duong"
T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
# The published shape: the web console, the CLI, e-mails, JSON and CSV all read these fields.
VIEW_FIELDS = (
    "id",
    "brand",
    "platform",
    "identity",
    "url",
    "name",
    "score",
    "verdict",
    "reasons",
    "status",
    "triage",
    "first_seen_at",
    "last_seen_at",
    "page_state",
    "page_note",
)


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(db_url)
    yield session_factory(engine)
    engine.dispose()


def data(
    identity: str, *, brand: str = BRAND, verdict: str = "impersonation", score: int = 90
) -> FindingData:
    handle = identity.rsplit(":", 1)[-1]
    return FindingData(
        brand=brand,
        platform="facebook",
        identity=identity,
        url=f"https://www.facebook.com/{handle}",
        name=f"BHXH {handle}",
        score=score,
        verdict=verdict,  # type: ignore[arg-type]
        reasons=[{"code": "organization_match", "detail": handle, "weight": 40}],
        signals=["phone:0901234567"],
        sources=frozenset({"duckduckgo"}),
        page_state="read",
    )


def record(session: Session, item: FindingData, when: datetime, event: str = "new") -> int:
    scan_id = ScanRepository(session).start([item.brand], "test", now=when).id
    finding, _ = FindingRepository(session).apply_sighting(Change(item.identity, event), item, scan_id, when)  # type: ignore[arg-type]
    assert finding is not None
    return finding.id


def test_the_view_keeps_its_published_fields_and_json_codes() -> None:
    assert tuple(field.name for field in fields(FindingView)) == VIEW_FIELDS
    view = FindingView(
        id=7,
        brand=BRAND,
        platform="tiktok",
        identity="tiktok:@fake",
        url="https://www.tiktok.com/@fake",
        name="BHXH giả",
        score=88,
        verdict="impersonation",
        reasons=({"code": "name_match"},),
        status="active",
        triage="untriaged",
        first_seen_at=T0,
        last_seen_at=T0 + timedelta(hours=2),
        page_state=None,
        page_note=None,
    )
    data = view.to_json()
    assert list(data) == list(VIEW_FIELDS)
    assert data["reasons"] == [{"code": "name_match"}]
    assert data["first_seen_at"] == "2026-12-01T01:00:00+00:00"
    assert data["last_seen_at"] == "2026-12-01T03:00:00+00:00"


def test_lists_filter_page_and_count(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        first = record(session, data("facebook:page:a"), T0)
        record(session, data("facebook:page:b", verdict="suspect", score=60), T0)
        record(session, data("facebook:page:c", brand="other"), T0)
    with session_scope(factory) as session:
        views = FindingViews(session)
        assert [v.identity for v in views.find()] == ["facebook:page:a", "facebook:page:b", "facebook:page:c"]
        assert [v.identity for v in views.find(FindingFilter(verdict="suspect"))] == ["facebook:page:b"]
        assert [v.brand for v in views.find(FindingFilter(brand="other"))] == ["other"]
        assert [v.identity for v in views.find(limit=1, offset=1)] == ["facebook:page:b"]
        assert views.count(FindingFilter(brand=BRAND)) == 2
        assert views.count(FindingFilter(status="gone")) == 0
        one = views.get(first)
        assert one is not None
        assert (one.name, one.verdict) == ("BHXH a", "impersonation")
        assert one.reasons == ({"code": "organization_match", "detail": "a", "weight": 40},)
        assert (one.first_seen_at, one.status, one.triage) == (T0, "active", "untriaged")
        assert views.get(first + 100) is None


def test_a_findings_file_has_its_history_decisions_and_evidence(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        finding_id = record(session, data("facebook:page:a"), T0)
        repo = FindingRepository(session)
        finding = repo.by_id(finding_id)
        assert finding is not None
        repo.mark(finding, "reported", "đã gửi biểu mẫu", "Lan")
        session.add(EvidenceBlob(sha256="a" * 64, size=10, stored_size=10))
        session.flush()  # the blob row before the capture that points at it
        session.add_all(
            [
                Capture(
                    sha256="a" * 64,
                    finding_id=finding_id,
                    url="https://www.facebook.com/a",
                    final_url="https://www.facebook.com/a",
                    status=200,
                    robots="allowed",
                    first_fetched_at=T0,
                    last_fetched_at=T0 + timedelta(days=1),
                ),
            ]
        )
    with session_scope(factory) as session:
        views = FindingViews(session)
        detail = views.detail(finding_id)
        assert detail is not None
        assert detail.finding.triage == "reported"
        assert detail.history[0].event == "new"
        assert [(d.action, d.note, d.by) for d in detail.decisions] == [
            ("reported", "đã gửi biểu mẫu", "Lan")
        ]
        assert [e.sha256 for e in detail.evidence] == ["a" * 64]
        assert views.latest_evidence(finding_id) == "a" * 64
        assert views.latest_evidence(finding_id + 1) is None
        assert [c.sha256 for c in views.captures(finding_id)] == ["a" * 64]
        assert views.captures(finding_id + 1) == []
        assert views.first_with_evidence() == finding_id
        data_json = detail.to_json()
        assert (data_json["signals"], data_json["sources"]) == (["phone:0901234567"], ["duckduckgo"])
        assert data_json["triage_events"][0]["by"] == "Lan"
        assert data_json["evidence"][0]["status"] == 200
        assert views.detail(finding_id + 100) is None


def test_digest_reads_one_brands_period(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        old = record(session, data("facebook:page:old"), T0 - timedelta(days=10))
        new = record(session, data("facebook:page:new"), T0 + timedelta(hours=1))
        record(session, data("facebook:page:elsewhere", brand="other"), T0 + timedelta(hours=1))
        scans = ScanRepository(session)
        now, before = scans.start([BRAND], "test", now=T0).id, scans.start([BRAND], "test", now=T0).id
        session.add_all(
            [
                SourceRun(scan_id=now, brand=BRAND, source="brave", status="ok", started_at=T0),
                SourceRun(
                    scan_id=before,
                    brand=BRAND,
                    source="brave",
                    status="failed",
                    started_at=T0 - timedelta(days=2),
                ),
            ]
        )
    with session_scope(factory) as session:
        reads = DigestReads(session)
        events = reads.events(BRAND, T0, T0 + timedelta(days=1))
        assert [(o.event, view.id) for o, view in events] == [("new", new)]
        still = reads.still_live(BRAND, T0 - timedelta(days=7))
        assert [view.id for view in still] == [old]
        assert [run.status for run in reads.source_runs(BRAND, T0, T0 + timedelta(days=1))] == ["ok"]
        assert reads.unsent(BRAND) is None
        assert reads.last_sent_end(BRAND) is None


def test_digest_rows_say_where_the_next_period_starts(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        for key, status, start in (("d1", "sent", T0), ("d2", "failed", T0 + timedelta(days=1))):
            session.add(
                Notification(
                    dedupe_key=key,
                    kind="digest",
                    channel="email",
                    brand=BRAND,
                    period_start=start,
                    period_end=start + timedelta(days=1),
                    status=status,
                    attempts=1,
                )
            )
    with session_scope(factory) as session:
        reads = DigestReads(session)
        unsent = reads.unsent(BRAND)
        assert unsent is not None
        assert unsent.period_start == T0 + timedelta(days=1)
        assert (unsent.status, unsent.attempts) == ("failed", 1)
        assert reads.last_sent_end(BRAND) == T0 + timedelta(days=1)
        assert reads.unsent("other") is None
