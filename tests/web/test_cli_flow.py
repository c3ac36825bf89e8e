"""From a fresh database: `monitor users add`, `monitor web`, an officer's decision in Chromium,
then `monitor findings show ID --json` shows the new state and the officer on the event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page

from monitor.diff import Change
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from tests.support.loopback import free_port
from tests.web.conftest import PASSWORD, sighting, wait_ready, write_config


def monitor(config: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    url = f"sqlite:///{tmp_path / 'site' / 'data' / 'monitor.db'}"
    write_config(tmp_path / "site", url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update(
        {"MONITOR_DATABASE__URL": url, "MONITOR_EVIDENCE__DIR": str(tmp_path / "site" / "data" / "evidence")}
    )
    return tmp_path / "site" / "monitor.toml", env


def test_users_add_then_web_then_a_decision_seen_by_the_cli(
    site: tuple[Path, dict[str, str]], page: Page
) -> None:
    config, env = site
    assert not Path(env["MONITOR_DATABASE__URL"].removeprefix("sqlite:///")).exists()
    out = monitor(
        config, env, "users", "add", "oanh", "--role", "officer", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert "Đã thêm tài khoản oanh" in out
    # What a scan would record.
    engine = open_database(env["MONITOR_DATABASE__URL"])
    with session_scope(session_factory(engine)) as session:
        data = sighting("bhxh-binh-duong", "facebook:page:bhxh.gia", "BHXH Bình Dương hỗ trợ")
        finding, _ = FindingRepository(session).apply_sighting(Change(data.identity, "new"), data, None)
        assert finding is not None
        finding_id = finding.id
    engine.dispose()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--config", str(config), "web", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        page.goto(f"{base}/findings/{finding_id}")
        page.fill("input[name=username]", "oanh")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(f"{base}/findings/{finding_id}")
        page.select_option("form.decide select[name=action]", "confirmed")
        page.click("form.decide button[type=submit]")
        page.wait_for_url(f"**/findings/{finding_id}?recorded=confirmed**")
        assert "bởi oanh" in page.inner_text("ol.timeline")
    finally:
        server.terminate()
        server.communicate(timeout=30)

    shown = json.loads(monitor(config, env, "findings", "show", str(finding_id), "--json"))
    assert shown["triage"] == "confirmed"
    assert [(event["action"], event["by"]) for event in shown["triage_events"]] == [("confirmed", "oanh")]
