"""The webhook channel against a real receiver on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json

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
