"""The channel registry: per-brand routing, failures kept inside one channel, health, digest summaries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.notify.channels import CHANNELS, channels_for, deliver_alerts, nobody_told, routes
from monitor.notify.digest_mail import Digest, Section
from monitor.notify.messages import health_lines
from monitor.notify.outbox import channel_health, enqueue_alerts
from monitor.notify.summary import deliver_digest_summary
from monitor.notify.views import make_item
from monitor.settings import BrandSettings, Settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Notification, utcnow
from tests.notify.helpers import BRAND, T0, brand, data, load, scan
from tests.notify.receivers import Receiver
from tests.support.loopback import free_port, serve

OTHER = "bhxh-binh-phuoc"


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(db_url)
    yield session_factory(engine)
    engine.dispose()


def two_brands(db_url: str, tmp_path: Path, alerts: dict[str, Any], other: dict[str, Any]) -> Settings:
    """The sample brand on the shared channels, a second office with its own routing."""
    second = brand().model_copy(update={"slug": OTHER, "name": "BHXH tỉnh Bình Phước"})
    second = BrandSettings.model_validate({**second.model_dump(), "alerts": other})
    return Settings.model_validate(
        {
            "config_path": Path("config/monitor.toml"),
            "brands": [brand(), second],
            "database": {"url": db_url},
            "evidence": {"dir": str(tmp_path / "evidence")},
            "alerts": alerts,
        }
    )


def queue(factory: sessionmaker[Session], settings: Settings, pairs: list[tuple[int, int]]) -> list[str]:
    with session_scope(factory) as session:
        keys: list[str] = []
        for pair in pairs:
            finding, observation = load(session, pair)
            keys += [row.dedupe_key for row in enqueue_alerts(session, finding, observation, settings)]
        return keys


def rows(factory: sessionmaker[Session]) -> list[Notification]:
    with session_scope(factory) as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def move_to(factory: sessionmaker[Session], pair: tuple[int, int], slug: str) -> None:
    from monitor.store.schema import Finding

    with session_scope(factory) as session:
        finding = session.get(Finding, pair[0])
        assert finding is not None
        finding.brand = slug


def test_registry_is_one_line_per_channel() -> None:
    assert list(CHANNELS) == ["email", "webhook", "apprise", "zalo"]


def test_one_office_never_reaches_another_offices_people(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    shared, own = Receiver(), Receiver()
    with serve(shared.app()) as shared_base, serve(own.app()) as own_base:
        alerts = {
            "email": False,
            "apprise": {
                "urls": [f"json://{shared_base.removeprefix('http://')}/shared"],
                "brand_urls": {OTHER: [f"json://{own_base.removeprefix('http://')}/own"]},
            },
        }
        settings = two_brands(db_url, tmp_path, alerts, {"channels": ["apprise"]})
        [ours] = scan(factory, [data()], T0)
        [theirs] = scan(
            factory, [data("facebook:page:bp", "BHXH Bình Phước hỗ trợ")], T0 + timedelta(hours=1)
        )
        move_to(factory, theirs, OTHER)
        queue(factory, settings, [ours, theirs])
        report = asyncio.run(deliver_alerts(factory, settings, settings.brands))
        assert report.sent == 2
        [to_shared] = shared.seen.wait_for(1)
        [to_own] = own.seen.wait_for(1)
    assert "facebook.com/bhxhbd" in to_shared["fields"]["message"]
    assert "facebook.com/bp" in to_own["fields"]["message"]
    assert "Bình Phước" in to_own["fields"]["title"]
    assert len(shared.seen.snapshot()) == len(own.seen.snapshot()) == 1


def test_brand_recipients_replace_the_shared_ones(db_url: str, tmp_path: Path) -> None:
    alerts = {"zalo": {"access_token": "t" * 20, "user_ids": ["111", "222"]}}
    settings = two_brands(
        db_url, tmp_path, alerts, {"zalo_user_ids": ["333"], "email_recipients": ["pc@binhphuoc.example.vn"]}
    )
    settings = settings.model_copy(
        update={
            "email": settings.email.model_copy(
                update={
                    "smtp_host": "127.0.0.1",
                    "sender": "a@bhxh.example.vn",
                    "recipients": ["x@bhxh.example.vn"],
                }
            )
        }
    )
    ours = channels_for(settings, settings.brand(BRAND))
    theirs = channels_for(settings, settings.brand(OTHER))
    assert [c.destination() for c in ours] == [["x@bhxh.example.vn"], ["zalo:111"], ["zalo:222"]]
    assert [c.destination() for c in theirs] == [["pc@binhphuoc.example.vn"], ["zalo:333"]]


def test_a_failing_channel_does_not_stop_the_others(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    good, broken = Receiver(), Receiver()
    broken.fail = True
    with serve(good.app()) as good_base, serve(broken.app()) as broken_base:
        closed = f"json://127.0.0.1:{free_port()}/nobody"
        alerts = {
            "email": False,
            "webhook": {"url": f"{good_base}/webhook"},
            "apprise": {"urls": [f"json://{broken_base.removeprefix('http://')}/down", closed]},
        }
        settings = two_brands(db_url, tmp_path, alerts, {})
        pairs = scan(factory, [data(), data("facebook:page:two", "BHXH Bình Dương 2")], T0)
        queue(factory, settings, pairs)
        report = asyncio.run(deliver_alerts(factory, settings, settings.brands))
        hooks = good.seen.wait_for(2)
    assert (report.sent, report.failed) == (2, 4)
    assert all(item["fields"]["text"].startswith("Phát hiện mạo danh mới") for item in hooks)
    assert all(item["fields"]["link"].startswith("https://www.facebook.com/") for item in hooks)
    failed = [row for row in rows(factory) if row.status == "failed"]
    assert len(failed) == 4
    assert all(row.next_attempt_at is not None and row.next_attempt_at > utcnow() for row in failed)
    assert all("Apprise json://" in (row.last_error or "") for row in failed)
    with session_scope(factory) as session:
        health = {h.channel: h for h in channel_health(session, utcnow())}
    assert health["webhook"].healthy
    assert health["webhook"].sent == 2
    apprise = [h for name, h in health.items() if name.startswith("apprise:")]
    assert len(apprise) == 2
    assert all(h.retrying == 2 and not h.healthy and h.last_error for h in apprise)
    lines = health_lines(list(health.values()), "vi")
    assert [line.split(":")[0] for line in lines[:2]] == ["apprise", "apprise"]
    assert all("LỖI – 0 đã gửi, 2 đang thử lại, 0 đã bỏ (Apprise json://" in line for line in lines[:2])
    assert lines[2] == "webhook: 2 tin đã gửi"
    again = asyncio.run(deliver_alerts(factory, settings, settings.brands))
    assert (again.sent, again.failed) == (0, 0)  # backing off, not hammering


def test_nobody_told_is_a_warning(db_url: str, tmp_path: Path) -> None:
    settings = two_brands(db_url, tmp_path, {"email": False}, {"channels": ["apprise", "sms"]})
    warnings = nobody_told(settings, settings.brands, "vi")
    assert any(w.startswith(f"{BRAND}: sẽ không ai nhận cảnh báo") for w in warnings)
    assert any(w.startswith(f"{OTHER}: kênh không tồn tại") and "sms" in w for w in warnings)
    configured = two_brands(db_url, tmp_path, {"apprise": {"urls": ["json://127.0.0.1:9/x"]}}, {})
    assert nobody_told(configured, configured.brands, "vi") == []


def _digest(factory: sessionmaker[Session]) -> Digest:
    [pair] = scan(factory, [data()], T0)
    with session_scope(factory) as session:
        finding, observation = load(session, pair)
        item = make_item(finding, observation, zone_name="Asia/Ho_Chi_Minh", lang="vi")
    sections = (Section("new", "Mới phát hiện", (item,), 1), Section("changed", "Thay đổi", (), 0))
    return Digest(
        BRAND, "Bảo hiểm xã hội tỉnh Bình Dương", T0, T0 + timedelta(days=1), "vi",
        sections, (), 2, "subject", "text", "html", EmailMessage(),
    )  # fmt: skip


def test_digest_summary_reaches_every_chat_channel_once(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    receiver = Receiver()
    digest = _digest(factory)
    with serve(receiver.app()) as base:
        alerts = {"webhook": {"url": f"{base}/webhook"}, "apprise": {"urls": [f"json://{base[7:]}/chat"]}}
        settings = two_brands(db_url, tmp_path, alerts, {})
        first = asyncio.run(deliver_digest_summary(factory, settings, settings.brand(BRAND), digest))
        got = receiver.seen.wait_for(2)
        second = asyncio.run(deliver_digest_summary(factory, settings, settings.brand(BRAND), digest))
    assert (first.sent, second.sent) == (2, 0)
    assert len(receiver.seen.snapshot()) == 2
    chat = next(item["fields"] for item in got if item["path"] == "/chat")
    assert chat["title"].startswith("Bản tin Bảo hiểm xã hội tỉnh Bình Dương")
    assert "Mới phát hiện: 1" in chat["message"]
    assert "https://www.facebook.com/bhxhbd" in chat["message"]
    hook = next(item["fields"] for item in got if item["path"] == "/webhook")
    assert hook["event"] == "summary"
    assert "Mới phát hiện: 1" in hook["text"]


def test_routes_list_a_shared_destination_once(db_url: str, tmp_path: Path) -> None:
    settings = two_brands(db_url, tmp_path, {"apprise": {"urls": ["json://127.0.0.1:9/x"]}}, {})
    everything = routes(settings, settings.brands).all()
    assert [c.key for c in everything] == ["apprise"]
    assert json.dumps([c.destination() for c in everything]).count("127.0.0.1") == 0
