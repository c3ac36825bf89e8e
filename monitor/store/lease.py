"""One active scheduler per database: a lease row with heartbeat, plus an advisory lock on PostgreSQL.

The container healthcheck (`monitor status --check`) reads the heartbeat through
monitor.store.heartbeat (the drivers themselves); the lease itself (the daemon's side) uses the ORM.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    String,
    column,
    inspect,
    select,
    table,
    text,
    true,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from monitor.errors import DatabaseAccessError, DatabaseError
from monitor.log import get_logger
from monitor.store.heartbeat import LEASE_NAME, Heartbeat, alembic_head, schema_head

if TYPE_CHECKING:
    from monitor.store.schema import DaemonState

log = get_logger(__name__)

# Arbitrary constant identifying the monitor's scheduler among advisory locks.
ADVISORY_KEY = 0x6D6F6E69


# Tokens of the holder ids this process made: our pid with another token is an earlier process
# that had the same pid (a container's PID 1 after a restart), and that one is gone.
_OUR_TOKENS: set[str] = set()


def holder_id() -> str:
    token = uuid.uuid4().hex[:8]
    _OUR_TOKENS.add(token)
    return f"{socket.gethostname()}:{os.getpid()}:{token}"


def holder_gone(holder: str) -> bool:
    """True only when `holder` (a holder_id) was a process on this host that no longer exists."""
    host, _, rest = holder.partition(":")
    pid_text, _, token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's process: only its heartbeat can tell
    pid = int(pid_text)
    if pid == os.getpid():
        return token not in _OUR_TOKENS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # exists, owned by another user
    return False


class Lease:
    """Acquire, renew and release the scheduler lease for `holder`."""

    def __init__(self, engine: Engine, holder: str, ttl: float) -> None:
        from monitor.store.db import session_factory

        self.engine = engine
        self.holder = holder
        self.ttl = timedelta(seconds=ttl)
        self._factory = session_factory(engine)
        self._lock_connection: Connection | None = None

    @property
    def uses_advisory_lock(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self, now: datetime | None = None) -> bool:
        """Take the lease if it is free, expired or ours; True when we hold it."""
        if self.uses_advisory_lock and not self._advisory_lock():
            return False
        now = now or _now()
        # Holding the advisory lock proves any earlier holder is gone: no need to wait for expiry.
        if self._claim(now, force=self.uses_advisory_lock):
            log.info("lease_acquired", holder=self.holder)
            return True
        self._advisory_unlock()
        return False

    def renew(self, next_runs: dict[str, Any] | None = None, now: datetime | None = None) -> bool:
        """Heartbeat; False when the lease was lost (another daemon took over)."""
        from monitor.store.db import session_scope
        from monitor.store.schema import DaemonState

        now = now or _now()
        values: dict[str, Any] = {"heartbeat_at": now, "expires_at": now + self.ttl, "state": "running"}
        if next_runs is not None:
            values["next_runs"] = next_runs
        try:
            with session_scope(self._factory) as session:
                result = session.execute(
                    update(DaemonState)
                    .where(DaemonState.name == LEASE_NAME, DaemonState.holder == self.holder)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                return bool(getattr(result, "rowcount", 0))
        except (SQLAlchemyError, DatabaseError) as exc:
            log.warning("lease_renew_failed", error=str(exc).splitlines()[0])
            return False

    def release(self) -> None:
        from monitor.store.db import session_scope
        from monitor.store.schema import DaemonState

        try:
            with session_scope(self._factory) as session:
                session.execute(
                    update(DaemonState)
                    .where(DaemonState.name == LEASE_NAME, DaemonState.holder == self.holder)
                    .values(state="stopped", expires_at=_now(), next_runs={})
                    .execution_options(synchronize_session=False)
                )
        except (SQLAlchemyError, DatabaseError) as exc:
            log.warning("lease_release_failed", error=str(exc).splitlines()[0])
        finally:
            self._advisory_unlock()

    def _claim(self, now: datetime, *, force: bool) -> bool:
        from monitor.store.db import session_scope
        from monitor.store.schema import DaemonState

        with session_scope(self._factory) as session:
            if session.get(DaemonState, LEASE_NAME) is None:
                try:
                    with session.begin_nested():
                        session.add(DaemonState(name=LEASE_NAME, state="stopped", next_runs={}))
                except IntegrityError:
                    pass  # another daemon created it first; the update below decides
            free = (
                (DaemonState.holder == self.holder)
                | (DaemonState.holder.is_(None))
                | (DaemonState.expires_at.is_(None))
                | (DaemonState.expires_at < now)
                | (DaemonState.state == "stopped")
            )
            result = session.execute(
                update(DaemonState)
                .where(DaemonState.name == LEASE_NAME, true() if force else free)
                .values(
                    holder=self.holder,
                    state="running",
                    acquired_at=now,
                    heartbeat_at=now,
                    expires_at=now + self.ttl,
                )
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    def _advisory_lock(self) -> bool:
        if self._lock_connection is not None:
            return True
        connection = self.engine.connect()
        got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar())
        connection.commit()
        if got:
            # The lock lives as long as this connection: if the process dies, it is released.
            self._lock_connection = connection
        else:
            connection.close()
        return got

    def _advisory_unlock(self) -> None:
        if self._lock_connection is None:
            return
        try:
            self._lock_connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            self._lock_connection.commit()
        except SQLAlchemyError:
            pass  # the connection is gone, and the lock with it
        finally:
            self._lock_connection.close()
            self._lock_connection = None


def read_state(engine: Engine) -> DaemonState | None:
    from monitor.store.db import session_factory, session_scope
    from monitor.store.schema import DaemonState

    with session_scope(session_factory(engine)) as session:
        return session.scalars(select(DaemonState).where(DaemonState.name == LEASE_NAME)).one_or_none()


def _now() -> datetime:
    return datetime.now(UTC)


# --- the healthcheck's read, for databases read through SQLAlchemy (see monitor.store.heartbeat) --

# The columns it reads, as Core constructs (monitor.store.schema.DaemonState and Alembic's table).
_DAEMON = table(
    "daemon_state",
    column("name", String),
    column("state", String),
    column("heartbeat_at", DateTime(timezone=True)),
)
_VERSION = table("alembic_version", column("version_num", String))


def read_heartbeat_core(url: str, worker_window: float | None = None) -> Heartbeat:
    """monitor.store.heartbeat.read_heartbeat through SQLAlchemy Core: for the databases whose
    driver that module does not use itself."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from monitor.locations import sqlite_file
    from monitor.storage_errors import database_failure, database_where

    path = sqlite_file(url)
    if path is not None and not path.exists():
        raise DatabaseAccessError("missing", database_where(url), "no such file")
    options: dict[str, Any] = {"connect_args": {"timeout": 30}} if path is not None else {}
    engine = create_engine(url, poolclass=NullPool, **options)
    try:
        with engine.connect() as connection:
            tables = inspect(connection)
            revision = (
                connection.scalar(select(_VERSION.c.version_num))
                if tables.has_table("alembic_version")
                else None
            )
            row = (
                connection.execute(
                    select(_DAEMON.c.state, _DAEMON.c.heartbeat_at).where(_DAEMON.c.name == LEASE_NAME)
                ).one_or_none()
                if tables.has_table("daemon_state")
                else None
            )
            workers = None
            if worker_window is not None and tables.has_table("procrastinate_workers"):
                workers = connection.scalar(
                    text(
                        "SELECT count(*) FROM procrastinate_workers "
                        "WHERE last_heartbeat > now() - make_interval(secs => :window)"
                    ),
                    {"window": worker_window},
                )
    except DBAPIError as exc:
        raise database_failure(exc, engine.url) from exc
    finally:
        engine.dispose()
    beat = row[1] if row is not None else None
    if beat is not None and beat.tzinfo is None:  # SQLite keeps no zone: stored as UTC
        beat = beat.replace(tzinfo=UTC)
    head = schema_head() or alembic_head(url)
    return Heartbeat(row[0] if row is not None else None, beat, revision, head, workers)
