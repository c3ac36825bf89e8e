"""A delivery round says when the next one has something to send (a failed alert's back-off)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.notify.email import EmailChannel
from monitor.notify.outbox import DeliveryReport, deliver_pending, enqueue_alerts
from monitor.settings import AlertSettings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Notification, utcnow
from tests.notify.helpers import BRAND, T0, brand, data, load, scan, settings, smtp_server
from tests.support.loopback import free_port


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(db_url)
    yield session_factory(engine)
    engine.dispose()


def _deliver(factory: sessionmaker[Session], channel: EmailChannel) -> DeliveryReport:
    return asyncio.run(deliver_pending(factory, [channel], "vi", brands={BRAND: brand()}, retry_after=600))


def test_the_round_after_a_failure_is_due_when_its_backoff_ends(
    factory: sessionmaker[Session], db_url: str
) -> None:
    [pair] = scan(factory, [data()], T0)
    configured = settings("sqlite://", port=25).model_copy(update={"alerts": AlertSettings()})
    with session_scope(factory) as session:
        finding, observation = load(session, pair)
        enqueue_alerts(session, finding, observation, configured)
    port = free_port()
    channel = EmailChannel.from_settings(settings(db_url, port=port).email)
    before = utcnow()
    failed = _deliver(factory, channel)  # nothing listens on the port: the send fails
    assert failed.failed == 1
    with session_scope(factory) as session:
        waiting = session.scalar(select(Notification.next_attempt_at))
    assert waiting is not None
    assert failed.retry_at == waiting
    assert before + timedelta(seconds=600) <= failed.retry_at
    with smtp_server(port=port):
        # Nothing is due yet: the round sends nothing and still names the back-off's end.
        assert _deliver(factory, channel).retry_at == waiting


def test_nothing_waiting_means_no_next_round(factory: sessionmaker[Session], db_url: str) -> None:
    [pair] = scan(factory, [data()], T0)
    configured = settings("sqlite://", port=25).model_copy(update={"alerts": AlertSettings()})
    with session_scope(factory) as session:
        finding, observation = load(session, pair)
        enqueue_alerts(session, finding, observation, configured)
    port = free_port()
    channel = EmailChannel.from_settings(settings(db_url, port=port).email)
    with smtp_server(port=port) as server:
        report = _deliver(factory, channel)
    assert (report.sent, report.retry_at) == (1, None)
    assert len(server.mailbox.messages) == 1
