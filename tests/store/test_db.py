"""Engine, sessions and column types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from monitor.errors import DatabaseAccessError
from monitor.storage_errors import describe
from monitor.store.db import make_engine, open_database, session_factory, session_scope
from monitor.store.schema import Finding, Scan
from tests.support.loopback import free_port


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


# Storage failures: real driver errors, translated once at the session scope. Tests run as root,
# which file permissions do not stop, so each uses a situation root cannot bypass.


def _scan_row() -> Scan:
    return Scan(started_at=datetime.now(UTC), brands=["bhxh-binh-duong"], counts={})


def test_read_only_sqlite_is_one_database_access_error(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    open_database(f"sqlite:///{path}").dispose()
    # SQLite's own read-only mode (the URI ?mode=ro): the engine refuses every write, even as root.
    engine = open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(DatabaseAccessError) as caught, session_scope(session_factory(engine)) as session:
        session.add(_scan_row())
    engine.dispose()
    assert (caught.value.reason, caught.value.where) == ("read_only", str(path))
    assert isinstance(caught.value.__cause__, OperationalError)
    line = describe(caught.value, "vi")
    assert line.startswith(f"không ghi được vào cơ sở dữ liệu {path}: cơ sở dữ liệu chỉ cho đọc")
    assert "\n" not in line
    assert describe(caught.value, "en").startswith(f"cannot write to database {path}: it is read-only")


def test_locked_sqlite_is_reported_as_locked(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    open_database(f"sqlite:///{path}").dispose()
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than we wait
    # The monitor waits 30 s for a lock; this engine waits 50 ms, so the same error comes at once.
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    try:
        with pytest.raises(DatabaseAccessError) as caught, session_scope(session_factory(engine)) as session:
            session.add(_scan_row())
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert caught.value.reason == "locked"
    assert "30" in describe(caught.value, "vi")


def test_full_sqlite_is_reported_as_a_full_disk(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    engine = open_database(f"sqlite:///{path}")

    def no_room(connection: Any, _record: Any) -> None:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's real "disk is full"

    engine.dispose()
    event.listen(engine, "connect", no_room)
    with pytest.raises(DatabaseAccessError) as caught, session_scope(session_factory(engine)) as session:
        session.add(Scan(started_at=datetime.now(UTC), brands=["x" * 200_000], counts={}))
    engine.dispose()
    assert caught.value.reason == "full"
    assert "đĩa đầy" in describe(caught.value, "vi")


def test_refused_postgresql_connection_names_the_server_with_the_password_masked() -> None:
    url = f"postgresql+psycopg://giamsat:s3cret-pw@127.0.0.1:{free_port()}/monitor"
    with pytest.raises(DatabaseAccessError) as caught:
        open_database(url)
    port = url.rsplit(":", 1)[1].split("/")[0]
    assert caught.value.reason == "refused"
    assert caught.value.where == f"postgresql+psycopg://giamsat:***@127.0.0.1:{port}/monitor"
    for shown in (str(caught.value), describe(caught.value, "vi"), describe(caught.value, "en")):
        assert "s3cret-pw" not in shown
        assert f"127.0.0.1:{port}" in shown


def test_other_database_errors_pass_through_unchanged(db_url: str) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    finding = {
        "brand": "b",
        "platform": "facebook",
        # PostgreSQL quotes the duplicate key in its message: words in it must not look like a cause.
        "identity": "facebook:page:read only, database or disk is full",
        "url": "https://x",
        "name": "x",
        "score": 1,
        "verdict": "clear",
        "reasons": [],
    }
    with session_scope(factory) as session:
        session.add(Finding(**finding))
    with pytest.raises(IntegrityError), session_scope(factory) as session:
        session.add(Finding(**finding))
    engine.dispose()


def test_a_read_only_database_is_read_only_on_both_backends(db_url: str) -> None:
    engine = open_database(db_url)
    engine.dispose()
    if db_url.startswith("sqlite"):
        engine = make_engine(db_url.replace("sqlite:///", "sqlite:///file:") + "?mode=ro&uri=true")
    else:

        def read_only(connection: Any, _record: Any) -> None:
            with connection.cursor() as cursor:  # as on a hot standby: the server refuses every write
                cursor.execute("SET default_transaction_read_only = on")
            connection.commit()

        event.listen(engine, "connect", read_only)
    with pytest.raises(DatabaseAccessError) as caught, session_scope(session_factory(engine)) as session:
        session.add(_scan_row())
    engine.dispose()
    assert caught.value.reason == "read_only"
    assert "chỉ cho đọc" in describe(caught.value, "vi")
