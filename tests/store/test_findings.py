"""Findings repository on SQLite and PostgreSQL: lifecycle with history, once-only events."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingData, FindingRepository
from monitor.store.scans import ScanRepository
from monitor.store.schema import AllowlistEntry, Observation
from tests.support.scan_changes import diff

BRAND = "bhxh-binh-duong"


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(db_url)
    yield session_factory(engine)
    engine.dispose()


def data(name: str = "BHXH Bình Dương", *, page: str = "content", content: str | None = "h1") -> FindingData:
    return FindingData(
        brand=BRAND,
        platform="facebook",
        identity="facebook:page:bhxhbd",
        url="https://www.facebook.com/bhxhbd",
        name=name,
        score=92,
        verdict="impersonation",
        reasons=[{"code": "organization_match"}],
        signals=["phone:0901234567"],
        sources=frozenset({"duckduckgo"}),
        page=page,
        content_hash=content,
    )


def scan(factory: sessionmaker[Session], seen: list[FindingData], clean: set[str]) -> list[str]:
    """One scan's worth of diff + apply; returns the events written."""
    events: list[str] = []
    with session_scope(factory) as session:
        findings, scans = FindingRepository(session), ScanRepository(session)
        scan_id = scans.start([BRAND], "test").id
        by_id = {item.identity: item for item in seen}
        for change in diff(findings.known(BRAND), [i.seen() for i in seen], clean, gone_after=3):
            if change.identity in by_id:
                _, observation = findings.apply_sighting(change, by_id[change.identity], scan_id)
            else:
                _, observation = findings.apply_absence(BRAND, change, scan_id)
            if observation is not None:
                events.append(observation.event)
    return events


def test_full_lifecycle_with_history(factory: sessionmaker[Session]) -> None:
    clean = {"duckduckgo"}
    assert scan(factory, [data()], clean) == ["new"]
    assert scan(factory, [data()], clean) == []
    assert scan(factory, [data("BHXH Bình Dương - Hỗ trợ rút 1 lần")], clean) == ["changed"]
    assert scan(factory, [], set()) == []  # source blocked: no miss
    assert scan(factory, [], clean) == []
    assert scan(factory, [], clean) == []
    assert scan(factory, [], set()) == []
    assert scan(factory, [], clean) == ["gone"]
    assert scan(factory, [], clean) == []
    assert scan(factory, [data()], clean) == ["reappeared"]
    assert scan(factory, [data(page="unavailable", content=None)], clean) == ["taken_down"]
    assert scan(factory, [data(page="unavailable", content=None)], clean) == []
    with session_scope(factory) as session:
        finding = FindingRepository(session).get(BRAND, "facebook:page:bhxhbd")
        assert finding is not None
        assert finding.status == "taken_down"
        assert finding.name == "BHXH Bình Dương"
        history = [o.event for o in session.scalars(select(Observation).order_by(Observation.id))]
    assert history == ["new", "changed", "gone", "reappeared", "taken_down"]


def test_unchanged_rescans_write_no_history(factory: sessionmaker[Session]) -> None:
    scan(factory, [data()], {"duckduckgo"})
    for _ in range(5):
        scan(factory, [data()], {"duckduckgo"})
    with session_scope(factory) as session:
        assert session.scalar(select(func.count()).select_from(Observation)) == 1


def test_clear_candidates_never_become_findings(factory: sessionmaker[Session]) -> None:
    harmless = FindingData(
        brand=BRAND,
        platform="web",
        identity="web:baobinhduong.vn",
        url="https://baobinhduong.vn",
        name="Báo Bình Dương",
        score=5,
        verdict="clear",
    )
    assert scan(factory, [harmless], {"duckduckgo"}) == []
    with session_scope(factory) as session:
        assert FindingRepository(session).all_for(BRAND) == []


def test_mark_official_allowlists_once(factory: sessionmaker[Session]) -> None:
    scan(factory, [data()], {"duckduckgo"})
    for _ in range(2):
        with session_scope(factory) as session:
            repo = FindingRepository(session)
            finding = repo.get(BRAND, "facebook:page:bhxhbd")
            assert finding is not None
            repo.mark(finding, "official", "trang chính thức", None)
    with session_scope(factory) as session:
        assert FindingRepository(session).allowlisted(BRAND) == {"facebook:page:bhxhbd"}
        assert session.scalar(select(func.count()).select_from(AllowlistEntry)) == 1


def test_stale_running_scans_are_marked_interrupted(factory: sessionmaker[Session]) -> None:
    with session_scope(factory) as session:
        repo = ScanRepository(session)
        started = repo.start([BRAND], "test")
        repo.record_run(started.id, BRAND, "duckduckgo", "running", 0, 0, None, started.started_at)
    with session_scope(factory) as session:
        assert ScanRepository(session).interrupt_stale() == 1
    with session_scope(factory) as session:
        repo = ScanRepository(session)
        assert repo.recent(1)[0].status == "interrupted"
        assert repo.runs(started.id)[0].status == "failed"
