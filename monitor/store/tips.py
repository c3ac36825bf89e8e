"""Tips repository: URLs reported by officers or citizens, kept until a scan has judged them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.store.schema import Tip, utcnow


@dataclass(frozen=True)
class TipRecord:
    """One reported URL as the scan and the console see it."""

    id: int
    brand: str
    url: str
    name: str | None
    note: str | None
    submitted_by: str
    via: str
    submitted_at: datetime
    finding_id: int | None


def _record(tip: Tip) -> TipRecord:
    return TipRecord(
        id=tip.id,
        brand=tip.brand,
        url=tip.url,
        name=tip.name,
        note=tip.note,
        submitted_by=tip.submitted_by,
        via=tip.via,
        submitted_at=tip.submitted_at,
        finding_id=tip.finding_id,
    )


class TipRepository:
    """Adds and lists tips; never commits (the caller's unit of work does)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        brand: str,
        url: str,
        submitted_by: str,
        *,
        name: str | None = None,
        note: str | None = None,
        via: str = "cli",
        now: datetime | None = None,
    ) -> TipRecord:
        tip = Tip(
            brand=brand,
            url=url,
            name=name,
            note=note,
            submitted_by=submitted_by,
            via=via,
            submitted_at=now or utcnow(),
        )
        self.session.add(tip)
        self.session.flush()
        return _record(tip)

    def for_brand(self, brand: str) -> list[TipRecord]:
        """Every tip of a brand, oldest first: each scan re-checks all of them."""
        rows = self.session.scalars(select(Tip).where(Tip.brand == brand).order_by(Tip.id))
        return [_record(tip) for tip in rows]

    def recent(self, limit: int = 50, brand: str | None = None) -> list[TipRecord]:
        query = select(Tip).order_by(Tip.id.desc()).limit(limit)
        if brand is not None:
            query = query.where(Tip.brand == brand)
        return [_record(tip) for tip in self.session.scalars(query)]

    def link(self, tip_ids: Sequence[int], finding_id: int) -> None:
        """Remember which finding a scan recorded these tips as."""
        if tip_ids:
            self.session.execute(update(Tip).where(Tip.id.in_(tip_ids)).values(finding_id=finding_id))
