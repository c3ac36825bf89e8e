"""Scans and their per-source runs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.store.lease import holder_gone
from monitor.store.schema import BrandLock, Scan, SourceRun, utcnow

# A running scan refreshes its heartbeat this often; one silent for SCAN_STALE_SECONDS has lost
# its owner. A dead process on this host, or (PostgreSQL) a lost session, frees its brands at once.
SCAN_HEARTBEAT_SECONDS = 15.0
SCAN_STALE_SECONDS = 300.0
# The owner of a scan run as jobs: its parts are closed by the queue, never by a heartbeat check.
QUEUED = "queue"


@dataclass(frozen=True)
class SourceHealth:
    """How a source has been doing lately, for one brand."""

    brand: str
    source: str
    last_status: str
    last_run_at: datetime
    last_results: int
    last_error: str | None
    last_ok_at: datetime | None
    # Runs in a row, newest first, that were not ok/partial; `since` is the first of them.
    consecutive_failures: int
    failing_since: datetime | None


class ScanRepository:
    """Reads and writes scans in the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start(
        self, brands: Sequence[str], trigger: str, now: datetime | None = None, owner: str | None = None
    ) -> Scan:
        """A new running scan; only an owned scan has a heartbeat (one without is never live)."""
        now = now or utcnow()
        scan = Scan(
            started_at=now,
            brands=list(brands),
            trigger=trigger,
            status="running",
            owner=owner,
            heartbeat_at=now if owner else None,
        )
        self.session.add(scan)
        self.session.flush()
        return scan

    def get(self, scan_id: int) -> Scan | None:
        return self.session.get(Scan, scan_id)

    def interrupt_stale(
        self,
        now: datetime | None = None,
        stale_after: float = SCAN_STALE_SECONDS,
        gone: Collection[int] = (),
    ) -> int:
        """Close the running scans whose owner is gone; a live scan (fresh heartbeat) is never touched.

        Gone: no heartbeat for `stale_after` seconds, a process on this host that no longer exists,
        or a scan in `gone` (the caller proved its owner dead, e.g. by taking its advisory lock).
        """
        now = now or utcnow()
        cutoff = now - timedelta(seconds=stale_after)
        running = self.session.execute(
            select(Scan.id, Scan.owner, Scan.heartbeat_at).where(
                Scan.status == "running", or_(Scan.owner.is_(None), Scan.owner != QUEUED)
            )
        ).all()
        closed: list[int] = []
        for scan_id, owner, beat in running:
            dead = (
                scan_id in gone or beat is None or beat < cutoff or (owner is not None and holder_gone(owner))
            )
            if not dead:
                continue
            # Only if it did not beat meanwhile: a scan that is alive after all keeps running.
            result = self.session.execute(
                update(Scan)
                .where(Scan.id == scan_id, Scan.status == "running", _same(Scan.heartbeat_at, beat))
                .values(status="interrupted", finished_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0):
                closed.append(scan_id)
        if closed:
            self.session.execute(
                update(SourceRun)
                .where(SourceRun.status == "running", SourceRun.scan_id.in_(closed))
                .values(status="failed", error="interrupted", finished_at=now)
                .execution_options(synchronize_session=False)
            )
        return len(closed)

    def claim_brands(
        self,
        brands: Sequence[str],
        owner: str,
        now: datetime | None = None,
        stale_after: float = SCAN_STALE_SECONDS,
        *,
        force: bool = False,
    ) -> tuple[dict[str, str], set[int]]:
        """Take `brands` for `owner` unless a live scan holds one; never commits.

        Returns (brand -> live holder) for the brands refused, and the scans whose owner was found
        gone and whose brands were taken over. `force` takes every brand (the caller holds proof,
        such as PostgreSQL advisory locks, that no other holder is alive). Partial claims are the
        caller's to roll back when anything was refused.
        """
        if not brands:
            return {}, set()
        now = now or utcnow()
        cutoff = now - timedelta(seconds=stale_after)
        self._ensure_lock_rows(brands)
        rows = self.session.execute(
            select(BrandLock.brand, BrandLock.owner, BrandLock.heartbeat_at, BrandLock.scan_id).where(
                BrandLock.brand.in_(list(brands))
            )
        ).all()
        refused: dict[str, str] = {}
        taken: set[int] = set()
        for brand, holder, beat, scan_id in rows:
            free = (
                force
                or holder is None
                or holder == owner
                or beat is None
                or beat < cutoff
                or holder_gone(holder)
            )
            if free:
                # Compare and set: only if nobody claimed or refreshed it since we looked.
                result = self.session.execute(
                    update(BrandLock)
                    .where(
                        BrandLock.brand == brand,
                        _same(BrandLock.owner, holder),
                        _same(BrandLock.heartbeat_at, beat),
                    )
                    .values(owner=owner, acquired_at=now, heartbeat_at=now, scan_id=None)
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0):
                    if holder not in (None, owner) and scan_id is not None:
                        taken.add(scan_id)
                    continue
            refused[brand] = holder or "?"
        return refused, taken

    def attach_brands(self, owner: str, scan_id: int) -> None:
        """Record which scan holds the brands `owner` claimed."""
        self.session.execute(
            update(BrandLock)
            .where(BrandLock.owner == owner)
            .values(scan_id=scan_id)
            .execution_options(synchronize_session=False)
        )

    def heartbeat(self, scan_id: int, owner: str, brands: int, now: datetime | None = None) -> bool:
        """Refresh the scan's and its brands' heartbeat; False when any of them is no longer ours."""
        now = now or utcnow()
        scan = self.session.execute(
            update(Scan)
            .where(Scan.id == scan_id, Scan.owner == owner, Scan.status == "running")
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        locks = self.session.execute(
            update(BrandLock)
            .where(BrandLock.owner == owner)
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(scan, "rowcount", 0)) and getattr(locks, "rowcount", 0) == brands

    def release_brands(self, owner: str) -> int:
        """Free the brands `owner` holds; returns how many were still ours."""
        result = self.session.execute(
            update(BrandLock)
            .where(BrandLock.owner == owner)
            .values(owner=None, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def brand_locks(self) -> Sequence[BrandLock]:
        return self.session.scalars(select(BrandLock).order_by(BrandLock.brand)).all()

    def _ensure_lock_rows(self, brands: Sequence[str]) -> None:
        # INSERT .. ON CONFLICT DO NOTHING: two processes creating the same row never fail, and
        # on SQLite this first write takes the database's write lock for the whole claim.
        dialect = self.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        self.session.execute(
            insert(BrandLock)
            .values([{"brand": brand} for brand in brands])
            .on_conflict_do_nothing(index_elements=["brand"])
        )

    def record_run(
        self,
        scan_id: int,
        brand: str,
        source: str,
        status: str,
        requests: int,
        results: int,
        error: str | None,
        started_at: datetime,
        finished_at: datetime | None = None,
    ) -> SourceRun:
        run = self.session.scalars(
            select(SourceRun).where(
                SourceRun.scan_id == scan_id, SourceRun.brand == brand, SourceRun.source == source
            )
        ).one_or_none()
        if run is None:
            run = SourceRun(scan_id=scan_id, brand=brand, source=source, started_at=started_at)
            self.session.add(run)
        run.status, run.requests, run.results, run.error = status, requests, results, error
        run.finished_at = finished_at or utcnow()
        self.session.flush()
        return run

    def finish(self, scan: Scan, status: str, counts: dict[str, Any], error: str | None = None) -> None:
        scan.status, scan.counts, scan.error = status, counts, error
        scan.finished_at = utcnow()
        self.session.flush()

    def runs(self, scan_id: int) -> Sequence[SourceRun]:
        return self.session.scalars(
            select(SourceRun).where(SourceRun.scan_id == scan_id).order_by(SourceRun.id)
        ).all()

    def latest(self, trigger: str) -> Scan | None:
        """The last scan started with this trigger."""
        query = select(Scan).where(Scan.trigger == trigger).order_by(Scan.started_at.desc(), Scan.id.desc())
        return self.session.scalars(query.limit(1)).first()

    def recent(self, limit: int = 10) -> Sequence[Scan]:
        return self.session.scalars(select(Scan).order_by(Scan.id.desc()).limit(limit)).all()

    def first_started_at(self) -> datetime | None:
        return self.session.scalars(select(Scan.started_at).order_by(Scan.id).limit(1)).one_or_none()

    def health(self, window: int = 50) -> list[SourceHealth]:
        """Per brand × source: the latest run, the last good one, and the current failure streak."""
        runs = self.session.scalars(
            select(SourceRun)
            .where(SourceRun.status != "running")
            .order_by(SourceRun.id.desc())
            .limit(window * 20)
        ).all()
        grouped: dict[tuple[str, str], list[SourceRun]] = {}
        for run in runs:
            bucket = grouped.setdefault((run.brand, run.source), [])
            if len(bucket) < window:
                bucket.append(run)
        health: list[SourceHealth] = []
        for (brand, source), history in sorted(grouped.items()):
            latest = history[0]
            streak: list[SourceRun] = []
            for run in history:
                if run.status in ("ok", "partial", "skipped"):
                    break
                streak.append(run)
            last_ok = next((run.started_at for run in history if run.status == "ok"), None)
            health.append(
                SourceHealth(
                    brand=brand,
                    source=source,
                    last_status=latest.status,
                    last_run_at=latest.started_at,
                    last_results=latest.results,
                    last_error=latest.error,
                    last_ok_at=last_ok,
                    consecutive_failures=len(streak),
                    failing_since=streak[-1].started_at if streak else None,
                )
            )
        return health


def _same(column: Any, value: object) -> ColumnElement[bool]:
    """`column` still holds `value` (NULL-safe)."""
    return column.is_(None) if value is None else column == value  # type: ignore[no-any-return]
