"""A real scan of the sample web alerting through real Apprise (json://, form://) and a Zalo OA."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.demo.web import SampleWeb
from monitor.report import ScanReport
from monitor.scan import Scanner
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from tests.notify.receivers import Receiver, ZaloStandIn
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[2]
BRAND = "bhxh-binh-duong"
PLANTED = 4  # the sample web's impersonations (tests/test_scan.py names them)


@pytest.fixture
def web() -> Iterator[SampleWeb]:
    with SampleWeb() as sample:
        yield sample


def load(web: SampleWeb, db_url: str, tmp_path: Path, **extra: str) -> Settings:
    env = {
        **web.overrides(),
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        **extra,
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def scan(settings: Settings) -> ScanReport:
    engine = open_database(settings.database.url)
    try:
        return asyncio.run(Scanner(settings, engine).run(None, None))
    finally:
        engine.dispose()


def fake_links(settings: Settings) -> list[str]:
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            return sorted(f.url for f in FindingRepository(session).all_for(BRAND))
    finally:
        engine.dispose()


def test_apprise_json_gets_one_message_per_new_fake_and_nothing_on_a_rescan(
    web: SampleWeb, db_url: str, tmp_path: Path
) -> None:
    receiver = Receiver()
    with serve(receiver.app()) as base:
        host = base.removeprefix("http://")
        urls = json.dumps([f"json://{host}/hook"])
        settings = load(web, db_url, tmp_path, MONITOR_ALERTS__APPRISE__URLS=urls)
        first = scan(settings)
        assert len(first.events["new"]) == PLANTED
        received = receiver.seen.wait_for(PLANTED)
        links = fake_links(settings)
        assert len(links) == PLANTED
        texts = receiver.texts()
        assert len(texts) == PLANTED
        for link in links:  # each fake's link in exactly one message
            assert sum(link in text for text in texts) == 1, link
        assert all(item["path"] == "/hook" and "json" in item["type"] for item in received)
        assert all(text.startswith("Phát hiện mạo danh mới – Bảo hiểm xã hội") for text in texts)
        assert all("Vì sao: " in text for text in texts)
        second = scan(settings)
        assert second.counts()["new"] == 0
        assert len(receiver.seen.snapshot()) == PLANTED  # nothing sent twice


def test_more_alerts_than_a_minute_allows_go_as_one_form_message_naming_all(
    web: SampleWeb, db_url: str, tmp_path: Path
) -> None:
    receiver = Receiver()
    with serve(receiver.app()) as base:
        host = base.removeprefix("http://")
        settings = load(
            web,
            db_url,
            tmp_path,
            MONITOR_ALERTS__APPRISE__URLS=json.dumps([f"form://{host}/group"]),
            MONITOR_ALERTS__APPRISE__PER_MINUTE="2",
        )
        scan(settings)
        [message] = receiver.seen.wait_for(1)
        assert "form" in message["type"]
        assert message["fields"]["title"].startswith(f"{PLANTED} cảnh báo mạo danh")
        for link in fake_links(settings):
            assert link in message["fields"]["message"]
        scan(settings)
        assert len(receiver.seen.snapshot()) == 1


def test_zalo_followers_get_the_same_alerts_and_an_expired_token_is_refreshed_once(
    web: SampleWeb, db_url: str, tmp_path: Path
) -> None:
    zalo = ZaloStandIn(access="old-access-token-1", refresh="refresh-0", app_id="4321", secret="app-secret-9")
    receiver = Receiver()
    with serve(zalo.app()) as zalo_base, serve(receiver.app()) as base:
        host = base.removeprefix("http://")
        settings = load(
            web,
            db_url,
            tmp_path,
            MONITOR_ALERTS__APPRISE__URLS=json.dumps([f"json://{host}/hook"]),
            MONITOR_ALERTS__ZALO__API_URL=zalo_base,
            MONITOR_ALERTS__ZALO__OAUTH_URL=zalo_base,
            MONITOR_ALERTS__ZALO__APP_ID="4321",
            MONITOR_ALERTS__ZALO__APP_SECRET="app-secret-9",
            MONITOR_ALERTS__ZALO__ACCESS_TOKEN="old-access-token-1",
            MONITOR_ALERTS__ZALO__REFRESH_TOKEN="refresh-0",
            MONITOR_ALERTS__ZALO__USER_IDS='["8123456789", "8987654321"]',
        )
        scan(settings)
        sent = zalo.messages.wait_for(2 * PLANTED)
        apprise_texts = receiver.texts()
        assert zalo.refreshes == 1
        assert {m["token"] for m in sent} == {"access-1"}
        for user in ("8123456789", "8987654321"):
            texts = sorted(m["text"] for m in sent if m["user_id"] == user)
            assert texts == sorted(apprise_texts)  # the same alerts as the chat group
        token_file = tmp_path / "zalo-oa-token.json"
        assert token_file.stat().st_mode & 0o777 == 0o600
        assert json.loads(token_file.read_text())["refresh"] == "refresh-1"
        scan(settings)
        assert len(zalo.messages.snapshot()) == 2 * PLANTED
        assert zalo.refreshes == 1
