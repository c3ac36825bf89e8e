"""The healthcheck's read with the drivers themselves answers what the SQLAlchemy read answers."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.errors import DatabaseAccessError
from monitor.store.db import make_engine, open_database, session_factory, session_scope
from monitor.store.heartbeat import LEASE_NAME, read_heartbeat
from monitor.store.lease import read_heartbeat_core
from monitor.store.schema import DaemonState, utcnow
from tests.support.loopback import free_port


def both(url: str, window: float | None = None) -> None:
    ours, core = read_heartbeat(url, window), read_heartbeat_core(url, window)
    assert ours == core


def test_an_empty_database_reads_as_nothing_there(db_url: str) -> None:
    make_engine(db_url).dispose()
    if db_url.startswith("sqlite"):
        sqlite3.connect(db_url.removeprefix("sqlite:///")).close()  # the file, with no table
    both(db_url)
    beat = read_heartbeat(db_url)
    assert (beat.state, beat.heartbeat_at, beat.revision) == (None, None, None)


@pytest.mark.parametrize("state", [None, "running", "stopped"])
def test_the_daemon_row_and_revision_read_as_sqlalchemy_reads_them(db_url: str, state: str | None) -> None:
    engine = open_database(db_url)
    try:
        if state is not None:
            with session_scope(session_factory(engine)) as session:
                session.add(
                    DaemonState(
                        name=LEASE_NAME,
                        holder="host:1",
                        state=state,
                        acquired_at=utcnow(),
                        heartbeat_at=utcnow() - timedelta(seconds=3),
                        expires_at=utcnow() + timedelta(seconds=60),
                        next_runs={},
                    )
                )
    finally:
        engine.dispose()
    both(db_url, 60.0 if db_url.startswith("postgresql") else None)
    beat = read_heartbeat(db_url)
    assert beat.revision is not None
    assert beat.revision == beat.head
    assert beat.alive(60) is (state == "running")
    if state is not None:
        assert beat.heartbeat_at is not None
        assert beat.heartbeat_at.tzinfo is not None


def test_a_file_that_is_no_database_is_a_clear_error_and_stays_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "monitor.db"
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DatabaseAccessError) as caught:
        read_heartbeat(f"sqlite:///{path}")
    assert caught.value.where == str(path)
    assert path.read_bytes() == b"not a database at all" * 100


def test_an_unreachable_postgresql_is_refused_with_its_password_hidden() -> None:
    url = f"postgresql+psycopg://monitor:s3cret@127.0.0.1:{free_port()}/monitor"
    with pytest.raises(DatabaseAccessError) as caught:
        read_heartbeat(url)
    assert caught.value.reason == "refused"
    assert "s3cret" not in str(caught.value)
    assert "***" in caught.value.where


@pytest.mark.parametrize("password", ["s3%zzcret", "p%40ss word", "sécret"])
def test_no_password_is_shown_whatever_it_holds(password: str) -> None:
    url = f"postgresql+psycopg://monitor:{password}@127.0.0.1:{free_port()}/monitor"
    with pytest.raises(DatabaseAccessError) as caught:
        read_heartbeat(url)
    shown = f"{caught.value} {caught.value.where} {caught.value.detail}"
    assert password not in shown
    assert password.replace("%40", "@") not in shown


def test_an_option_libpq_does_not_know_is_a_clear_error() -> None:
    with pytest.raises(DatabaseAccessError):
        read_heartbeat(f"postgresql+psycopg://monitor@127.0.0.1:{free_port()}/monitor?no_such_option=1")
