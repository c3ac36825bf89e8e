"""The container healthcheck's read: the daemon's heartbeat and the schema revision, changing nothing.

`monitor status --check` runs every minute beside the daemon; it reads with the database drivers
themselves (sqlite3, psycopg), without SQLAlchemy, the ORM models or Alembic, so that it starts in
a fraction of a second. Other databases are read through SQLAlchemy Core (monitor.store.lease).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import monitor
from monitor.errors import DatabaseAccessError
from monitor.locations import sqlite_file, url_parts
from monitor.storage_errors import driver_failure

LEASE_NAME = "scheduler"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"](\w+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(None|['\"](\w+)['\"])\s*$", re.MULTILINE)
_POSTGRES = re.compile(r"^postgres(?:ql)?(?:\+\w+)?://")
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")
_PASSWORD_RAW = re.compile(r"://[^:/@]*:([^@]*)@")
_WORKERS = (
    "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => %s)"
)


@dataclass(frozen=True)
class Heartbeat:
    """The daemon row and the schema revisions, as the healthcheck reads them."""

    state: str | None
    heartbeat_at: datetime | None
    revision: str | None  # the database's
    head: str | None  # the newest this installation knows
    # Job-queue workers whose heartbeat is fresh (None: not asked, or no queue tables).
    workers: int | None = None

    def alive(self, lease_seconds: float, now: datetime | None = None) -> bool:
        """Running, with a heartbeat younger than the lease."""
        if self.state != "running" or self.heartbeat_at is None:
            return False
        return (now or datetime.now(UTC)) - self.heartbeat_at < timedelta(seconds=lease_seconds)


def read_heartbeat(url: str, worker_window: float | None = None) -> Heartbeat:
    """The heartbeat and revisions of the database at `url`, changing nothing.

    No migration runs and no SQLite file or folder is created (DatabaseAccessError "missing"
    when the file does not exist); connection failures leave as DatabaseAccessError too.
    """
    path = sqlite_file(url)
    if path is not None:
        state, beat, revision = _read_sqlite(path)
        workers = None
    elif _POSTGRES.match(url):
        state, beat, revision, workers = _read_postgres(url, worker_window)
    else:
        from monitor.store.lease import read_heartbeat_core

        return read_heartbeat_core(url, worker_window)
    if beat is not None and beat.tzinfo is None:  # SQLite keeps no zone: stored as UTC
        beat = beat.replace(tzinfo=UTC)
    return Heartbeat(state, beat, revision, schema_head() or alembic_head(url), workers)


def _read_sqlite(path: Path) -> tuple[str | None, datetime | None, str | None]:
    if not path.exists():
        raise DatabaseAccessError("missing", str(path), "no such file")
    try:
        # mode=rw: the file is opened, never created.
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise driver_failure(exc, str(path), operational=True) from exc
    try:
        revision = _first(connection.execute, "SELECT version_num FROM alembic_version", ())
        row = _row(
            connection.execute, "SELECT state, heartbeat_at FROM daemon_state WHERE name = ?", (LEASE_NAME,)
        )
    except sqlite3.Error as exc:
        raise driver_failure(exc, str(path), operational=isinstance(exc, sqlite3.OperationalError)) from exc
    finally:
        connection.close()
    beat = row[1] if row is not None else None
    return (
        row[0] if row is not None else None,
        datetime.fromisoformat(beat) if isinstance(beat, str) else beat,
        revision,
    )


def _read_postgres(
    url: str, worker_window: float | None
) -> tuple[str | None, datetime | None, str | None, int | None]:
    import psycopg
    from psycopg.conninfo import make_conninfo

    parts = url_parts(url) or {}
    secrets = {value for value in ([*_PASSWORD_RAW.findall(url), parts.get("password") or ""]) if value}
    where = _PASSWORD.sub(r"\1***@", url)
    options = dict(parse_qsl(parts.get("query") or ""))
    for key, value in (
        ("user", parts.get("username")),
        ("password", parts.get("password")),
        ("host", parts.get("host")),
        ("port", parts.get("port")),
        ("dbname", parts.get("database")),
    ):
        if value:
            options[key] = value
    try:
        conninfo = make_conninfo("", **options)
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=30) as connection:
            revision = _first(connection.execute, "SELECT version_num FROM alembic_version", ())
            row = _row(
                connection.execute,
                "SELECT state, heartbeat_at FROM daemon_state WHERE name = %s",
                (LEASE_NAME,),
            )
            workers = (
                _first(connection.execute, _WORKERS, (worker_window,)) if worker_window is not None else None
            )
    except (psycopg.Error, ValueError) as exc:  # ValueError: a URL libpq cannot read
        failure = driver_failure(exc, where, operational=isinstance(exc, psycopg.OperationalError))
        for secret in secrets:
            failure = DatabaseAccessError(
                failure.reason, failure.where, failure.detail.replace(secret, "***")
            )
        raise failure from exc
    return (row[0] if row is not None else None, row[1] if row is not None else None, revision, workers)


def _row(execute: Callable[..., Any], sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The first row of `sql`, or None (also when its table does not exist: an empty database)."""
    try:
        row = execute(sql, params).fetchone()
    except Exception as exc:
        if _missing_table(exc):
            return None
        raise
    return tuple(row) if row is not None else None


def _first(execute: Callable[..., Any], sql: str, params: tuple[Any, ...]) -> Any:
    row = _row(execute, sql, params)
    return row[0] if row is not None else None


def _missing_table(exc: Exception) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return "no such table" in str(exc)
    return getattr(exc, "sqlstate", None) == "42P01"  # PostgreSQL: undefined_table


def schema_head(folder: Path | None = None) -> str | None:
    """The newest revision of the migration scripts, from their `revision` / `down_revision` lines.

    Alembic would import every script (and itself) to learn this; a healthcheck reads the lines.
    None when the scripts are not one straight chain (a merge, a branch): Alembic then decides.
    """
    folder = folder or _migrations()
    if folder is None:
        return None
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (folder / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found, down = _REVISION.search(source), _DOWN.search(source)
        if found is None:
            continue
        if down is None:
            return None  # a tuple of parents (a merge) or a form this reader does not know
        revisions.add(found.group(1))
        if down.group(2):
            parents.add(down.group(2))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _migrations() -> Path | None:
    """The Alembic scripts: inside the installed package, or migrations/ of a source tree."""
    package = Path(monitor.__file__).resolve().parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    return None


def alembic_head(url: str) -> str | None:
    from monitor.store.db import head_revision, make_engine

    engine = make_engine(url)
    try:
        return head_revision(engine)
    finally:
        engine.dispose()
