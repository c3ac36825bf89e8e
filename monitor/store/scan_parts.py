"""A scan run as jobs: its parts, the leads they gathered, and work its brands share.

Reads and writes in the caller's session and never commits, like the other repositories.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from monitor.store.schema import Scan, utcnow
from monitor.store.schema_queue import ScanLead, ScanPart, SharedResult

JUDGE = "judge"
WAITING, DONE = "waiting", "done"
RUNNING = "running"
# Keys per statement of the bulk methods: well within SQLite's and PostgreSQL's parameter limits.
CHUNK = 500
# The longest key the store holds (shared_results.key).
KEY_LIMIT = 512


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

    def plan(self, scan_id: int, parts: Iterable[tuple[str, str, bool]]) -> None:
        """Add the (brand, part, done) rows of a new scan (each brand's judgement is one of them);
        a part planned done has nothing to do (its source runs are recorded with the plan)."""
        for brand, part, done in parts:
            self.session.add(
                ScanPart(scan_id=scan_id, brand=brand, part=part, state=DONE if done else WAITING)
            )
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

    def get_many(self, scan_id: int, keys: Sequence[str]) -> dict[str, Shared]:
        """What is there for each key (done, or someone's claim); keys without a row are left out."""
        found: dict[str, Shared] = {}
        for chunk in _chunks(keys):
            rows = self.session.execute(
                select(
                    SharedResult.key,
                    SharedResult.state,
                    SharedResult.owner,
                    SharedResult.claimed_at,
                    SharedResult.payload,
                ).where(SharedResult.scan_id == scan_id, SharedResult.key.in_(chunk))
            )
            for key, state, owner, claimed_at, payload in rows:
                # SQLite gives the time back without its zone: it was written in UTC.
                aware = claimed_at if claimed_at.tzinfo else claimed_at.replace(tzinfo=UTC)
                found[key] = Shared(state, owner, aware, payload)
        return found

    def claim_many(
        self, scan_id: int, keys: Sequence[str], owner: str, stale_after: float
    ) -> tuple[list[str], dict[str, Shared]]:
        """Claim every key nobody holds: (the keys the caller now owns, what is there for the others).

        A claim older than `stale_after` seconds is taken over. New rows go in sorted by key, and
        stale rows another claimer has locked are skipped rather than waited for, so two claimers
        of overlapping keys never deadlock. A key in neither answer was freed meanwhile: ask again.
        """
        mine: list[str] = []
        found: dict[str, Shared] = {}
        is_postgresql = self.session.get_bind().dialect.name == "postgresql"
        insert = postgresql_insert if is_postgresql else sqlite_insert
        for chunk in _chunks(sorted(set(keys))):
            now = utcnow()
            rows = [
                {"scan_id": scan_id, "key": key, "state": RUNNING, "owner": owner, "claimed_at": now}
                for key in chunk
            ]
            added = set(
                self.session.scalars(
                    insert(SharedResult).values(rows).on_conflict_do_nothing().returning(SharedResult.key)
                )
            )
            rest = [key for key in chunk if key not in added]
            taken: set[str] = set()
            if rest:
                cutoff = now - timedelta(seconds=stale_after)
                stale = (
                    select(SharedResult.id)
                    .where(
                        SharedResult.scan_id == scan_id,
                        SharedResult.key.in_(rest),
                        SharedResult.state == RUNNING,
                        SharedResult.claimed_at < cutoff,
                    )
                    .with_for_update(skip_locked=True)
                )
                taken = set(
                    self.session.scalars(
                        update(SharedResult)
                        .where(
                            SharedResult.id.in_(stale),
                            SharedResult.state == RUNNING,
                            SharedResult.claimed_at < cutoff,
                        )
                        .values(owner=owner, claimed_at=now)
                        .returning(SharedResult.key)
                        .execution_options(synchronize_session=False)
                    )
                )
                found.update(self.get_many(scan_id, [key for key in rest if key not in taken]))
            mine += [key for key in chunk if key in added or key in taken]
        return mine, found

    def put_many(self, scan_id: int, owner: str, payloads: Mapping[str, Any]) -> None:
        """The owner's results; a key whose claim another took over keeps that one's result."""
        table = cast(Table, SharedResult.__table__)  # Core: one UPDATE per row, by key
        statement = (
            update(table)
            .where(
                table.c.scan_id == scan_id,
                table.c.key == bindparam("done_key"),
                table.c.owner == owner,
            )
            .values(state=DONE, payload=bindparam("done_payload"))
        )
        items = list(payloads.items())
        for start in range(0, len(items), CHUNK):
            params = [{"done_key": key, "done_payload": value} for key, value in items[start : start + CHUNK]]
            self.session.execute(statement, params)

    def refresh_many(self, scan_id: int, keys: Sequence[str], owner: str) -> None:
        """The owner is still at these keys: their claims are not stale."""
        for chunk in _chunks(keys):
            self.session.execute(
                update(SharedResult)
                .where(
                    SharedResult.scan_id == scan_id,
                    SharedResult.key.in_(chunk),
                    SharedResult.owner == owner,
                    SharedResult.state != DONE,
                )
                .values(claimed_at=utcnow())
                .execution_options(synchronize_session=False)
            )

    def release_many(self, scan_id: int, keys: Sequence[str], owner: str) -> None:
        """The owner could not do these keys: the next one to ask does them."""
        for chunk in _chunks(keys):
            self.session.execute(
                delete(SharedResult).where(
                    SharedResult.scan_id == scan_id,
                    SharedResult.key.in_(chunk),
                    SharedResult.owner == owner,
                    SharedResult.state != DONE,
                )
            )


def _chunks(keys: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(keys), CHUNK):
        yield list(keys[start : start + CHUNK])
