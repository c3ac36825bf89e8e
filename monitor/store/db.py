"""Engine and session scope for SQLite or PostgreSQL, and schema migrations through Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

import monitor
from monitor.errors import ConfigError, DatabaseAccessError, DatabaseError
from monitor.locations import sqlite_file
from monitor.storage_errors import database_failure, database_reason, database_where

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported by the functions that migrate or read revisions: opening an engine and a
# session (the healthcheck, the web console's requests) does not need it.


def migrations_dir() -> Path:
    """The Alembic scripts: inside the installed package, or migrations/ of a source tree."""
    package = Path(monitor.__file__).resolve().parent
    for candidate in (package / "migrations", package.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise DatabaseError("the migration scripts are missing from this installation")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite gets its folder, WAL mode, foreign keys and a busy timeout."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError("database.url", None, f"not a database URL: {exc}") from exc
    kwargs: dict[str, Any] = {"echo": echo}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError("database.url", None, f"cannot use this database: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error.

    Driver errors of the store itself (locked, read-only, full, I/O, unreachable) leave as one
    DatabaseAccessError naming the database; other errors pass through unchanged.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        # A dead connection cannot roll back: the error that got us here is the one to report.
        with suppress(SQLAlchemyError):
            session.rollback()
        if isinstance(exc, DBAPIError) and (isinstance(exc, OperationalError) or database_reason(exc)):
            bind = factory.kw.get("bind")
            raise database_failure(exc, bind.url if isinstance(bind, Engine) else None) from exc
        raise
    finally:
        session.close()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Apply migrations up to `revision`; returns the revision the database is at."""
    from alembic import command

    try:
        command.upgrade(alembic_config(engine), revision)
        return current_revision(engine)
    except OperationalError as exc:
        raise database_failure(exc, engine.url) from exc
    except SQLAlchemyError as exc:
        raise DatabaseError(f"migration failed: {_short(exc)}") from exc


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    try:
        command.downgrade(alembic_config(engine), revision)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"downgrade failed: {_short(exc)}") from exc


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def open_database(url: str, *, echo: bool = False, create: bool = True) -> Engine:
    """The engine every command uses: migrations applied automatically first.

    Commands that only read pass `create=False`: a SQLite file that does not exist is then
    refused (a mistyped path must not look like an empty database) and is not created.
    """
    if not create:
        require_existing(url)
    engine = make_engine(url, echo=echo)
    upgrade(engine)
    return engine


def require_existing(url: str) -> None:
    """Raise DatabaseAccessError("missing") when `url` is a SQLite file that does not exist."""
    try:
        path = sqlite_file(url)
    except ArgumentError as exc:
        raise ConfigError("database.url", None, f"not a database URL: {exc}") from exc
    if path is not None and not path.exists():
        raise DatabaseAccessError("missing", database_where(url), "no such file")


def _short(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
