"""SQLite URLs are read without SQLAlchemy the way SQLAlchemy reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from monitor.locations import anchored_url, sqlite_file

URLS = [
    "sqlite:///data/monitor.db",
    "sqlite:////srv/monitor/monitor.db",
    "sqlite+pysqlite:///data/m.db",
    "sqlite:///~/monitor.db",
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:///file:data/m.db?mode=ro&uri=true",
    "sqlite:///file::memory:?cache=shared&uri=true",
    "sqlite:///file:mem1?mode=memory&cache=shared&uri=true",
    "sqlite:///d%C3%A2ta/b%E1%BA%A3o%20hi%E1%BB%83m.db",
    "sqlite:///data/m.db?timeout=30",
    "sqlite:///data with space/m.db",
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql://u:p%40ss@db.example/monitor?sslmode=require",
    "mysql+pymysql://u@h/db",
]


def reference_file(url: str) -> Path | None:
    """What sqlite_file answered when it read URLs with SQLAlchemy."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
        if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
            return None
    return Path(database).expanduser()


def reference_anchored(url: str, home: Path) -> str:
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:") or Path(database).expanduser().is_absolute():
        return url
    return parsed.set(database=str(home / database)).render_as_string(hide_password=False)


@pytest.mark.parametrize("url", URLS)
def test_sqlite_files_are_read_as_sqlalchemy_reads_them(url: str) -> None:
    assert sqlite_file(url) == reference_file(url)


@pytest.mark.parametrize("url", URLS)
def test_relative_sqlite_files_are_anchored_as_before(url: str) -> None:
    home = Path("/srv/hồ sơ/monitor")
    ours, theirs = make_url(anchored_url(url, home)), make_url(reference_anchored(url, home))
    assert (ours.drivername, ours.database, dict(ours.query), ours.host, ours.username, ours.password) == (
        theirs.drivername,
        theirs.database,
        dict(theirs.query),
        theirs.host,
        theirs.username,
        theirs.password,
    )


@pytest.mark.parametrize("url", ["monitor.db", "", "sqlite:/data/m.db"])
def test_what_is_not_a_url_is_refused_as_before(url: str) -> None:
    with pytest.raises(ArgumentError):
        sqlite_file(url)
    with pytest.raises(ArgumentError):
        anchored_url(url, Path("/srv"))
