"""`monitor status --check`, the container health check: answers from the heartbeat and never writes."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.errors import DatabaseAccessError, MonitorError
from monitor.store.db import (
    current_revision,
    head_revision,
    make_engine,
    session_factory,
    session_scope,
    upgrade,
)
from monitor.store.heartbeat import LEASE_NAME
from monitor.store.schema import DaemonState, utcnow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "monitor.toml"


def check(config: Path, db: Path) -> Result:
    return CliRunner().invoke(
        cli,
        ["--lang", "en", "--config", str(config), "status", "--check"],
        env={"MONITOR_DATABASE__URL": f"sqlite:///{db}"},
    )


def database(path: Path, revision: str = "head") -> str:
    engine = make_engine(f"sqlite:///{path}")
    try:
        upgrade(engine, revision)
        return current_revision(engine) or ""
    finally:
        engine.dispose()


def set_state(path: Path, state: str, heartbeat_age: timedelta) -> None:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with session_scope(session_factory(engine)) as session:
            session.merge(
                DaemonState(
                    name=LEASE_NAME,
                    holder="host:1",
                    state=state,
                    acquired_at=utcnow() - heartbeat_age,
                    heartbeat_at=utcnow() - heartbeat_age,
                    expires_at=utcnow() + timedelta(seconds=60),
                    next_runs={},
                )
            )
    finally:
        engine.dispose()


def test_a_running_daemon_with_a_fresh_heartbeat_is_healthy(config: Path, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    database(db)
    set_state(db, "running", timedelta(seconds=1))
    result = check(config, db)
    assert result.exit_code == 0, result.output
    assert "Running." in result.output


@pytest.mark.parametrize(
    ("state", "age"), [("running", timedelta(hours=2)), ("stopped", timedelta(seconds=1)), (None, None)]
)
def test_a_stopped_or_silent_daemon_is_unhealthy(
    config: Path, tmp_path: Path, state: str | None, age: timedelta | None
) -> None:
    db = tmp_path / "monitor.db"
    database(db)
    if state is not None and age is not None:
        set_state(db, state, age)
    result = check(config, db)
    assert isinstance(result.exception, MonitorError)
    assert "not running" in str(result.exception)


def test_an_old_schema_is_reported_and_left_as_it_is(config: Path, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    engine = make_engine(f"sqlite:///{db}")
    try:
        head = head_revision(engine)
    finally:
        engine.dispose()
    before = database(db, "f6063e418b77")
    assert before != head
    set_state(db, "running", timedelta(seconds=1))
    result = check(config, db)
    assert isinstance(result.exception, MonitorError)
    assert "monitor db upgrade" in str(result.exception)
    assert database_revision(db) == before  # no migration was applied


def database_revision(path: Path) -> str | None:
    engine = make_engine(f"sqlite:///{path}")
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def test_a_missing_database_file_is_not_created(config: Path, tmp_path: Path) -> None:
    db = tmp_path / "data" / "monitor.db"
    result = check(config, db)
    assert isinstance(result.exception, DatabaseAccessError)
    assert not db.exists()
    assert not db.parent.exists()
