"""The digest through chat channels: a summary once per period, and the channels' health in the e-mail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.digest import build_digest, digest_reaches_anyone, send_digests
from monitor.errors import NotifyError
from monitor.settings import AppriseSettings, Settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Notification
from tests.notify.helpers import BRAND, T0, settings, smtp_server
from tests.notify.receivers import Receiver
from tests.support.loopback import free_port, serve
from tests.test_digest import DAY, HOUR, seed_day


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(db_url)
    yield session_factory(engine)
    engine.dispose()


def with_chat(config: Settings, url: str, tmp_path: Path) -> Settings:
    """The same settings with one Apprise URL (json:// to a loopback receiver)."""
    alerts = config.alerts.model_copy(update={"apprise": AppriseSettings.model_validate({"urls": [url]})})
    evidence = config.evidence.model_copy(update={"dir": tmp_path / "evidence"})
    return config.model_copy(update={"alerts": alerts, "evidence": evidence})


def rows(factory: sessionmaker[Session], kind: str) -> list[Notification]:
    with session_scope(factory) as session:
        return list(
            session.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id))
        )


def test_without_email_the_summary_reaches_chat_once(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    seed_day(factory)
    receiver = Receiver()
    with serve(receiver.app()) as base:
        config = with_chat(settings(db_url), f"json://{base.removeprefix('http://')}/chat", tmp_path)
        assert not config.email.smtp_host
        [first] = send_digests(factory, config, now=T0 + DAY)
        [got] = receiver.seen.wait_for(1)
        [again] = send_digests(factory, config, now=T0 + DAY + 5 * HOUR)
        seen = receiver.seen.snapshot()
    assert (first.status, first.summaries, first.new_count) == ("sent", 1, 3)
    assert (again.status, again.summaries) == ("empty", 0)
    assert len(seen) == 1
    assert got["path"] == "/chat"
    assert got["fields"]["title"].startswith("Bản tin Bảo hiểm xã hội tỉnh Bình Dương")
    assert "Trang/tài khoản mạo danh mới: 3" in got["fields"]["message"]
    # The period is recorded without an e-mail: the next digest starts where this one ended.
    [period] = rows(factory, "digest")
    assert (period.status, period.recipients, period.period_end) == ("sent", [], T0 + DAY)
    [summary] = rows(factory, "summary")
    assert summary.status == "sent"


def test_a_retried_email_period_does_not_repeat_the_summary(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    seed_day(factory)
    receiver = Receiver()
    port = free_port()
    with serve(receiver.app()) as base:
        config = with_chat(
            settings(db_url, port=port), f"json://{base.removeprefix('http://')}/chat", tmp_path
        )
        [failed] = send_digests(factory, config, now=T0 + DAY)
        receiver.seen.wait_for(1)
        with smtp_server(port=port) as server:
            [sent] = send_digests(factory, config, now=T0 + DAY + HOUR)
        seen = receiver.seen.snapshot()
    assert (failed.status, failed.summaries) == ("failed", 1)
    assert (sent.status, sent.summaries) == ("sent", 0)  # the same period: the chat has it already
    assert len(seen) == 1
    assert len(server.mailbox.messages) == 1


def test_a_failing_chat_channel_is_named_in_the_digest(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    seed_day(factory)
    with smtp_server() as server:
        closed = f"json://127.0.0.1:{free_port()}/nobody"
        config = with_chat(settings(db_url, port=server.port), closed, tmp_path)
        [sent] = send_digests(factory, config, now=T0 + DAY)
    assert (sent.status, sent.summaries) == ("sent", 0)
    assert sent.digest is not None
    assert "Kênh cảnh báo" not in sent.digest.text  # nothing was delivered before this digest
    [summary] = rows(factory, "summary")
    assert (summary.status, summary.attempts) == ("failed", 1)
    with session_scope(factory) as session:
        digest = build_digest(session, config, BRAND, T0 + DAY, T0 + 2 * DAY, "vi")
        english = build_digest(session, config, BRAND, T0 + DAY, T0 + 2 * DAY, "en")
    assert "Có kênh cảnh báo đang lỗi" in digest.text
    assert "== Kênh cảnh báo ==" in digest.text
    [line] = [line for line in digest.text.splitlines() if line.startswith("! apprise")]
    assert "LỖI – 0 đã gửi, 1 đang thử lại, 0 đã bỏ (Apprise json://" in line
    assert "127.0.0.1" not in line  # the URL holds tokens: never shown
    assert "LỖI – 0 đã gửi, 1 đang thử lại" in digest.html
    assert "FAILING – 0 sent, 1 retrying, 0 given up" in english.text
    assert "An alert channel is failing" in english.text


def test_only_a_digest_with_nowhere_to_go_is_refused(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    seed_day(factory)
    nowhere = settings(db_url)
    chat = with_chat(nowhere, f"json://127.0.0.1:{free_port()}/chat", tmp_path)
    assert (digest_reaches_anyone(nowhere), digest_reaches_anyone(chat)) == (False, True)
    assert digest_reaches_anyone(settings(db_url, port=free_port()))
    with pytest.raises(NotifyError, match="chưa cấu hình gửi thư"):
        send_digests(factory, nowhere, now=T0 + DAY)
    assert rows(factory, "digest") == []
