"""Where the configuration is found and where the data lives: lookup order, packaged defaults, home.

Config file: `--config`, else `MONITOR_CONFIG`, else `./monitor.toml` or `./config/monitor.toml`
when present, else the defaults shipped inside the package (`monitor/defaults/`).

Home (the data folder, `MONITOR_HOME`): the base of relative paths written in the config file
(`database.url` of SQLite, `evidence.dir`). It is `MONITOR_HOME` when set; else the folder of the
config file, or the folder above it when that folder is named `config` (the layout
`config/monitor.toml` + `data/`); else, on the packaged defaults, the user data folder
`$XDG_DATA_HOME/monitor` (`~/.local/share/monitor`). Paths given in environment variables are
the user's own and stay relative to the working directory.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote

CONFIG_NAME = "monitor.toml"
BRANDS_NAME = "brands.toml"
CONFIG_ENV = "MONITOR_CONFIG"
HOME_ENV = "MONITOR_HOME"
# Looked for in the working directory, in this order.
LOCAL_CONFIGS = (Path(CONFIG_NAME), Path("config") / CONFIG_NAME)
DEFAULT_FILES = (CONFIG_NAME, BRANDS_NAME)


def packaged_defaults() -> Path:
    """The folder of the monitor.toml and brands.toml shipped inside the package."""
    return Path(str(resources.files("monitor") / "defaults"))


def packaged_config() -> Path:
    return packaged_defaults() / CONFIG_NAME


def is_packaged(config: Path) -> bool:
    """True when `config` is the packaged monitor.toml (read as such even when passed explicitly)."""
    try:
        return config.resolve() == packaged_config().resolve()
    except OSError:
        return False


def find_config(explicit: Path | None, env: Mapping[str, str]) -> Path:
    """The config file to read: --config, MONITOR_CONFIG, ./monitor.toml, ./config/monitor.toml, packaged."""
    if explicit is not None:
        return explicit
    from_env = env.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    for local in LOCAL_CONFIGS:
        if local.is_file():
            return local
    return packaged_config()


def user_data_dir(env: Mapping[str, str]) -> Path:
    """`$XDG_DATA_HOME/monitor`, by default `~/.local/share/monitor`."""
    xdg = env.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "monitor"


def user_cache_dir(env: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/monitor`, by default `~/.cache/monitor`: what can be rebuilt at any time."""
    xdg = env.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "monitor"


def data_home(config: Path, env: Mapping[str, str]) -> Path:
    """The absolute folder that relative paths of `config` point into (see the module docstring)."""
    explicit = env.get(HOME_ENV)
    if explicit:
        return Path(explicit).expanduser().absolute()
    if is_packaged(config):
        return user_data_dir(env)
    folder = config.expanduser().absolute().parent
    return folder.parent if folder.name == "config" else folder


def anchored_url(url: str, home: Path) -> str:
    """A SQLite URL with a relative file path made absolute under `home`; any other URL unchanged."""
    parsed = _parse(url)
    if parsed is None or not parsed.database or parsed.database == ":memory:":
        return url
    database = parsed.database
    if database.startswith("file:") or Path(database).expanduser().is_absolute():
        return url
    anchored = quote(str(home / database), safe=" +/")
    return f"{parsed.name}://{parsed.authority}/{anchored}" + (
        f"?{parsed.query}" if parsed.query is not None else ""
    )


def anchored_path(path: Path, home: Path) -> Path:
    expanded = path.expanduser()
    return expanded if expanded.is_absolute() else home / expanded


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL, or None for other databases and in-memory SQLite."""
    parsed = _parse(url)
    if parsed is None or not parsed.database or parsed.database == ":memory:":
        return None
    database = parsed.database
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
        mode = dict(parse_qsl(parsed.query or "")).get("mode")
        if not database or database == ":memory:" or mode == "memory":
            return None
    return Path(database).expanduser()


def url_parts(url: str) -> dict[str, str | None] | None:
    """A database URL's parts as SQLAlchemy reads them (name, username, password, host, port,
    database, query), percent-decoded; None when it is not a URL."""
    found = _URL.match(url)
    if found is None:
        return None
    parts: dict[str, str | None] = {
        key: found[key] for key in ("name", "username", "password", "port", "database", "query")
    }
    parts["host"] = found["ipv4host"] or found["ipv6host"]
    for key in ("username", "password", "database"):
        value = parts[key]
        parts[key] = unquote(value) if value is not None else None
    return parts


def is_plain_sqlite_url(url: str) -> bool:
    """A SQLite URL with nothing between "://" and its file (no host, no port)."""
    if _URL.match(url) is None:
        return False
    parsed = _parse(url)
    return parsed is not None and parsed.authority == ""


@dataclass(frozen=True)
class _SqliteUrl:
    name: str  # sqlite, sqlite+pysqlite...
    authority: str  # what stands between "://" and the database's "/" (nothing, for SQLite)
    database: str | None
    query: str | None


# SQLAlchemy's own URL pattern (sqlalchemy.engine.url._parse_url), read the same way here so that
# reading the settings and the healthcheck do not load SQLAlchemy; tests hold the two together.
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?P<authority>
            (?:(?P<username>[^:/]*)(?::(?P<password>[^@]*))?@)?
            (?:(?:\[(?P<ipv6host>[^/\?]+)\]|(?P<ipv4host>[^/:\?]+))?(?::(?P<port>[^/\?]*))?)?
        )
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)


def _parse(url: str) -> _SqliteUrl | None:
    """A SQLite URL's parts; None for any other database. A URL that is not one raises as
    SQLAlchemy does (ArgumentError)."""
    found = _URL.match(url)
    if found is None:
        from sqlalchemy.engine import make_url

        make_url(url)  # raises its own clear error
        return None  # pragma: no cover - SQLAlchemy reads no more than this pattern
    if found["name"].split("+", 1)[0] != "sqlite":
        return None
    database = found["database"]
    return _SqliteUrl(
        found["name"],
        found["authority"] or "",
        unquote(database) if database is not None else None,
        found["query"],
    )
