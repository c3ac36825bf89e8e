"""The outbox of alerts: one row per (event, channel), claimed once, retried with backoff, rate-limited.

Every delivery is a row with a unique dedupe_key, inserted before anything is sent. Sending first
claims the row (pending/failed -> sending, attempts + 1) with a conditional UPDATE, so two
processes never send the same row; the outcome then marks it sent or failed. Channels are
delivered side by side: one that fails or hangs never holds up the others. A chat channel with
more alerts due than it takes in a minute gets them as one combined message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import NotifyError
from monitor.i18n import Language
from monitor.log import get_logger
from monitor.notify.alerts import Alert, alert_kind, build_alert
from monitor.notify.channels import Routes, channels_for
from monitor.notify.channels.base import DeliveryChannel
from monitor.notify.messages import ChatMessage, chat_batch
from monitor.settings import BrandSettings, RunSettings
from monitor.store import outbox as store
from monitor.store.db import session_scope
from monitor.store.outbox import (
    OPEN,
    SENDING,
    ChannelHealth,
    OpenRow,
    claim,
    insert_once,
    mark_failed,
    mark_sent,
    previous_observation,
)
from monitor.store.schema import Finding, Notification, Observation, utcnow

__all__ = [
    "OPEN",
    "SENDING",
    "ChannelHealth",
    "claim",
    "insert_once",
    "mark_failed",
    "mark_sent",
    "previous_observation",
]

log = get_logger(__name__)

ALERT_MAX_ATTEMPTS = 5
# A row left "sending" this long belongs to a process that died mid-send: it becomes failed (retried).
# Longer than a live send takes (SMTP 30 s, webhook 10 s, Apprise and Zalo 15 s per step), short
# enough that an alert held by a killed process goes out on the next run. A rare resend is
# recognisable: e-mails keep their Message-ID, webhooks their Idempotency-Key (from the dedupe_key).
STALE_CLAIM = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=6)
RATE_WINDOW = timedelta(minutes=1)
DELIVERED_KINDS = ("alert", "summary")


def alert_key(channel: str, observation_id: int) -> str:
    return f"alert:{channel}:observation:{observation_id}"


def release_stale(session: Session, now: datetime) -> int:
    """Rows stuck in "sending" by a dead process become failed, to be retried."""
    return store.release_stale(session, now, STALE_CLAIM)


def enqueue_alerts(
    session: Session, finding: Finding, observation: Observation, settings: RunSettings
) -> list[Notification]:
    """Queue the alerts this finding event deserves, one per channel of the finding's brand.

    Idempotent: the dedupe_key "alert:<channel>:observation:<id>" makes a second call (or a second
    process) add nothing. Never commits.
    """
    alerts = settings.alerts
    previous = previous_observation(session, observation)
    kind = alert_kind(
        observation.event, observation.verdict, finding.triage, previous, observation.name, alerts.verdicts
    )
    if kind is None:
        return []
    brand = next((b for b in getattr(settings, "brands", []) if b.slug == finding.brand), None)
    created: list[Notification] = []
    for channel in channels_for(settings, brand):
        values = {
            "dedupe_key": alert_key(channel.name, observation.id),
            "kind": "alert",
            "channel": channel.name,
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
            log.info(
                "alert_queued", brand=finding.brand, channel=channel.name, finding_id=finding.id, kind=kind
            )
    return created


def channel_health(
    session: Session, now: datetime, *, days: float = 1.0, brand: str | None = None
) -> list[ChannelHealth]:
    """Each channel's deliveries of the last `days`: sent, retrying, given up, last error."""
    return store.channel_health(session, now - timedelta(days=days), ALERT_MAX_ATTEMPTS, brand)


@dataclass
class DeliveryReport:
    """What one delivery round did."""

    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    skipped: int = 0
    deferred: int = 0
    batched: int = 0
    errors: list[str] = field(default_factory=list)
    # When the next round has something to send: a failed alert's back-off ends, or a channel's
    # rate window frees up (None: nothing is waiting).
    retry_at: datetime | None = None


