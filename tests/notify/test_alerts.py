"""The alert policy and the alert message built for each channel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from monitor.notify.alerts import alert_kind, build_alert
from monitor.notify.outbox import previous_observation
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Observation
from tests.notify.helpers import BRAND, T0, brand, data, load, scan


def obs(name: str = "BHXH Bình Dương", verdict: str = "impersonation") -> Observation:
    return Observation(name=name, verdict=verdict, event="new", url="u", score=90)


IMP = ["impersonation"]


@pytest.mark.parametrize(
    ("event", "verdict", "triage", "previous", "name", "expected"),
    [
        ("new", "impersonation", "untriaged", None, "BHXH Bình Dương", "new"),
        ("new", "suspect", "untriaged", None, "BHXH Bình Dương", None),
        ("reappeared", "impersonation", "reported", obs(), "BHXH Bình Dương", "reappeared"),
        ("reappeared", "impersonation", "taken_down", obs(), "BHXH Bình Dương", "reappeared"),
        ("changed", "impersonation", "untriaged", obs(), "BHXH Bình Dương CSKH", "renamed"),
        # Spacing and case are not a rename.
        ("changed", "impersonation", "untriaged", obs(), "bhxh  bình dương", None),
        ("changed", "impersonation", "untriaged", obs(verdict="suspect"), "BHXH Bình Dương", "escalated"),
        ("changed", "suspect", "untriaged", obs(), "BHXH Bình Dương", None),
        ("gone", "impersonation", "untriaged", obs(), "BHXH Bình Dương", None),
        ("taken_down", "impersonation", "untriaged", obs(), "BHXH Bình Dương", None),
        ("reappeared", "impersonation", "dismissed", obs(), "BHXH Bình Dương", None),
        ("changed", "impersonation", "dismissed", obs(verdict="suspect"), "BHXH Bình Dương", None),
        ("reappeared", "impersonation", "official", obs(), "BHXH Bình Dương", None),
        ("changed", "impersonation", "dismissed", obs(), "BHXH Bình Dương - Rút 1 lần", "renamed"),
        ("changed", "impersonation", "official", obs(), "Hỗ trợ BHXH Bình Dương", "renamed"),
    ],
)
def test_alert_policy(
    event: str, verdict: str, triage: str, previous: Observation | None, name: str, expected: str | None
) -> None:
    assert alert_kind(event, verdict, triage, previous, name, IMP) == expected


def test_suspects_alert_when_configured() -> None:
    assert alert_kind("new", "suspect", "untriaged", None, "x", ["impersonation", "suspect"]) == "new"


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = open_database(f"sqlite:///{tmp_path / 'monitor.db'}")
    yield session_factory(engine)
    engine.dispose()


def test_alert_message_and_payload(factory: sessionmaker[Session]) -> None:
    hostile = "<script>alert(1)</script>\x1b[31m BHXH\r\nBcc: victim@example.com " + "é" * 10_000
    scan(factory, [data(name="BHXH Bình Dương")], T0)
    [pair] = scan(factory, [data(name=hostile)], T0.replace(hour=6))
    with session_scope(factory) as session:
        finding, observation = load(session, pair)
        previous = previous_observation(session, observation)
        alert = build_alert(
            "alert:email:observation:2",
            "renamed",
            finding,
            observation,
            previous,
            brand=brand(),
            zone_name="Asia/Ho_Chi_Minh",
            lang="vi",
        )
    assert "\n" not in alert.subject
    assert "\r" not in alert.subject
    assert alert.subject.startswith(
        "[Cảnh báo] Facebook mạo danh Bảo hiểm xã hội tỉnh Bình Dương đã đổi tên:"
    )
    assert "<script" not in alert.html
    assert "&lt;script&gt;" in alert.html
    assert "\x1b" not in alert.text
    assert "\x1b" not in alert.html
    assert "Đổi tên từ «BHXH Bình Dương»" in alert.text
    assert "https://www.facebook.com/help/contact/295309487309948" in alert.html
    assert "Cục An toàn thông tin" in alert.text
    body = json.loads(json.dumps(alert.payload, ensure_ascii=False))
    assert body["event"] == "changed"
    assert body["alert"] == "renamed"
    assert body["previous_name"] == "BHXH Bình Dương"
    assert set(body["finding"]) == {
        "id",
        "brand",
        "platform",
        "identity",
        "url",
        "name",
        "score",
        "verdict",
        "reasons",
        "status",
        "triage",
        "first_seen_at",
        "last_seen_at",
        "page_state",
        "page_note",
    }
    assert body["finding"]["name"] == hostile  # the webhook gets the full, raw name
    assert body["finding"]["brand"] == BRAND
    assert body["finding"]["reasons"][0]["code"] == "organization_match"
    assert body["observed_at"].startswith("2026-11-01T06:30:00")


def test_alert_in_english(factory: sessionmaker[Session]) -> None:
    [pair] = scan(factory, [data()], T0)
    with session_scope(factory) as session:
        finding, observation = load(session, pair)
        alert = build_alert(
            "k", "new", finding, observation, None, brand=None, zone_name="Asia/Ho_Chi_Minh", lang="en"
        )
    assert alert.subject.startswith("[Alert] Facebook impersonating bhxh-binh-duong:")
    assert "Facebook's impersonation form" in alert.text
    assert "First seen: 01/11/2026 07:30" in alert.text
