"""The alert outbox on SQLite and PostgreSQL: one alert per finding event, sent once, retried."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from monitor.notify.alerts import Alert, Channel
from monitor.notify.email import EmailChannel
from monitor.notify.outbox import STALE_CLAIM, DeliveryReport, deliver_pending, enqueue_alerts
from monitor.notify.webhook import WebhookChannel
from monitor.settings import AlertSettings, Settings, WebhookSettings
from monitor.store.db import make_engine, open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.schema import Notification, utcnow
from tests.notify.helpers import BRAND, T0, Hook, brand, data, load, scan, settings, smtp_server
from tests.support.loopback import free_port, serve

BOTH = AlertSettings(webhook=WebhookSettings(url="http://127.0.0.1:9/hook"))
EMAIL_ONLY = AlertSettings()


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(db_url)
    yield session_factory(engine)
    engine.dispose()


def configured(alerts: AlertSettings, email: bool = True) -> Settings:
    """Settings with these alert channels, e-mail configured or not."""
    return settings("sqlite://", port=25 if email else None).model_copy(update={"alerts": alerts})


def enqueue(
    factory: sessionmaker[Session], pairs: list[tuple[int, int]], alerts: AlertSettings = BOTH
) -> list[str]:
    keys: list[str] = []
    with session_scope(factory) as session:
        for pair in pairs:
            finding, observation = load(session, pair)
            created = enqueue_alerts(session, finding, observation, configured(alerts))
            keys += [n.dedupe_key for n in created]
    return keys


def rows(factory: sessionmaker[Session]) -> list[Notification]:
    with session_scope(factory) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def deliver(
    factory: sessionmaker[Session], channels: list[Channel], *, retry_after: float = 0.0
) -> DeliveryReport:
    return asyncio.run(
        deliver_pending(factory, channels, "vi", brands={BRAND: brand()}, retry_after=retry_after)
    )


def test_one_alert_per_event_and_channel(factory: sessionmaker[Session]) -> None:
    [pair] = scan(factory, [data()], T0)
    keys = enqueue(factory, [pair])
    observation_id = pair[1]
    assert keys == [
        f"alert:email:observation:{observation_id}",
        f"alert:webhook:observation:{observation_id}",
    ]
    assert enqueue(factory, [pair]) == []
    assert [(n.kind, n.channel, n.status, n.finding_id) for n in rows(factory)] == [
        ("alert", "email", "pending", pair[0]),
        ("alert", "webhook", "pending", pair[0]),
    ]
    # E-mail not configured and no webhook: nothing to queue.
    [other] = scan(factory, [data(), data("facebook:page:second")], T0 + timedelta(hours=1))
    with session_scope(factory) as session:
        finding, observation = load(session, other)
        assert enqueue_alerts(session, finding, observation, configured(EMAIL_ONLY, email=False)) == []


def test_policy_over_a_lifecycle(factory: sessionmaker[Session]) -> None:
    hour = timedelta(hours=1)
    new = scan(factory, [data(), data("facebook:page:maybe", verdict="suspect")], T0)
    assert len(enqueue(factory, new, EMAIL_ONLY)) == 1  # the suspect does not alert
    changed = scan(factory, [replace(data(), content_hash="other")], T0 + hour)
    assert [finding_id for finding_id, _ in changed] == [new[0][0]]
    assert enqueue(factory, changed, EMAIL_ONLY) == []  # the page changed, not the name
    renamed = scan(factory, [data(name="BHXH Bình Dương CSKH")], T0 + 2 * hour)
    assert len(enqueue(factory, renamed, EMAIL_ONLY)) == 1
    with session_scope(factory) as session:
        repo = FindingRepository(session)
        finding = repo.by_id(new[0][0])
        assert finding is not None
        repo.mark(finding, "dismissed", "a fan page", "officer")
    gone = scan(factory, [], T0 + 3 * hour, gone_after=1)
    assert enqueue(factory, gone, EMAIL_ONLY) == []  # gone waits for the digest
    back = scan(factory, [data(name="BHXH Bình Dương CSKH")], T0 + 4 * hour)
    assert enqueue(factory, back, EMAIL_ONLY) == []  # dismissed, same name
    renamed_again = scan(factory, [data(name="BHXH Bình Dương - rút 1 lần")], T0 + 5 * hour)
    assert len(enqueue(factory, renamed_again, EMAIL_ONLY)) == 1  # dismissed, but renamed


def test_delivered_once_over_email_and_webhook(factory: sessionmaker[Session], db_url: str) -> None:
    pairs = scan(factory, [data(), data("facebook:page:b", "<script>x</script>BHXH Bình Dương")], T0)
    hook = Hook()
    with smtp_server() as server, serve(hook.app()) as base:
        alerts = AlertSettings(webhook=WebhookSettings(url=f"{base}/hook"))
        enqueue(factory, pairs, alerts)
        mail = EmailChannel.from_settings(settings(db_url, port=server.port).email)
        channels: list[Channel] = [mail, WebhookChannel(f"{base}/hook")]
        first = deliver(factory, channels)
        second = deliver(factory, channels)
        enqueue(factory, pairs, alerts)
        third = deliver(factory, channels)
    assert (first.sent, first.failed) == (4, 0)
    assert (second.sent, third.sent) == (0, 0)
    assert len(server.mailbox.messages) == 2
    assert len(hook.received) == 2
    subjects = sorted(str(m.message["Subject"]) for m in server.mailbox.messages)
    assert all(s.startswith("[Cảnh báo] Facebook mạo danh Bảo hiểm xã hội tỉnh Bình Dương") for s in subjects)
    assert all(n.status == "sent" and n.attempts == 1 and n.sent_at is not None for n in rows(factory))
    email_row = next(n for n in rows(factory) if n.channel == "email")
    assert email_row.recipients == ["canbo@bhxh-bd.example.vn"]
    assert email_row.subject is not None
    assert email_row.subject.startswith("[Cảnh báo]")


def test_failed_alert_is_retried_on_the_next_run(factory: sessionmaker[Session], db_url: str) -> None:
    [pair] = scan(factory, [data()], T0)
    enqueue(factory, [pair], EMAIL_ONLY)
    port = free_port()
    channel = EmailChannel.from_settings(settings(db_url, port=port).email)
    down = deliver(factory, [channel])
    assert (down.sent, down.failed) == (0, 1)
    [row] = rows(factory)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error is not None
    assert "không kết nối được máy chủ thư" in row.last_error
    with smtp_server(port=port) as server:
        up = deliver(factory, [channel])
    assert up.sent == 1
    assert len(server.mailbox.messages) == 1
    [row] = rows(factory)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_failed_alert_waits_for_its_backoff(factory: sessionmaker[Session], db_url: str) -> None:
    [pair] = scan(factory, [data()], T0)
    enqueue(factory, [pair], EMAIL_ONLY)
    port = free_port()
    channel = EmailChannel.from_settings(settings(db_url, port=port).email)
    before = utcnow()
    assert deliver(factory, [channel], retry_after=600).failed == 1
    [row] = rows(factory)
    assert row.next_attempt_at is not None
    assert row.next_attempt_at >= before + timedelta(seconds=600)
    with smtp_server(port=port) as server:
        waiting = deliver(factory, [channel], retry_after=600)
        assert (waiting.sent, waiting.failed, len(server.mailbox.messages)) == (0, 0, 0)
        with session_scope(factory) as session:
            session.execute(update(Notification).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        assert deliver(factory, [channel], retry_after=600).sent == 1
    assert len(server.mailbox.messages) == 1


def test_attempts_are_bounded(factory: sessionmaker[Session], db_url: str) -> None:
    [pair] = scan(factory, [data()], T0)
    enqueue(factory, [pair], EMAIL_ONLY)
    channel = EmailChannel.from_settings(settings(db_url, port=free_port()).email)
    reports = [
        asyncio.run(deliver_pending(factory, [channel], "vi", max_attempts=2, retry_after=0))
        for _ in range(3)
    ]
    assert [r.failed for r in reports] == [1, 1, 0]
    assert [r.gave_up for r in reports] == [0, 1, 0]
    [row] = rows(factory)
    assert (row.status, row.attempts) == ("failed", 2)


def test_two_workers_send_each_alert_once(factory: sessionmaker[Session], db_url: str) -> None:
    pairs = scan(factory, [data(f"facebook:page:fake{i}", f"BHXH Bình Dương {i}") for i in range(6)], T0)
    enqueue(factory, pairs, EMAIL_ONLY)
    start = threading.Barrier(2, timeout=30)
    reports: list[DeliveryReport] = []

    with smtp_server() as server:
        channel = EmailChannel.from_settings(settings(db_url, port=server.port).email)

        def worker() -> None:
            engine = make_engine(db_url)  # its own engine and connections, like a second process
            try:
                start.wait()
                reports.append(asyncio.run(deliver_pending(session_factory(engine), [channel], "vi")))
            finally:
                engine.dispose()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(server.mailbox.messages) == 6
    assert sum(r.sent for r in reports) == 6
    keys = [m.message["X-Monitor-Key"] for m in server.mailbox.messages]
    assert len(set(keys)) == 6
    assert all(n.status == "sent" and n.attempts == 1 for n in rows(factory))


def test_a_send_interrupted_by_a_crash_is_retried(factory: sessionmaker[Session], db_url: str) -> None:
    [pair] = scan(factory, [data()], T0)
    enqueue(factory, [pair], EMAIL_ONLY)
    with session_scope(factory) as session:
        session.execute(
            update(Notification).values(status="sending", attempts=1, sent_at=utcnow() - timedelta(hours=1))
        )
    with smtp_server() as server:
        report = deliver(factory, [EmailChannel.from_settings(settings(db_url, port=server.port).email)])
    assert report.sent == 1
    [row] = rows(factory)
    assert (row.status, row.attempts) == ("sent", 2)


def test_a_row_is_claimed_by_one_caller_only(factory: sessionmaker[Session]) -> None:
    from monitor.notify.outbox import claim

    [pair] = scan(factory, [data()], T0)
    enqueue(factory, [pair], EMAIL_ONLY)
    [row] = rows(factory)
    # Both callers read the row as pending with no attempt; only the first claim wins.
    with session_scope(factory) as session:
        assert claim(session, row.id, "pending", 0, utcnow())
    with session_scope(factory) as session:
        assert not claim(session, row.id, "pending", 0, utcnow())
    [row] = rows(factory)
    assert (row.status, row.attempts) == ("sending", 1)


class _Killed(BaseException):
    """What kill -9 looks like to the outbox: the process stops before recording the outcome."""


class CrashAfterSend:
    """The real channel delivers, then the process dies before the row is marked sent."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    @property
    def name(self) -> str:
        return self.channel.name

    def destination(self) -> list[str]:
        return self.channel.destination()

    async def send(self, alert: Alert) -> None:
        await self.channel.send(alert)
        raise _Killed


