"""Engine, sessions and column types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding, Scan


def test_datetimes_come_back_aware_utc_and_json_intact(db_url: str) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    local = datetime(2026, 11, 24, 7, 30, tzinfo=timezone(timedelta(hours=7)))
    hostile = "<script>alert(1)</script>\x07" + "Bình Dương " * 1000
    with session_scope(factory) as session:
        scan = Scan(started_at=local, brands=["bhxh-binh-duong"], counts={"new": 1})
        session.add(scan)
        session.add(
            Finding(
                brand="bhxh-binh-duong",
                platform="facebook",
                identity="facebook:page:x",
                url="https://x",
                name=hostile,
                score=90,
                verdict="impersonation",
                reasons=[{"code": "a", "weight": 1.5}],
            )
        )
    with session_scope(factory) as session:
        stored = session.scalars(select(Scan)).one()
        finding = session.scalars(select(Finding)).one()
    engine.dispose()
    assert stored.started_at == local
    assert stored.started_at.tzinfo is not None
    assert stored.started_at.utcoffset() == timedelta(0)
    assert stored.counts == {"new": 1}
    assert finding.name == hostile
    assert finding.reasons == [{"code": "a", "weight": 1.5}]
    assert finding.first_seen_at.tzinfo == UTC


def test_session_scope_rolls_back_on_error(db_url: str) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)

    def finding() -> Finding:
        return Finding(
            brand="b", platform="web", identity="web:x.vn", url="u", name="n", score=1, verdict="suspect"
        )

    with session_scope(factory) as session:
        session.add(finding())

    def add_scan_and_duplicate() -> None:
        with session_scope(factory) as session:
            session.add(Scan())
            session.add(finding())  # same brand × identity: refused

    with pytest.raises(IntegrityError):
        add_scan_and_duplicate()
    with session_scope(factory) as session:
        assert session.scalars(select(Scan)).all() == []
        assert len(session.scalars(select(Finding)).all()) == 1
    engine.dispose()


def test_naive_datetimes_are_refused(db_url: str) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)

    def add_naive() -> None:
        with session_scope(factory) as session:
            session.add(Scan(started_at=datetime(2026, 1, 1)))

    with pytest.raises(StatementError, match="naive"):
        add_naive()
    engine.dispose()
