"""The Zalo OA channel against a loopback stand-in: errors in words, tokens renewed before they expire."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.errors import NotifyError
from monitor.notify.channels.zalo import TOKEN_FILE, ZaloChannel, ZaloTokens
from monitor.notify.messages import ChatMessage
from monitor.settings import ZaloSettings
from tests.notify.receivers import ZaloStandIn
from tests.support.loopback import serve

MESSAGE = ChatMessage("Phát hiện mạo danh mới – BHXH", "Facebook: «BHXH hỗ trợ»\nhttps://www.facebook.com/x")


def zalo_settings(base: str, **extra: object) -> ZaloSettings:
    return ZaloSettings.model_validate(
        {
            "api_url": base,
            "oauth_url": base,
            "app_id": "4321",
            "app_secret": "app-secret-9",
            "access_token": "access-0",
            "refresh_token": "refresh-0",
            **extra,
        }
    )


def test_api_errors_are_reported_in_words(tmp_path: Path) -> None:
    stand_in = ZaloStandIn(
        access="access-0", refresh="refresh-0", app_id="4321", secret="app-secret-9", expired=False
    )
    stand_in.followers = {"111"}
    with serve(stand_in.app()) as base:
        settings = zalo_settings(base)
        tokens = ZaloTokens(settings, tmp_path / TOKEN_FILE)
        asyncio.run(ZaloChannel("111", tokens, settings).send_chat(MESSAGE, key="k1"))
        with pytest.raises(NotifyError, match="người nhận chưa quan tâm OA \\(-213\\)"):
            asyncio.run(ZaloChannel("222", tokens, settings).send_chat(MESSAGE, key="k2"))
        [sent] = stand_in.messages.wait_for(1)
    assert sent["text"] == MESSAGE.text
    assert stand_in.refreshes == 0


def test_a_token_near_its_expiry_is_renewed_first_and_kept_for_the_next_process(tmp_path: Path) -> None:
    stand_in = ZaloStandIn(access="access-0", refresh="refresh-0", app_id="4321", secret="app-secret-9")
    stand_in.expires_in = "300"  # renewed pairs last five minutes: inside the ten-minute margin
    with serve(stand_in.app()) as base:
        settings = zalo_settings(base, refresh_before_seconds=600)
        path = tmp_path / TOKEN_FILE
        tokens = ZaloTokens(settings, path)
        channel = ZaloChannel("111", tokens, settings)
        asyncio.run(channel.send_chat(MESSAGE, key="k1"))  # refused as expired, renewed once, resent
        assert (stand_in.refreshes, stand_in.refusals) == (1, [-216])
        asyncio.run(channel.send_chat(MESSAGE, key="k2"))  # about to expire: renewed before use
        assert (stand_in.refreshes, stand_in.refusals) == (2, [-216])
        later = ZaloTokens(settings, path)  # a restarted process reads the renewed pair
        assert later.access == "access-2"
        sent = stand_in.messages.wait_for(2)
    assert [m["token"] for m in sent] == ["access-1", "access-2"]
    assert path.stat().st_mode & 0o777 == 0o600
    # New tokens configured in the environment win over the stored pair.
    fresh = zalo_settings(base, access_token="access-new", refresh_token="refresh-new")
    assert ZaloTokens(fresh, path).access == "access-new"
