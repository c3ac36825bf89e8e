"""Shared fixtures: realworld captures, loopback servers and the databases under test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REALWORLD = REPO.parent / "shared" / "realworld"


@pytest.fixture(scope="session")
def realworld() -> Path:
    """The folder of real captured markup; tests needing it skip cleanly only outside CI."""
    if not REALWORLD.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{REALWORLD} is missing in CI")
        pytest.skip("shared/realworld captures are not present")
    return REALWORLD


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MONITOR_* variable of the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("MONITOR_"):
            monkeypatch.delenv(name)


def _postgres_admin_url() -> str | None:
    return os.environ.get("POSTGRES_TEST_URL") or None


@contextmanager
def postgres_database(prefix: str = "monitor_test") -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; fails in CI when none is reachable."""
    admin = _postgres_admin_url()
    if admin is None:
        if os.environ.get("CI"):
            pytest.fail("POSTGRES_TEST_URL is not set in CI")
        pytest.skip("POSTGRES_TEST_URL is not set")
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database on each backend (PostgreSQL: a new database per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.db'}"
        return
    with postgres_database() as url:
        yield url
