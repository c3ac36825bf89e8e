"""Config loading: defaults, overrides, secrets, and one clear error naming file and key."""

from __future__ import annotations

import json
import logging
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import structlog

from monitor.cli import main
from monitor.errors import ConfigError
from monitor.locations import anchored_url, find_config, packaged_config, sqlite_file
from monitor.settings import BrandsFile, load_settings, parse_duration

Checker = Callable[..., tuple[int, str, str]]

REPO_CONFIG = Path(__file__).resolve().parents[1] / "config" / "monitor.toml"

BRANDS = """
[[brands]]
slug = "bhxh-test"
name = "Bảo hiểm xã hội tỉnh Thử"
organization_terms = ["Bảo hiểm xã hội", "BHXH"]
location_terms = ["Thử"]
"""


def write(tmp_path: Path, monitor: str, brands: str = BRANDS) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
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


@pytest.fixture
def check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Checker]:
    """`monitor --config PATH config check [--json]` in this process, with its real exit code."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(path: Path, env: Mapping[str, str], *args: str) -> tuple[int, str, str]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["monitor", "--config", str(path), "config", "check", *args])
        code: object = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return (code if isinstance(code, int) else 1), out.out, out.err

    yield run
    # `main` routes logging to the captured stderr; give the next test the set-up it had.
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


BRAND_WITH = BRANDS + "official_domains = [{domains}]\n"
AUTHORITY = "[[brands.authorities]]\nname = 'A'\n"


@pytest.mark.parametrize(
    ("monitor", "brands", "env", "where", "key"),
    [
        (
            "[evidence]\ndisplay_timezone = 'Mars/Base'\n",
            BRANDS,
            {},
            "monitor.toml",
            "evidence.display_timezone",
        ),
        ("[schedule]\ntimezone = 'Asia/Nowhere'\n", BRANDS, {}, "monitor.toml", "schedule.timezone"),
        ("[schedule]\nscan_every = '99999999999999h'\n", BRANDS, {}, "monitor.toml", "schedule.scan_every"),
        ("[schedule]\nscan_every = '0.5s'\n", BRANDS, {}, "monitor.toml", "schedule.scan_every"),
        ("[schedule.sources]\nbrave = '32d'\n", BRANDS, {}, "monitor.toml", "schedule.sources"),
        ("[sources.crtsh]\nurl = 'ftp://crt.sh/'\n", BRANDS, {}, "monitor.toml", "sources.crtsh.url"),
        (
            "[sources.searxng]\nurl = 'http://127.0.0.1:99999/'\n",
            BRANDS,
            {},
            "monitor.toml",
            "sources.searxng.url",
        ),
        (
            "[sources.tiktok]\noembed_url = 'https://'\n",
            BRANDS,
            {},
            "monitor.toml",
            "sources.tiktok.oembed_url",
        ),
        ("[http]\ncontact_url = 'gopher://x.vn'\n", BRANDS, {}, "monitor.toml", "http.contact_url"),
        ("[http]\nproxy = 'socks5://127.0.0.1:1080'\n", BRANDS, {}, "monitor.toml", "http.proxy"),
        ("[alerts.webhook]\nurl = 'file:///etc/passwd'\n", BRANDS, {}, "monitor.toml", "alerts.webhook.url"),
        ("[alerts.webhook]\nurl = 'https://h.vn:0/x'\n", BRANDS, {}, "monitor.toml", "alerts.webhook.url"),
        ("[email]\nsmtp_port = 99999\n", BRANDS, {}, "monitor.toml", "email.smtp_port"),
        (
            "[email]\nrecipients = ['a@b.vn', 'not an address']\n",
            BRANDS,
            {},
            "monitor.toml",
            "email.recipients[1]",
        ),
        ("[email]\nsender = 'Giám sát <gs@b.vn>'\n", BRANDS, {}, "monitor.toml", "email.sender"),
        ("[email]\nrecipients = ['ops@localhost']\n", BRANDS, {}, "monitor.toml", "email.recipients[0]"),
        (
            "[database]\nurl = 'postgresql+psycopg://u@h:99999/db'\n",
            BRANDS,
            {},
            "monitor.toml",
            "database.url",
        ),
        (
            "",
            BRANDS,
            {"MONITOR_ALERTS__WEBHOOK__URL": "ftp://h.vn/x"},
            "MONITOR_ALERTS__WEBHOOK__URL",
            "alerts.webhook.url",
        ),
        (
            "",
            BRANDS,
            {"MONITOR_EMAIL__RECIPIENTS": '["x@@y.vn"]'},
            "MONITOR_EMAIL__RECIPIENTS",
            "email.recipients[0]",
        ),
        ("", BRANDS, {"MONITOR_LANG": "fr"}, "MONITOR_LANG", None),
        ("", BRAND_WITH.format(domains="'*.vn'"), {}, "brands.toml", "brands[0].official_domains[0]"),
        (
            "",
            BRAND_WITH.format(domains="'a.gov.vn', 'com.vn'"),
            {},
            "brands.toml",
            "brands[0].official_domains[1]",
        ),
        ("", BRAND_WITH.format(domains="'github.io'"), {}, "brands.toml", "brands[0].official_domains[0]"),
        (
            "",
            BRAND_WITH.format(domains="'bad domain.vn'"),
            {},
            "brands.toml",
            "brands[0].official_domains[0]",
        ),
        ("", BRAND_WITH.format(domains="'-x.vn'"), {}, "brands.toml", "brands[0].official_domains[0]"),
        (
            "",
            BRANDS + "[[brands.legitimate]]\nname = 'L'\ndomains = ['gov.vn']\n",
            {},
            "brands.toml",
            "brands[0].legitimate[0].domains[0]",
        ),
        (
            "",
            BRANDS + AUTHORITY + "url = 'javascript:alert(1)'\n",
            {},
            "brands.toml",
            "brands[0].authorities[0].url",
        ),
        ("", BRANDS + AUTHORITY + "email = 'nope'\n", {}, "brands.toml", "brands[0].authorities[0].email"),
    ],
)
def test_config_check_refuses_settings_that_would_crash_later(
    tmp_path: Path,
    check: Checker,
    monitor: str,
    brands: str,
    env: dict[str, str],
    where: str,
    key: str | None,
) -> None:
    path = write(tmp_path, monitor, brands)
    code, out, err = check(path, env)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    named = f"{where}: {key}: " if key else f"{where}: "
    assert named in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("monitor", "brands"),
    [
        ("[schedule]\nscan_every = '1s'\n[schedule.sources]\nbrave = '31d'\n", BRANDS),
        ("[evidence]\ndisplay_timezone = 'UTC'\n", BRANDS),
        ("[email]\nsmtp_port = 65535\nrecipients = ['canbo@bhxh.gov.vn', 'người@bảohiểm.vn']\n", BRANDS),
        (
            "[sources.searxng]\nurl = 'http://[::1]:8888/searx'\n[http]\nproxy = 'http://127.0.0.1:3128'\n",
            BRANDS,
        ),
        ("", BRAND_WITH.format(domains="'baohiemxahoi.gov.vn', 'bảohiểm.vn', 'x.github.io', 'VSS.gov.vn'")),
    ],
)
def test_config_check_accepts_edge_values(tmp_path: Path, check: Checker, monitor: str, brands: str) -> None:
    code, out, err = check(write(tmp_path, monitor, brands), {"MONITOR_LANG": "en"})
    assert code == 0, err
    assert "Configuration is valid" in out


def test_models_built_in_code_keep_hostile_domains() -> None:
    # The domains pipeline is tested against hostile profiles; only config files are held to the rules.
    brand = BrandsFile.model_validate(tomllib.loads(BRAND_WITH.format(domains="'*.vn', ''"))).brands[0]
    assert brand.official_domains == ["*.vn", ""]


SECRET_ENV = {
    "MONITOR_DATABASE__URL": "postgresql+psycopg://monitor:db-pass-7f3a@127.0.0.1:5432/monitor",
    "MONITOR_ALERTS__WEBHOOK__URL": "https://hooks.example.vn/in/T1/B2/AbCdEf123456GhIjKl?token=wh-tok-91&ch=ops",
    "MONITOR_HTTP__PROXY": "http://proxyuser:proxy-pass-5@127.0.0.1:3128",
    "MONITOR_SOURCES__SEARXNG__URL": "https://searx.example.vn/search?api_key=sx-key-42&lang=vi",
    "MONITOR_SOURCES__BRAVE__API_KEY": "brave-key-0c1d",
    "MONITOR_EMAIL__PASSWORD": "smtp-pass-88",
}
SECRETS = (
    "db-pass-7f3a",
    "wh-tok-91",
    "AbCdEf123456GhIjKl",
    "proxy-pass-5",
    "sx-key-42",
    "brave-key-0c1d",
    "smtp-pass-88",
)


def test_config_check_masks_passwords_and_tokens_in_urls(tmp_path: Path, check: Checker) -> None:
    path = write(tmp_path, "")
    code, text, err = check(path, SECRET_ENV)
    assert code == 0, err
    code, as_json, err = check(path, SECRET_ENV, "--json")
    assert code == 0, err
    for secret in SECRETS:
        assert secret not in text + as_json
    assert 'database.url = "postgresql+psycopg://monitor:********@127.0.0.1:5432/monitor"' in text
    data = json.loads(as_json)
    assert (
        data["alerts"]["webhook"]["url"] == "https://hooks.example.vn/in/T1/B2/********?token=********&ch=ops"
    )
    assert data["http"]["proxy"] == "http://proxyuser:********@127.0.0.1:3128"
    assert data["sources"]["searxng"]["url"] == "https://searx.example.vn/search?api_key=********&lang=vi"
    assert data["database"]["url"].endswith("@127.0.0.1:5432/monitor")


def test_secret_values_are_every_configured_secret(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ""), environ=SECRET_ENV)
    assert set(SECRETS) <= settings.secret_values()
    assert settings.sources.brave.secret_values() == {"brave-key-0c1d"}
    assert settings.sources.duckduckgo.secret_values() == frozenset()


def test_config_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    packaged = load_settings(environ={"XDG_DATA_HOME": str(tmp_path / "xdg")})
    assert packaged.packaged is True
    assert packaged.config_path == packaged_config()
    assert packaged.home == tmp_path / "xdg" / "monitor"
    assert packaged.database.url == f"sqlite:///{tmp_path / 'xdg' / 'monitor' / 'data' / 'monitor.db'}"
    assert packaged.brand("bhxh-binh-duong").name == "Bảo hiểm xã hội tỉnh Bình Dương"

    write(tmp_path / "config", "")
    assert find_config(None, {}) == Path("config/monitor.toml")
    write(tmp_path, "")
    assert find_config(None, {}) == Path("monitor.toml")
    assert find_config(None, {"MONITOR_CONFIG": "/etc/m.toml"}) == Path("/etc/m.toml")
    assert find_config(Path("x.toml"), {"MONITOR_CONFIG": "/etc/m.toml"}) == Path("x.toml")
    assert load_settings(environ={}).packaged is False


def test_relative_paths_point_into_the_data_home(tmp_path: Path) -> None:
    office = tmp_path / "office"
    monitor = "[database]\nurl = 'sqlite:///data/x.db'\n[evidence]\ndir = 'ev'\n"
    settings = load_settings(write(office, monitor), environ={})
    assert settings.home == office
    assert settings.database.url == f"sqlite:///{office / 'data' / 'x.db'}"
    assert settings.evidence.dir == office / "ev"
    # The layout of this repository: config/monitor.toml beside data/.
    nested = load_settings(write(office / "config", monitor), environ={})
    assert nested.home == office
    assert nested.database.url == f"sqlite:///{office / 'data' / 'x.db'}"
    home = tmp_path / "home"
    moved = load_settings(write(office, monitor), environ={"MONITOR_HOME": str(home)})
    assert (moved.home, moved.evidence.dir) == (home, home / "ev")
    # Paths typed in the environment are the user's: relative to the working directory.
    typed = load_settings(
        write(office, monitor),
        environ={"MONITOR_DATABASE__URL": "sqlite:///y.db", "MONITOR_EVIDENCE__DIR": "e"},
    )
    assert (typed.database.url, typed.evidence.dir) == ("sqlite:///y.db", Path("e"))


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////srv/monitor.db",
        "sqlite://",
        "sqlite:///:memory:",
        "postgresql+psycopg://u:p@db.example.vn/monitor",
    ],
)
def test_absolute_memory_and_server_urls_are_kept(tmp_path: Path, url: str) -> None:
    assert anchored_url(url, tmp_path) == url


def test_sqlite_file_of_a_url() -> None:
    assert sqlite_file("sqlite:///data/x.db") == Path("data/x.db")
    assert sqlite_file("sqlite:////srv/x.db") == Path("/srv/x.db")
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://u@h/db") is None
