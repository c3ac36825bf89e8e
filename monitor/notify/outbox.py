"""Notifications repository: the outbox of alerts and digest periods, claimed once, retried on failure.

Every notification is a row with a unique dedupe_key, inserted before anything is sent. Sending
first claims the row (pending/failed -> sending, attempts + 1) with a conditional UPDATE, so two
processes never send the same row; the outcome then marks it sent or failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import NotifyError
from monitor.i18n import Language
from monitor.log import get_logger
from monitor.notify.alerts import Channel, alert_kind, build_alert
from monitor.settings import AlertSettings, BrandSettings
from monitor.store.db import session_scope
from monitor.store.schema import Finding, Notification, Observation, utcnow

log = get_logger(__name__)

ALERT_MAX_ATTEMPTS = 5
# A row left "sending" this long belongs to a process that died mid-send: it becomes failed (retried).
# Longer than a live send takes (SMTP and webhook timeouts are 30 s and 10 s per step), short enough
# that an alert held by a killed process goes out on the next run. A rare resend is recognisable:
# e-mails keep their Message-ID, webhooks their Idempotency-Key (both from the dedupe_key).
STALE_CLAIM = timedelta(minutes=2)
OPEN = ("pending", "failed")
SENDING = "sending"


def alert_key(channel: str, observation_id: int) -> str:
    return f"alert:{channel}:observation:{observation_id}"


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


def enqueue_alerts(
    session: Session,
    finding: Finding,
    observation: Observation,
    alert_settings: AlertSettings,
    email_configured: bool,
) -> list[Notification]:
    """Queue the alerts this finding event deserves, one per channel; returns the rows created now.

    Idempotent: the dedupe_key "alert:<channel>:observation:<id>" makes a second call (or a second
    process) add nothing. Never commits.
    """
    previous = previous_observation(session, observation)
    kind = alert_kind(
        observation.event,
        observation.verdict,
        finding.triage,
        previous,
        observation.name,
        alert_settings.verdicts,
    )
    if kind is None:
        return []
    channels = [
        name
        for name, on in (
            ("email", alert_settings.email and email_configured),
            ("webhook", bool(alert_settings.webhook.url)),
        )
        if on
    ]
    created: list[Notification] = []
    for channel in channels:
        values = {
            "dedupe_key": alert_key(channel, observation.id),
            "kind": "alert",
            "channel": channel,
            "brand": finding.brand,
            "finding_id": finding.id,
            "observation_id": observation.id,
            "recipients": [],
            "status": "pending",
            "attempts": 0,
            "created_at": utcnow(),
        }
        new_id = insert_once(session, values)
        if new_id is not None:
            row = session.get(Notification, new_id)
            if row is not None:
                created.append(row)
            log.info("alert_queued", brand=finding.brand, channel=channel, finding_id=finding.id, kind=kind)
    return created


def release_stale(session: Session, now: datetime) -> int:
    """Rows stuck in "sending" by a dead process become failed, to be retried."""
    result = session.execute(
        update(Notification)
        .where(Notification.status == SENDING, Notification.sent_at < now - STALE_CLAIM)
        .values(status="failed", last_error="interrupted while sending", sent_at=None)
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
        .values(status="sent", sent_at=now, last_error=None, subject=subject, recipients=list(recipients))
        .execution_options(synchronize_session=False)
    )


def mark_failed(session: Session, notification_id: int, error: str, *, subject: str | None = None) -> None:
    session.execute(
        update(Notification)
        .where(Notification.id == notification_id)
        .values(status="failed", sent_at=None, last_error=error[:2000], subject=subject)
        .execution_options(synchronize_session=False)
    )


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


async def deliver_pending(
    factory: sessionmaker[Session],
    channels: Sequence[Channel],
    lang: Language,
    *,
    brands: Mapping[str, BrandSettings] | None = None,
    zone_name: str = "Asia/Ho_Chi_Minh",
    max_attempts: int = ALERT_MAX_ATTEMPTS,
    limit: int = 200,
) -> DeliveryReport:
    """Send every pending or failed alert of these channels (at most `max_attempts` tries each)."""
    by_name = {channel.name: channel for channel in channels}
    report = DeliveryReport()
    if not by_name:
        return report
    with session_scope(factory) as session:
        release_stale(session, utcnow())
        rows = session.execute(
            select(Notification.id, Notification.status, Notification.attempts)
            .where(
                Notification.kind == "alert",
                Notification.channel.in_(sorted(by_name)),
                Notification.status.in_(OPEN),
                Notification.attempts < max_attempts,
            )
            .order_by(Notification.id)
            .limit(limit)
        ).all()
    for notification_id, status, attempts in rows:
        with session_scope(factory) as session:
            if not claim(session, notification_id, status, attempts, utcnow()):
                report.skipped += 1  # another process took it
                continue
        await _deliver_one(
            factory,
            notification_id,
            attempts + 1,
            by_name,
            lang,
            brands or {},
            zone_name,
            max_attempts,
            report,
        )
    return report


async def _deliver_one(
    factory: sessionmaker[Session],
    notification_id: int,
    attempt: int,
    by_name: Mapping[str, Channel],
    lang: Language,
    brands: Mapping[str, BrandSettings],
    zone_name: str,
    max_attempts: int,
    report: DeliveryReport,
) -> None:
    with session_scope(factory) as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        finding = session.get(Finding, row.finding_id) if row.finding_id is not None else None
        observation = session.get(Observation, row.observation_id) if row.observation_id is not None else None
        if finding is None or observation is None:
            # The finding was deleted: nothing left to say, never retry.
            session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(status="failed", last_error="finding deleted", attempts=max_attempts, sent_at=None)
            )
            report.gave_up += 1
            return
        previous = previous_observation(session, observation)
        # Delivered as queued: a later triage does not rewrite what the policy already decided.
        kind = (
            alert_kind(
                observation.event,
                observation.verdict,
                "untriaged",
                previous,
                observation.name,
                [observation.verdict],
            )
            or "new"
        )
        alert = build_alert(
            row.dedupe_key,
            kind,
            finding,
            observation,
            previous,
            brand=brands.get(finding.brand),
            zone_name=zone_name,
            lang=lang,
        )
        channel = by_name[row.channel]
    try:
        await channel.send(alert)
    except NotifyError as exc:
        with session_scope(factory) as session:
            mark_failed(session, notification_id, str(exc), subject=alert.subject)
        report.failed += 1
        report.errors.append(str(exc))
        if attempt >= max_attempts:
            report.gave_up += 1
        log.warning(
            "alert_failed",
            channel=channel.name,
            notification_id=notification_id,
            attempt=attempt,
            error=str(exc),
        )
        return
    with session_scope(factory) as session:
        mark_sent(session, notification_id, utcnow(), subject=alert.subject, recipients=channel.destination())
    report.sent += 1
    log.info("alert_sent", channel=channel.name, notification_id=notification_id, kind=kind)