def test_a_resend_after_a_crash_is_recognisable_and_waits_only_the_short_hold(
    factory: sessionmaker[Session], db_url: str
) -> None:
    assert timedelta(minutes=2) >= STALE_CLAIM
    [pair] = scan(factory, [data()], T0)
    hook = Hook()
    with smtp_server() as server, serve(hook.app()) as base:
        alerts = AlertSettings(webhook=WebhookSettings(url=f"{base}/hook"))
        keys = enqueue(factory, [pair], alerts)
        mail = EmailChannel.from_settings(settings(db_url, port=server.port).email)
        webhook = WebhookChannel(f"{base}/hook")
        for channel in (mail, webhook):
            with pytest.raises(_Killed):
                deliver(factory, [CrashAfterSend(channel)])
        assert {n.status for n in rows(factory)} == {"sending"}
        # Claimed a minute ago: still held by the (dead) sender, nothing goes out twice yet.
        claim_age(factory, timedelta(minutes=1))
        assert deliver(factory, [mail, webhook]).sent == 0
        # Three minutes: past the hold, released and sent again (a 15-minute hold kept them).
        claim_age(factory, timedelta(minutes=3))
        again = deliver(factory, [mail, webhook])
    assert again.sent == 2
    assert all((n.status, n.attempts) == ("sent", 2) for n in rows(factory))
    first, second = (m.message for m in server.mailbox.messages)
    assert first["Message-ID"] == second["Message-ID"]
    assert re.fullmatch(r"<[0-9a-f]{32}@bhxh-bd\.example\.vn>", str(first["Message-ID"]))
    assert first["X-Monitor-Key"] == second["X-Monitor-Key"] == keys[0]
    (headers1, body1), (headers2, body2) = hook.received
    assert headers1["idempotency-key"] == headers2["idempotency-key"] == keys[1]
    assert body1 == body2


def test_each_alert_has_its_own_message_id(factory: sessionmaker[Session], db_url: str) -> None:
    pairs = scan(factory, [data(), data("facebook:page:second", "BHXH Bình Dương 2")], T0)
    enqueue(factory, pairs, EMAIL_ONLY)
    with smtp_server() as server:
        deliver(factory, [EmailChannel.from_settings(settings(db_url, port=server.port).email)])
    ids = {str(m.message["Message-ID"]) for m in server.mailbox.messages}
    assert len(ids) == 2


def claim_age(factory: sessionmaker[Session], age: timedelta) -> None:
    """Make every live claim `age` old, as if its sender had died that long ago."""
    with session_scope(factory) as session:
        session.execute(
            update(Notification).where(Notification.status == "sending").values(sent_at=utcnow() - age)
        )
