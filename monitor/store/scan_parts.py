"""A scan run as jobs: its parts, the leads they gathered, and work its brands share.

Reads and writes in the caller's session and never commits, like the other repositories.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.store.schema import Scan, utcnow
from monitor.store.schema_queue import ScanLead, ScanPart, SharedResult

JUDGE = "judge"
WAITING, DONE = "waiting", "done"


@dataclass(frozen=True)
class PartState:
    brand: str
    part: str
    state: str
    unchecked: frozenset[str]
    clean: frozenset[str]
    outcome: dict[str, Any]


class ScanParts:
    """The parts of queued scans: planned once, each marked done once, leads kept in between."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def plan(self, scan_id: int, parts: Iterable[tuple[str, str]]) -> None:
        """Add the (brand, part) rows of a new scan (each brand's judgement is one of them)."""
        for brand, part in parts:
            self.session.add(ScanPart(scan_id=scan_id, brand=brand, part=part, state=WAITING))
        self.session.flush()

    def parts(self, scan_id: int, brand: str | None = None) -> list[PartState]:
        query = select(ScanPart).where(ScanPart.scan_id == scan_id).order_by(ScanPart.id)
        if brand is not None:
            query = query.where(ScanPart.brand == brand)
        return [
            PartState(
                row.brand,
                row.part,
                row.state,
                frozenset(row.unchecked or ()),
                frozenset(row.clean or ()),
                dict(row.outcome or {}),
            )
            for row in self.session.scalars(query)
        ]

    def state(self, scan_id: int, brand: str, part: str) -> str | None:
        return self.session.scalar(
            select(ScanPart.state).where(
                ScanPart.scan_id == scan_id, ScanPart.brand == brand, ScanPart.part == part
            )
        )

    def begin(self, scan_id: int, brand: str, part: str) -> int:
        """A part starts (again): what an earlier attempt left is dropped; returns the attempt number."""
        self.session.execute(
            delete(ScanLead).where(
                ScanLead.scan_id == scan_id, ScanLead.brand == brand, ScanLead.part == part
            )
        )
        row = self._row(scan_id, brand, part)
        row.attempts += 1
        self.session.flush()
        return row.attempts

    def add_leads(self, scan_id: int, brand: str, part: str, payloads: Sequence[dict[str, Any]]) -> None:
        self.session.add_all(
            ScanLead(scan_id=scan_id, brand=brand, part=part, payload=payload) for payload in payloads
        )
        self.session.flush()

    def leads(self, scan_id: int, brand: str) -> list[dict[str, Any]]:
        """The brand's leads in the order they were gathered, part by part."""
        query = (
            select(ScanLead.payload)
            .where(ScanLead.scan_id == scan_id, ScanLead.brand == brand)
            .order_by(ScanLead.id)
        )
        return [dict(payload) for payload in self.session.scalars(query)]

    def finish(
        self,
        scan_id: int,
        brand: str,
        part: str,
        *,
        unchecked: Iterable[str] = (),
        clean: Iterable[str] = (),
        outcome: dict[str, Any] | None = None,
    ) -> bool:
        """Mark a part done; False when it already was (a second attempt changes nothing).

        The scan's row is locked first, so parts finishing at the same moment take turns: the
        last one's `discovered` / `judged` then sees every other part done (no judgement or close
        is lost between two transactions that each saw the other still waiting).
        """
        self.lock_scan(scan_id)
        result = self.session.execute(
            update(ScanPart)
            .where(
                ScanPart.scan_id == scan_id,
                ScanPart.brand == brand,
                ScanPart.part == part,
                ScanPart.state != DONE,
            )
            .values(
                state=DONE,
                unchecked=sorted(unchecked),
                clean=sorted(clean),
                outcome=outcome or {},
                finished_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def lock_scan(self, scan_id: int) -> None:
        """Hold the scan's row until the transaction ends (PostgreSQL; SQLite has one writer anyway)."""
        self.session.execute(select(Scan.id).where(Scan.id == scan_id).with_for_update())

    def discovered(self, scan_id: int, brand: str) -> bool:
        """Whether every discovery part of the brand is done (its judgement may run)."""
        return not self.session.scalar(
            select(func.count())
            .select_from(ScanPart)
            .where(
                ScanPart.scan_id == scan_id,
                ScanPart.brand == brand,
                ScanPart.part != JUDGE,
                ScanPart.state != DONE,
            )
        )

    def judged(self, scan_id: int) -> bool:
        """Whether every brand of the scan is judged (the scan may be closed)."""
        return not self.session.scalar(
            select(func.count())
            .select_from(ScanPart)
            .where(ScanPart.scan_id == scan_id, ScanPart.part == JUDGE, ScanPart.state != DONE)
        )

    def drop_leads(self, scan_id: int) -> None:
        """A closed scan's leads are no longer needed (its findings and runs hold what they proved)."""
        self.session.execute(delete(ScanLead).where(ScanLead.scan_id == scan_id))
        self.session.execute(delete(SharedResult).where(SharedResult.scan_id == scan_id))

    def _row(self, scan_id: int, brand: str, part: str) -> ScanPart:
        row = self.session.scalars(
            select(ScanPart).where(
                ScanPart.scan_id == scan_id, ScanPart.brand == brand, ScanPart.part == part
            )
        ).one_or_none()
        if row is None:
            raise LookupError(f"scan {scan_id} has no part {part!r} for brand {brand!r}")
        return row


@dataclass(frozen=True)
class Shared:
    """A shared result as found: done (with its payload), or claimed by `owner` since `claimed_at`."""

    state: str
    owner: str
    claimed_at: datetime
    payload: Any


class SharedResults:
    """Work the brands of one scan share, done once: claim, then put; others read or take over."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, scan_id: int, key: str, owner: str, stale_after: float) -> Shared | None:
        """None: the caller now owns the work. Otherwise what is there (done, or someone's live claim);
        a claim older than `stale_after` seconds is taken over (its owner died)."""
        values = {"scan_id": scan_id, "key": key, "state": "running", "owner": owner, "claimed_at": utcnow()}
        insert = postgresql_insert if self.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        inserted = self.session.execute(
            insert(SharedResult).values(**values).on_conflict_do_nothing().returning(SharedResult.id)
        ).first()
        if inserted is not None:
            return None
        cutoff = utcnow() - timedelta(seconds=stale_after)
        taken = self.session.execute(
            update(SharedResult)
            .where(
                SharedResult.scan_id == scan_id,
                SharedResult.key == key,
                SharedResult.state == "running",
                SharedResult.claimed_at < cutoff,
            )
            .values(owner=owner, claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if getattr(taken, "rowcount", 0):
            return None
        return self.get(scan_id, key)

    def get(self, scan_id: int, key: str) -> Shared | None:
        row = self.session.scalars(
            select(SharedResult).where(SharedResult.scan_id == scan_id, SharedResult.key == key)
        ).one_or_none()
        if row is None:
            return None
        return Shared(row.state, row.owner, row.claimed_at, row.payload)

    def put(self, scan_id: int, key: str, owner: str, payload: Any) -> None:
        self.session.execute(
            update(SharedResult)
            .where(SharedResult.scan_id == scan_id, SharedResult.key == key, SharedResult.owner == owner)
            .values(state=DONE, payload=payload)
            .execution_options(synchronize_session=False)
        )

    def refresh(self, scan_id: int, key: str, owner: str) -> None:
        """The owner is still at it: its claim is not stale."""
        self.session.execute(
            update(SharedResult)
            .where(
                SharedResult.scan_id == scan_id,
                SharedResult.key == key,
                SharedResult.owner == owner,
                SharedResult.state != DONE,
            )
            .values(claimed_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    def release(self, scan_id: int, key: str, owner: str) -> None:
        """The owner could not do the work: the next one to ask does it."""
        self.session.execute(
            delete(SharedResult).where(
                SharedResult.scan_id == scan_id,
                SharedResult.key == key,
                SharedResult.owner == owner,
                SharedResult.state != DONE,
            )
        )
