"""One scan per brand at a time across processes: brand locks with a heartbeat, PostgreSQL advisory locks."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from monitor.errors import DatabaseError, ScanBusyError
from monitor.log import get_logger
from monitor.store.db import session_factory, session_scope
from monitor.store.lease import holder_id
from monitor.store.scans import SCAN_STALE_SECONDS, ScanRepository
from monitor.store.schema import BrandLock, Scan

log = get_logger(__name__)

# Two-key advisory locks (a key space apart from the scheduler's one-key lock): class, brand hash.
ADVISORY_CLASS = 0x6D6F6E73
WAIT_POLL_SECONDS = 2.0


def advisory_key(brand: str) -> int:
    """The brand's advisory lock key, a signed 32-bit integer."""
    value = zlib.crc32(brand.encode())
    return value - (1 << 32) if value >= 1 << 31 else value


class ScanLock:
    """Claims a scan's brands, keeps the claim alive with a heartbeat, and gives it back."""

    def __init__(
        self, engine: Engine, owner: str | None = None, stale_after: float = SCAN_STALE_SECONDS
    ) -> None:
        self.engine = engine
        self.owner = owner or holder_id()
        self.stale_after = stale_after
        self.brands: list[str] = []
        self.scan_id: int | None = None
        self._factory = session_factory(engine)
        self._connection: Connection | None = None
        self._advisory: list[str] = []

    @property
    def uses_advisory_lock(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def start(self, brands: Sequence[str], trigger: str, now: datetime | None = None) -> Scan:
        """Claim every brand and open the scan in one transaction; ScanBusyError if a live scan holds one."""
        wanted = sorted(set(brands))
        if self.uses_advisory_lock:
            refused = self._advisory_lock(wanted)
            if refused:
                raise ScanBusyError(self._holders(refused))
        try:
            with session_scope(self._factory) as session:
                repo = ScanRepository(session)
                # Holding the advisory locks proves every earlier holder's session is gone.
                held, taken = repo.claim_brands(
                    wanted, self.owner, now, self.stale_after, force=self.uses_advisory_lock
                )
                if held:
                    raise ScanBusyError(held)  # rolls the partial claim back
                closed = repo.interrupt_stale(now, self.stale_after, gone=taken)
                scan = repo.start(list(brands), trigger, now, owner=self.owner)
                repo.attach_brands(self.owner, scan.id)
        except BaseException:
            self._advisory_unlock()
            raise
        self.brands, self.scan_id = wanted, scan.id
        log.info("scan_brands_claimed", scan_id=scan.id, brands=wanted, owner=self.owner, interrupted=closed)
        return scan

    def start_waiting(
        self, brands: Sequence[str], trigger: str, stop: threading.Event, poll: float = WAIT_POLL_SECONDS
    ) -> Scan:
        """Like start(), but wait while the brands are busy; ScanBusyError only once `stop` is set."""
        waiting = False
        while True:
            try:
                return self.start(brands, trigger)
            except ScanBusyError as busy:
                if not waiting:
                    log.info(
                        "scan_waiting",
                        brands=sorted(busy.holders),
                        holders=sorted(set(busy.holders.values())),
                    )
                    waiting = True
                if stop.wait(poll):
                    raise

    def beat(self, now: datetime | None = None) -> bool:
        """Refresh the heartbeat; False once the scan or one of its brands is no longer ours."""
        if self.scan_id is None:
            return False
        try:
            with session_scope(self._factory) as session:
                return ScanRepository(session).heartbeat(self.scan_id, self.owner, len(self.brands), now)
        except (SQLAlchemyError, DatabaseError) as exc:
            log.warning("scan_heartbeat_failed", scan_id=self.scan_id, error=str(exc).splitlines()[0])
            return True  # cannot tell now; the next beat will

    def release(self) -> None:
        """Give the brands back (the scan row itself is finished by its owner)."""
        try:
            if self.brands:
                with session_scope(self._factory) as session:
                    ScanRepository(session).release_brands(self.owner)
                log.info("scan_brands_released", scan_id=self.scan_id, brands=self.brands)
        except (SQLAlchemyError, DatabaseError) as exc:
            log.warning("scan_release_failed", scan_id=self.scan_id, error=str(exc).splitlines()[0])
        finally:
            self.brands = []
            self._advisory_unlock()

    def _holders(self, brands: Sequence[str]) -> dict[str, str]:
        try:
            with session_scope(self._factory) as session:
                rows = dict(
                    session.execute(
                        select(BrandLock.brand, BrandLock.owner).where(BrandLock.brand.in_(list(brands)))
                    ).all()
                )
        except (SQLAlchemyError, DatabaseError):
            rows = {}
        return {brand: rows.get(brand) or "?" for brand in brands}

    def _advisory_lock(self, brands: Sequence[str]) -> list[str]:
        """Try every brand's advisory lock on one connection kept for the scan; returns those refused."""
        if self._connection is None:
            self._connection = self.engine.connect()
        connection = self._connection
        refused: list[str] = []
        for brand in brands:
            if brand in self._advisory:
                continue
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:c, :k)"), {"c": ADVISORY_CLASS, "k": advisory_key(brand)}
            ).scalar()
            if got:
                self._advisory.append(brand)
            else:
                refused.append(brand)
        connection.commit()
        if refused:
            self._advisory_unlock()
        return refused

    def _advisory_unlock(self) -> None:
        # The locks live as long as this connection: if the process dies, they go with it.
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            for brand in self._advisory:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:c, :k)"), {"c": ADVISORY_CLASS, "k": advisory_key(brand)}
                )
            connection.commit()
        except SQLAlchemyError:
            pass  # the connection is gone, and the locks with it
        finally:
            self._advisory = []
            connection.close()
