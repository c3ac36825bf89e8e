"""The console's settings: loopback by default, the session key only from the environment or its kept file."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from monitor.errors import ConfigError
from monitor.settings import load_settings
from monitor.web.auth import load_secret, secret_path
from tests.web.conftest import BRANDS, PASSWORD, add_user, login, running, write_config


def test_defaults_bind_to_loopback(tmp_path: Path) -> None:
    settings = write_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    assert (settings.web.host, settings.web.port, settings.web.public_url) == ("127.0.0.1", 8080, None)
    assert settings.web.secret_key is None


def test_the_secret_key_comes_only_from_the_environment(tmp_path: Path) -> None:
    (tmp_path / "monitor.toml").write_text('[web]\nsecret_key = "in-a-file"\n', encoding="utf-8")
    (tmp_path / "brands.toml").write_text(BRANDS, encoding="utf-8")
    with pytest.raises(ConfigError, match="MONITOR_WEB__SECRET_KEY"):
        load_settings(tmp_path / "monitor.toml", {})
    (tmp_path / "monitor.toml").write_text("", encoding="utf-8")
    settings = load_settings(tmp_path / "monitor.toml", {"MONITOR_WEB__SECRET_KEY": "from-the-environment"})
    assert load_secret(settings) == b"from-the-environment"
    assert not secret_path(settings).exists()
    assert "from-the-environment" not in str(settings.masked())


def test_a_generated_key_is_made_once_and_kept(tmp_path: Path) -> None:
    settings = write_config(tmp_path, f"sqlite:///{tmp_path / 'm.db'}")
    first = load_secret(settings)
    assert len(first) == 64
    assert load_secret(settings) == first


def test_cookies_are_secure_when_the_console_is_public_over_https(tmp_path: Path) -> None:
    write_config(tmp_path / "site", f"sqlite:///{tmp_path / 'm.db'}")
    settings = load_settings(
        tmp_path / "site" / "monitor.toml",
        {
            "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'm.db'}",
            "MONITOR_WEB__PUBLIC_URL": "https://giamsat.example.vn",
        },
    )
    add_user(settings, "oanh", "officer")
    with running(settings) as url, httpx.Client(base_url=url) as client:
        form = client.get("/login")
        # Over plain http a client keeps a Secure cookie to itself: only https reaches the console.
        refused = login(client, "oanh", PASSWORD)
    assert "secure" in form.headers["set-cookie"].lower()
    assert refused.status_code == 403
