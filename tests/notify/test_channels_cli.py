"""`monitor notify test` and `monitor config check` as processes: each channel's result, no secret shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from monitor.demo.web import SampleWeb
from tests.notify.receivers import Receiver, ZaloStandIn
from tests.support.loopback import free_port, serve

REPO = Path(__file__).resolve().parents[2]
GOOD_SECRET = "SuperSecretPass123"
BAD_SECRET = "OtherSecret456xyz"
ZALO_SECRETS = ("expired-access-token-77", "refresh-token-0-abc", "zalo-app-secret-55")


def monitor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(REPO / "config" / "monitor.toml"), *args],
        env={**os.environ, "MONITOR_LANG": "vi", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def channel_env(tmp_path: Path, receiver_base: str, zalo_base: str) -> tuple[dict[str, str], list[str]]:
    host = receiver_base.removeprefix("http://")
    urls = [
        f"json://monitor:{GOOD_SECRET}@{host}/hook",
        f"json://monitor:{BAD_SECRET}@127.0.0.1:{free_port()}/nowhere",
    ]
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_ALERTS__APPRISE__URLS": json.dumps(urls),
        "MONITOR_ALERTS__ZALO__API_URL": zalo_base,
        "MONITOR_ALERTS__ZALO__OAUTH_URL": zalo_base,
        "MONITOR_ALERTS__ZALO__APP_ID": "4321",
        "MONITOR_ALERTS__ZALO__APP_SECRET": ZALO_SECRETS[2],
        "MONITOR_ALERTS__ZALO__ACCESS_TOKEN": ZALO_SECRETS[0],
        "MONITOR_ALERTS__ZALO__REFRESH_TOKEN": ZALO_SECRETS[1],
        "MONITOR_ALERTS__ZALO__USER_IDS": '["8123456789"]',
    }
    return env, urls


def assert_nothing_secret(text: str, urls: list[str]) -> None:
    for secret in (GOOD_SECRET, BAD_SECRET, *ZALO_SECRETS, *urls):
        assert secret not in text
    for url in urls:
        assert url.split("@")[1] not in text  # not even the host and path of an Apprise URL


def zalo_stand_in() -> ZaloStandIn:
    return ZaloStandIn(access=ZALO_SECRETS[0], refresh=ZALO_SECRETS[1], app_id="4321", secret=ZALO_SECRETS[2])


def test_notify_test_reports_each_channel_and_shows_no_secret(tmp_path: Path) -> None:
    receiver, zalo = Receiver(), zalo_stand_in()
    with serve(receiver.app()) as base, serve(zalo.app()) as zalo_base:
        env, urls = channel_env(tmp_path, base, zalo_base)
        result = monitor(env, "--log-level", "DEBUG", "notify", "test")
        [message] = receiver.seen.wait_for(1)
        [sent] = zalo.messages.wait_for(1)
        only = monitor(env, "notify", "test", "--channel", "apprise")
        unknown = monitor(env, "notify", "test", "--channel", "sms")
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stderr[-2000:]
    assert sum(line.startswith("✓ Apprise json://… (") and line.endswith("đã gửi") for line in lines) == 1
    assert sum(line.startswith("✗ Apprise json://… (") and "LỖI – " in line for line in lines) == 1
    assert any(line.startswith("✓ Zalo OA (") for line in lines)
    assert lines[-1] == "2/3 kênh gửi được."
    assert message["fields"]["title"] == "Thử kênh cảnh báo"
    assert sent["text"].startswith("Thử kênh cảnh báo")
    assert zalo.refreshes == 1
    assert_nothing_secret(result.stdout + result.stderr, urls)
    assert [line[:12] for line in only.stdout.splitlines()[:2]] == ["✓ Apprise js", "✗ Apprise js"]
    assert_nothing_secret(only.stdout + only.stderr, urls)
    assert unknown.returncode == 2
    assert "email, webhook, apprise, zalo" in unknown.stderr


def test_config_check_and_scan_logs_never_show_apprise_urls(tmp_path: Path) -> None:
    receiver, zalo = Receiver(), zalo_stand_in()
    with serve(receiver.app()) as base, serve(zalo.app()) as zalo_base, SampleWeb() as web:
        env, urls = channel_env(tmp_path, base, zalo_base)
        env.update(web.overrides())
        text = monitor(env, "config", "check")
        as_json = monitor(env, "config", "check", "--json")
        scan = monitor(env, "--log-level", "DEBUG", "--log-format", "json", "scan")
        receiver.seen.wait_for(1)
    assert text.returncode == 0, text.stderr[-2000:]
    assert 'alerts.apprise.urls = ["**********", "**********"]' in text.stdout
    assert json.loads(as_json.stdout)["alerts"]["apprise"]["urls"] == ["**********", "**********"]
    assert json.loads(as_json.stdout)["alerts"]["zalo"]["access_token"] == "**********"
    for result in (text, as_json):
        assert_nothing_secret(result.stdout + result.stderr, urls)
    assert scan.returncode == 0, scan.stderr[-3000:]
    assert '"event": "alert_failed"' in scan.stderr  # the unreachable URL was tried, and logged
    assert_nothing_secret(scan.stdout + scan.stderr, urls)


def test_a_url_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "monitor.toml"
    config.write_text('[alerts.apprise]\nurls = ["tgram://123456:abcdef/42"]\n', encoding="utf-8")
    (tmp_path / "brands.toml").write_text((REPO / "config" / "brands.toml").read_text("utf-8"), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), "config", "check"],
        env={**os.environ, "MONITOR_LANG": "vi"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "MONITOR_ALERTS__APPRISE__URLS" in result.stderr
    assert "abcdef" not in result.stderr + result.stdout


def test_config_check_warns_when_nobody_will_be_told(tmp_path: Path) -> None:
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
    }
    silent = monitor(env, "config", "check")
    assert silent.returncode == 0
    assert "Cảnh báo: bhxh-binh-duong: sẽ không ai nhận cảnh báo" in silent.stderr
    env["MONITOR_ALERTS__WEBHOOK__URL"] = "https://hooks.example.vn/monitor"
    told = monitor(env, "config", "check", "--json")
    assert told.returncode == 0
    assert "không ai nhận" not in told.stderr
