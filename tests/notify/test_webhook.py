"""The webhook channel against a real receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from monitor.errors import NotifyError
from monitor.notify.alerts import Alert
from monitor.notify.webhook import WebhookChannel
from monitor.settings import WebhookSettings
from tests.notify.helpers import Hook
from tests.support.loopback import free_port, serve


def alert(name: str = "BHXH Bình Dương") -> Alert:
    payload = {
        "event": "new",
        "alert": "new",
        "finding": {"id": 1, "name": name, "brand": "bhxh-binh-duong"},
        "observed_at": "2026-11-01T00:30:00+00:00",
    }
    return Alert("alert:webhook:observation:1", "new", "bhxh-binh-duong", payload, "s", "t", "<p>t</p>")


def test_posts_utf8_json_with_idempotency_key() -> None:
    hook = Hook()
    with serve(hook.app()) as base:
        channel = WebhookChannel.from_settings(WebhookSettings(url=f"{base}/hook"), user_agent="monitor-test")
        assert channel is not None
        asyncio.run(channel.send(alert("Bảo hiểm <xã hội>\x00")))
    [(headers, body)] = hook.received
    assert headers["content-type"].startswith("application/json")
    assert headers["idempotency-key"] == "alert:webhook:observation:1"
    assert headers["user-agent"] == "monitor-test"
    assert json.loads(body.decode("utf-8"))["finding"]["name"] == "Bảo hiểm <xã hội>\x00"


def test_no_url_no_channel() -> None:
    assert WebhookChannel.from_settings(WebhookSettings(), user_agent="x") is None


def test_error_status_is_a_failure() -> None:
    hook = Hook(status=503)
    with serve(hook.app()) as base:
        channel = WebhookChannel(f"{base}/hook")
        with pytest.raises(NotifyError, match="trả lời HTTP 503"):
            asyncio.run(channel.send(alert()))
    assert len(hook.received) == 1


def test_unreachable_and_masked_token() -> None:
    channel = WebhookChannel(f"http://127.0.0.1:{free_port()}/hook?token=s3cret", timeout=2, lang="en")
    with pytest.raises(NotifyError) as caught:
        asyncio.run(channel.send(alert()))
    assert str(caught.value).startswith("cannot reach the webhook")
    assert "s3cret" not in str(caught.value)
    assert "s3cret" not in channel.destination()[0]


def test_bidi_and_format_characters_arrive_escaped() -> None:
    hook = Hook()
    name = "Bảo hiểm \u202emoc.koobecaf\u202c \u2066x\u2069\u200e\u200f\u061c\u2028\u2029\u200b\ufeff"
    with serve(hook.app()) as base:
        asyncio.run(WebhookChannel(f"{base}/hook").send(alert(name)))
    [(_, body)] = hook.received
    raw = body.decode("utf-8")
    for escaped in ("\\u202e", "\\u202c", "\\u2066", "\\u2069", "\\u200e", "\\u200f", "\\u061c", "\\u2028"):
        assert escaped in raw
    assert not any(ch in raw for ch in "\u202e\u202c\u2066\u2069\u200e\u200f\u061c\u2028\u2029\u200b\ufeff")
    assert "Bảo hiểm" in raw  # letters stay readable UTF-8
    assert json.loads(raw)["finding"]["name"] == name


def test_payload_carries_readable_vietnamese_text_and_the_findings_link(tmp_path: Path) -> None:
    from monitor.notify.alerts import build_alert
    from monitor.store.db import open_database, session_factory, session_scope
    from tests.notify.helpers import T0, brand, data, load, scan

    engine = open_database(f"sqlite:///{tmp_path / 'monitor.db'}")
    factory = session_factory(engine)
    [pair] = scan(factory, [data()], T0)
    hook = Hook()
    with session_scope(factory) as session:
        finding, observation = load(session, pair)
        console, plain = (
            build_alert(
                "alert:webhook:observation:1",
                "new",
                finding,
                observation,
                None,
                brand=brand(),
                zone_name="Asia/Ho_Chi_Minh",
                lang="vi",
                public_url=url,
            )
            for url in ("https://giamsat.example.vn/", None)
        )
    engine.dispose()
    with serve(hook.app()) as base:
        channel = WebhookChannel(f"{base}/hook")
        asyncio.run(channel.send(console))
        asyncio.run(channel.send(plain))
    first, second = (json.loads(body.decode("utf-8")) for _, body in hook.received)
    assert first["link"] == f"https://giamsat.example.vn/findings/{finding.id}"
    assert first["text"].splitlines() == [
        "Phát hiện mạo danh mới – Bảo hiểm xã hội tỉnh Bình Dương",
        "Facebook: «BHXH Bình Dương - Hỗ trợ rút BHXH 1 lần»",
        "https://www.facebook.com/bhxhbd",
        "Vì sao: Tên có tên cơ quan: Bảo hiểm xã hội; Có cụm từ hay gặp ở trang lừa đảo: rút BHXH 1 lần",
        f"Xử lý tại: https://giamsat.example.vn/findings/{finding.id}",
    ]
    # Without the console: the fake's own link, and where to report it.
    assert second["link"] == "https://www.facebook.com/bhxhbd"
    assert "Việc cần làm: báo cáo trang này" in second["text"]
    assert "https://www.facebook.com/help/contact/295309487309948" in second["text"]
