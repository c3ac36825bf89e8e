"""The outbox's SQL: rows inserted once, claimed once, marked sent or failed; channel health."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.store.schema import Finding, Notification, Observation

OPEN = ("pending", "failed")
SENDING = "sending"


@dataclass(frozen=True)
class OpenRow:
    """A delivery waiting to go out: what a claim compares against."""

    id: int
    status: str
    attempts: int
    channel: str
    brand: str
    kind: str = "alert"


@dataclass(frozen=True)
class ChannelHealth:
    """One channel's deliveries since a moment: sent, waiting for a retry, given up, the last error."""

    channel: str
    sent: int
    retrying: int
    gave_up: int
    last_error: str | None
    last_sent_at: datetime | None

    @property
    def healthy(self) -> bool:
        return self.retrying == 0 and self.gave_up == 0


def previous_observation(session: Session, observation: Observation) -> Observation | None:
    """The finding's observation before this one (triage notes aside)."""
    return session.scalars(
        select(Observation)
        .where(
            Observation.finding_id == observation.finding_id,
            Observation.id < observation.id,
            Observation.event != "triage",
        )
        .order_by(Observation.id.desc())
        .limit(1)
    ).first()


def insert_once(session: Session, values: Mapping[str, Any]) -> int | None:
    """Insert a notification unless its dedupe_key exists; the new id, or None if it was there."""
    name = session.get_bind().dialect.name
    if name in ("sqlite", "postgresql"):
        dialect_insert = sqlite.insert if name == "sqlite" else postgresql.insert
        statement = (
            dialect_insert(Notification)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(Notification.id)
        )
        return session.execute(statement).scalar_one_or_none()
    if session.scalars(
        select(Notification.id).where(Notification.dedupe_key == values["dedupe_key"])
    ).first():
        return None
    row = Notification(**values)
    session.add(row)
    session.flush()
    return row.id


def release_stale(session: Session, now: datetime, stale: timedelta) -> int:
    """Rows stuck in "sending" by a dead process become failed, to be retried at once."""
    result = session.execute(
        update(Notification)
        .where(Notification.status == SENDING, Notification.sent_at < now - stale)
        .values(status="failed", last_error="interrupted while sending", sent_at=None, next_attempt_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def claim(
    session: Session, notification_id: int, status: str, attempts: int, now: datetime, **values: Any
) -> bool:
    """Take a row for sending if nobody changed it since it was read; True when this caller owns it."""
    result = session.execute(
        update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == status,
            Notification.attempts == attempts,
        )
        .values(status=SENDING, attempts=attempts + 1, sent_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def mark_sent(
    session: Session, notification_id: int, now: datetime, *, subject: str, recipients: Sequence[str]
) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(
            status="sent",
            sent_at=now,
            last_error=None,
            subject=subject,
            recipients=list(recipients),
            next_attempt_at=None,
        )
        .execution_options(synchronize_session=False)
    )


def mark_failed(
    session: Session,
    notification_id: int,
    error: str,
    *,
    subject: str | None = None,
    retry_at: datetime | None = None,
    attempts: int | None = None,
) -> None:
    """Record a failure; `retry_at` delays the next try, `attempts` (the cap) gives up on the row."""
    values: dict[str, Any] = {
        "status": "failed",
        "sent_at": None,
        "last_error": error[:2000],
        "subject": subject,
        "next_attempt_at": retry_at,
    }
    if attempts is not None:
        values["attempts"] = attempts
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def next_retry(
    session: Session, kinds: Collection[str], channels: Collection[str], now: datetime, max_attempts: int
) -> datetime | None:
    """When the earliest open row of these kinds and channels still waiting out a back-off is due."""
    if not channels:
        return None
    found: datetime | None = session.scalar(
        select(func.min(Notification.next_attempt_at)).where(
            Notification.kind.in_(sorted(kinds)),
            Notification.channel.in_(sorted(channels)),
            Notification.status.in_(OPEN),
            Notification.attempts < max_attempts,
            Notification.next_attempt_at > now,
        )
    )
    return found


def due(
    session: Session,
    kinds: Collection[str],
    channels: Collection[str],
    now: datetime,
    max_attempts: int,
    limit: int,
) -> list[OpenRow]:
    """Open rows of these kinds and channels whose backoff has passed, oldest first."""
    if not channels:
        return []
    rows = session.execute(
        select(
            Notification.id,
            Notification.status,
            Notification.attempts,
            Notification.channel,
            Notification.brand,
            Notification.kind,
        )
        .where(
            Notification.kind.in_(sorted(kinds)),
            Notification.channel.in_(sorted(channels)),
            Notification.status.in_(OPEN),
            Notification.attempts < max_attempts,
            or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now),
        )
        .order_by(Notification.id)
        .limit(limit)
    ).all()
    return [OpenRow(int(i), str(s), int(a), str(c), str(b), str(k)) for i, s, a, c, b, k in rows]


def sent_since(session: Session, channel: str, since: datetime) -> int:
    """How many messages a channel delivered (or is delivering) since a moment: its rate so far."""
    count = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.channel == channel,
            Notification.status.in_(("sent", SENDING)),
            Notification.sent_at >= since,
        )
    )
    return int(count or 0)


def event_of(
    session: Session, notification_id: int
) -> tuple[Notification, Finding | None, Observation | None]:
    """A notification row with the finding and observation it is about (None when deleted)."""
    row = session.get(Notification, notification_id)
    if row is None:
        raise LookupError(notification_id)
    finding = session.get(Finding, row.finding_id) if row.finding_id is not None else None
    observation = session.get(Observation, row.observation_id) if row.observation_id is not None else None
    return row, finding, observation


def channel_health(
    session: Session, since: datetime, max_attempts: int, brand: str | None = None
) -> list[ChannelHealth]:
    """Per channel since `since`: deliveries sent, failed ones still retried, those given up."""
    query = select(
        Notification.channel,
        Notification.status,
        Notification.attempts,
        Notification.last_error,
        Notification.sent_at,
        Notification.id,
    ).where(Notification.created_at >= since, Notification.kind != "digest")
    if brand is not None:
        query = query.where(Notification.brand == brand)
    by_channel: dict[str, dict[str, Any]] = {}
    for channel, status, attempts, error, sent_at, _ in session.execute(query.order_by(Notification.id)):
        entry = by_channel.setdefault(
            channel, {"sent": 0, "retrying": 0, "gave_up": 0, "last_error": None, "last_sent_at": None}
        )
        if status == "sent":
            entry["sent"] += 1
            entry["last_sent_at"] = max(filter(None, (entry["last_sent_at"], sent_at)), default=None)
        elif status == "failed":
            entry["gave_up" if attempts >= max_attempts else "retrying"] += 1
            entry["last_error"] = error
    return [
        ChannelHealth(channel=name, **values)
        for name, values in sorted(by_channel.items(), key=lambda item: item[0])
    ]
