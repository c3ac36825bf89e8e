"""Digest periods in the outbox: where a brand's next digest starts, and claiming that period once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.store.digests import DigestReads
from monitor.store.outbox import SENDING, claim, insert_once


def digest_key(brand: str, period_start: datetime) -> str:
    return f"digest:{brand}:{period_start.isoformat()}"


@dataclass(frozen=True)
class DigestSlot:
    """The period a brand's next digest starts at, and the unsent row to retry, if any."""

    period_start: datetime
    notification_id: int | None = None
    status: str | None = None
    attempts: int = 0


def next_digest(session: Session, brand: str, first_scan: datetime | None) -> DigestSlot | None:
    """An unsent digest to retry (its period is extended to now), else the period after the last sent."""
    reads = DigestReads(session)
    unsent = reads.unsent(brand)
    if unsent is not None:
        return DigestSlot(unsent.period_start, unsent.id, unsent.status, unsent.attempts)
    last_end = reads.last_sent_end(brand)
    if last_end is not None:
        return DigestSlot(last_end)
    return DigestSlot(first_scan) if first_scan is not None else None


def claim_digest(
    session: Session,
    brand: str,
    slot: DigestSlot,
    period_end: datetime,
    recipients: Sequence[str],
    now: datetime,
    *,
    key: str | None = None,
) -> int | None:
    """Own this digest period (insert its row, or take the unsent one); None when another process has it."""
    if slot.notification_id is not None and slot.status is not None:
        taken = claim(
            session,
            slot.notification_id,
            slot.status,
            slot.attempts,
            now,
            period_end=period_end,
            recipients=list(recipients),
        )
        return slot.notification_id if taken else None
    return insert_once(
        session,
        {
            "dedupe_key": key or digest_key(brand, slot.period_start),
            "kind": "digest",
            "channel": "email",
            "brand": brand,
            "period_start": slot.period_start,
            "period_end": period_end,
            "recipients": list(recipients),
            "status": SENDING,
            "attempts": 1,
            "sent_at": now,
            "created_at": now,
        },
    )