def backoff(attempt: int, base_seconds: float) -> timedelta:
    """Wait before try `attempt + 1`: the base, doubled after each failure, at most six hours."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempt - 1, 0)), MAX_BACKOFF)


async def deliver_pending(
    factory: sessionmaker[Session],
    channels: Sequence[DeliveryChannel] | Routes,
    lang: Language,
    *,
    brands: Mapping[str, BrandSettings] | None = None,
    zone_name: str = "Asia/Ho_Chi_Minh",
    max_attempts: int = ALERT_MAX_ATTEMPTS,
    limit: int = 200,
    retry_after: float = 60.0,
    public_url: str | None = None,
) -> DeliveryReport:
    """Send every due alert and digest summary (at most `max_attempts` tries each), channels side by side."""
    route = channels if isinstance(channels, Routes) else Routes({}, channels)
    report = DeliveryReport()
    names = route.names()
    if not names:
        return report
    with session_scope(factory) as session:
        now = utcnow()
        release_stale(session, now)
        rows = store.due(session, DELIVERED_KINDS, names, now, max_attempts, limit)
    groups: dict[tuple[str, str], list[OpenRow]] = {}
    for row in rows:
        if row.channel in route.for_brand(row.brand):
            groups.setdefault((row.brand, row.channel), []).append(row)
    run = _Round(factory, lang, brands or {}, zone_name, max_attempts, retry_after, public_url, report)
    await asyncio.gather(
        *(run.group(route.for_brand(brand)[name], group) for (brand, name), group in groups.items())
    )
    with session_scope(factory) as session:
        waits = [store.next_retry(session, DELIVERED_KINDS, names, utcnow(), max_attempts)]
    if report.deferred:
        waits.append(utcnow() + RATE_WINDOW)
    report.retry_at = min((w for w in waits if w is not None), default=None)
    return report


@dataclass
class _Round:
    factory: sessionmaker[Session]
    lang: Language
    brands: Mapping[str, BrandSettings]
    zone_name: str
    max_attempts: int
    retry_after: float
    public_url: str | None
    report: DeliveryReport

    async def group(self, channel: DeliveryChannel, rows: list[OpenRow]) -> None:
        """One channel's due rows for one brand; whatever happens stays inside this channel."""
        try:
            limit = getattr(channel, "per_minute", None)
            if limit and hasattr(channel, "send_chat"):
                with session_scope(self.factory) as session:
                    allowance = limit - store.sent_since(session, channel.name, utcnow() - RATE_WINDOW)
                alerts = [row for row in rows if row.kind == "alert"]
                if allowance <= 0:
                    self.report.deferred += len(rows)
                    log.info("channel_rate_limited", channel=channel.name, waiting=len(rows))
                    return
                if len(alerts) > allowance:
                    await self.batch(channel, alerts)
                    rows = [row for row in rows if row.kind != "alert"]
            for row in rows:
                await self.one(channel, row)
        except Exception as exc:  # a broken channel must not stop the others
            log.warning("channel_round_failed", channel=channel.name, error=type(exc).__name__)
            self.report.errors.append(f"{channel.name}: {type(exc).__name__}")

    async def one(self, channel: DeliveryChannel, row: OpenRow) -> None:
        with session_scope(self.factory) as session:
            if not claim(session, row.id, row.status, row.attempts, utcnow()):
                self.report.skipped += 1  # another process took it
                return
        with session_scope(self.factory) as session:
            loaded = self.load(session, row.id)
        if loaded is None:
            return
        key, alert, message = loaded
        # A summary keeps its whole text in `subject`: a retry sends it again as it was.
        subject = alert.subject if alert is not None else message.text
        try:
            if alert is not None:
                await channel.send(alert)
            else:
                await channel.send_chat(message, key=key)
        except Exception as exc:
            self.failed([row], channel, exc, subject)
            return
        with session_scope(self.factory) as session:
            mark_sent(session, row.id, utcnow(), subject=subject, recipients=channel.destination())
        self.report.sent += 1
        log.info("alert_sent", channel=channel.name, notification_id=row.id)

    async def batch(self, channel: DeliveryChannel, rows: list[OpenRow]) -> None:
        """More alerts due than the channel takes in a minute: one message naming them all."""
        claimed: list[OpenRow] = []
        with session_scope(self.factory) as session:
            for row in rows:
                if claim(session, row.id, row.status, row.attempts, utcnow()):
                    claimed.append(row)
                else:
                    self.report.skipped += 1
        alerts: list[tuple[OpenRow, Alert]] = []
        for row in claimed:
            with session_scope(self.factory) as session:
                loaded = self.load(session, row.id)
            if loaded is not None and loaded[1] is not None:
                alerts.append((row, loaded[1]))
        if not alerts:
            return
        facts = [alert.facts for _, alert in alerts if alert.facts is not None]
        message = chat_batch(facts, self.lang)
        try:
            await channel.send_chat(message, key=f"batch:{alerts[0][1].key}")
        except Exception as exc:
            self.failed([row for row, _ in alerts], channel, exc, message.title)
            return
        with session_scope(self.factory) as session:
            for row, _ in alerts:
                mark_sent(session, row.id, utcnow(), subject=message.title, recipients=channel.destination())
        self.report.sent += len(alerts)
        self.report.batched += 1
        log.info("alerts_sent_together", channel=channel.name, count=len(alerts))

    def failed(self, rows: Sequence[OpenRow], channel: DeliveryChannel, exc: Exception, subject: str) -> None:
        error = str(exc) if isinstance(exc, NotifyError) else f"{channel.label}: {type(exc).__name__}"
        now = utcnow()
        with session_scope(self.factory) as session:
            for row in rows:
                attempt = row.attempts + 1
                retry_at = now + backoff(attempt, self.retry_after)
                mark_failed(session, row.id, error, subject=subject, retry_at=retry_at)
                if attempt >= self.max_attempts:
                    self.report.gave_up += 1
        self.report.failed += len(rows)
        self.report.errors.append(error)
        log.warning("alert_failed", channel=channel.name, count=len(rows), error=error)

    def load(self, session: Session, notification_id: int) -> tuple[str, Alert | None, ChatMessage] | None:
        """The message a claimed row carries: an alert rebuilt from its event, or a stored summary."""
        row, finding, observation = store.event_of(session, notification_id)
        if row.kind == "summary":
            title, _, body = (row.subject or "").partition("\n")
            return row.dedupe_key, None, ChatMessage(title, body)
        if finding is None or observation is None:
            # The finding was deleted: nothing left to say, never retry.
            mark_failed(session, notification_id, "finding deleted", attempts=self.max_attempts)
            self.report.gave_up += 1
            return None
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
            brand=self.brands.get(finding.brand),
            zone_name=self.zone_name,
            lang=self.lang,
            public_url=self.public_url,
        )
        return row.dedupe_key, alert, alert.chat
