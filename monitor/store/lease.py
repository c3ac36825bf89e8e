"""One active scheduler per database: a lease row with heartbeat, plus an advisory lock on PostgreSQL."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, text, true, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from monitor.errors import DatabaseError
from monitor.log import get_logger
from monitor.store.db import session_factory, session_scope
from monitor.store.schema import DaemonState, utcnow

log = get_logger(__name__)

LEASE_NAME = "scheduler"
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
        now = now or utcnow()
        # Holding the advisory lock proves any earlier holder is gone: no need to wait for expiry.
        if self._claim(now, force=self.uses_advisory_lock):
            log.info("lease_acquired", holder=self.holder)
            return True
        self._advisory_unlock()
        return False

    def renew(self, next_runs: dict[str, Any] | None = None, now: datetime | None = None) -> bool:
        """Heartbeat; False when the lease was lost (another daemon took over)."""
        now = now or utcnow()
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
        try:
            with session_scope(self._factory) as session:
                session.execute(
                    update(DaemonState)
                    .where(DaemonState.name == LEASE_NAME, DaemonState.holder == self.holder)
                    .values(state="stopped", expires_at=utcnow(), next_runs={})
                    .execution_options(synchronize_session=False)
                )
        except (SQLAlchemyError, DatabaseError) as exc:
            log.warning("lease_release_failed", error=str(exc).splitlines()[0])
        finally:
            self._advisory_unlock()

    def _claim(self, now: datetime, *, force: bool) -> bool:
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
    with session_scope(session_factory(engine)) as session:
        return session.scalars(select(DaemonState).where(DaemonState.name == LEASE_NAME)).one_or_none()
