"""Config loading: defaults, overrides, secrets, and one clear error naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.settings import load_settings, parse_duration

REPO_CONFIG = Path(__file__).resolve().parents[1] / "config" / "monitor.toml"

BRANDS = """
[[brands]]
slug = "bhxh-test"
name = "Bảo hiểm xã hội tỉnh Thử"
organization_terms = ["Bảo hiểm xã hội", "BHXH"]
location_terms = ["Thử"]
"""


def write(tmp_path: Path, monitor: str, brands: str = BRANDS) -> Path:
    (tmp_path / "brands.toml").write_text(brands, encoding="utf-8")
    path = tmp_path / "monitor.toml"
    path.write_text(monitor, encoding="utf-8")
    return path


def test_repository_config_is_valid() -> None:
    settings = load_settings(REPO_CONFIG, environ={})
    brand = settings.brand("bhxh-binh-duong")
    assert brand.name == "Bảo hiểm xã hội tỉnh Bình Dương"
    assert "binhduong.baohiemxahoi.gov.vn" in brand.official_domains
    assert brand.owns_social_accounts is False
    assert "Thủ Dầu Một" in brand.sub_units
    assert settings.lifecycle.gone_after_misses == 3
    assert settings.schedule.scan_every_seconds == 6 * 3600


def test_env_overrides_nested_values_and_json(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\nurl = 'sqlite:///x.db'\n")
    env = {
        "MONITOR_DATABASE__URL": "postgresql+psycopg://u@h/db",
        "MONITOR_SOURCES__BRAVE__URL": "http://127.0.0.1:9/x",
        "MONITOR_EMAIL__RECIPIENTS": '["a@b.vn", "c@d.vn"]',
        "MONITOR_HTTP__MAX_CONCURRENCY": "3",
        "MONITOR_SOURCES__BRAVE__API_KEY": "s3cret-key",
        "MONITOR_EMAIL__PASSWORD": "pw-123",
        "MONITOR_LOG_FORMAT": "json",
        "OTHER": "ignored",
    }
    settings = load_settings(path, environ=env)
    assert settings.database.url == "postgresql+psycopg://u@h/db"
    assert settings.sources.brave.url == "http://127.0.0.1:9/x"
    assert settings.email.recipients == ["a@b.vn", "c@d.vn"]
    assert settings.http.max_concurrency == 3
    assert settings.sources.brave.api_key is not None
    assert settings.sources.brave.api_key.get_secret_value() == "s3cret-key"
    dumped = repr(settings.masked()) + repr(settings)
    assert "s3cret-key" not in dumped
    assert "pw-123" not in dumped


@pytest.mark.parametrize(
    ("monitor", "env", "where", "key"),
    [
        ("[http\ntimeout = 1\n", {}, "monitor.toml", None),
        ("[http]\ntimeot = 1\n", {}, "monitor.toml", "http.timeot"),
        ("[http]\ntimeout = 'fast'\n", {}, "monitor.toml", "http.timeout"),
        ("[sources.bing]\nenabled = true\n", {}, "monitor.toml", "sources.bing"),
        ("[sources.brave]\napi_key = 'x'\n", {}, "monitor.toml", "sources.brave.api_key"),
        ("", {"MONITOR_HTTP__TIMEOUT": "abc"}, "MONITOR_HTTP__TIMEOUT", "http.timeout"),
        ("", {"MONITOR_NOPE__X": "1"}, "MONITOR_NOPE__X", "nope"),
        ("", {"MONITOR_EMAIL__RECIPIENTS": "[1,"}, "MONITOR_EMAIL__RECIPIENTS", "email.recipients"),
        ("[schedule]\nscan_every = 'often'\n", {}, "monitor.toml", "schedule.scan_every"),
        ("[schedule]\ntimezone = 'Mars/Base'\n", {}, "monitor.toml", "schedule.timezone"),
        ("[schedule]\ndigest_at = '25:99'\n", {}, "monitor.toml", "schedule.digest_at"),
    ],
)
def test_broken_config_names_where_and_key(
    tmp_path: Path, monitor: str, env: dict[str, str], where: str, key: str | None
) -> None:
    path = write(tmp_path, monitor)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ=env)
    assert info.value.where.endswith(where)
    if key is None:
        assert "invalid TOML" in info.value.message
        assert "line" in info.value.message
    else:
        assert info.value.key == key
    assert "\n" not in str(info.value)


def test_broken_brands_file_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path, "", brands="[[brands]]\nslug = 'Bad Slug'\nname = 'x'\norganization_terms = ['x']\n"
    )
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert info.value.where.endswith("brands.toml")
    assert info.value.key == "brands[0].slug"


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_second_brand_is_a_few_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "", brands=BRANDS + BRANDS.replace("bhxh-test", "bhxh-other"))
    assert [b.slug for b in load_settings(path, environ={}).brands] == ["bhxh-test", "bhxh-other"]


def test_duplicate_brand_slugs_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "", brands=BRANDS + BRANDS)
    with pytest.raises(ConfigError, match="duplicate slug"):
        load_settings(path, environ={})


@pytest.mark.parametrize(("text", "seconds"), [("6h", 21600), ("30m", 1800), ("5s", 5), ("1d", 86400)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "6", "h", "0s", "-1m", "1w"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)
