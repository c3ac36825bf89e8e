"""Start-up of the command line: sub-commands registered by name, their modules imported only when run."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import monitor.commands
from benchmarks.startup import prepare
from monitor.cli import cli
from monitor.commands import COMMANDS
from monitor.i18n import Language, retranslate

# Libraries that `monitor --help` must not load: the database, HTTP, parsing, matching, image and
# template stacks, and the settings and logging machinery.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "pydantic",
    "httpx",
    "selectolax",
    "rapidfuzz",
    "dnstwist",
    "jinja2",
    "PIL",
    "phonenumbers",
    "structlog",
    "rich",
    "numpy",
    "scipy",
    "monitor.settings",
    "monitor.scan",
)

PROBE = """
import json, sys
sys.argv = ["monitor", *sys.argv[1:]]
from monitor.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


# What the container healthcheck (`monitor status --check`, every minute) must not load on SQLite:
# SQLAlchemy, Alembic, the logging renderers and every stack of the scan; it reads one row with sqlite3.
HEALTHCHECK_UNWANTED = (
    "alembic",
    "sqlalchemy",
    "structlog",
    "rich",
    "monitor.store.db",
    "monitor.store.schema",
    "monitor.store.scans",
    "monitor.report",
    "monitor.scan",
    "monitor.enrich",
    "monitor.net",
    "monitor.matching",
    "selectolax",
    "rapidfuzz",
    "dnstwist",
    "jinja2",
    "PIL",
    "phonenumbers",
    "apscheduler",
    "numpy",
    "scipy",
)


def loaded_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def alive_daemon(folder: Path) -> dict[str, str]:
    """A config and a database at the newest schema whose daemon has a fresh heartbeat."""
    return prepare(folder)


def heavy(modules: set[str]) -> set[str]:
    return {name for name in modules if any(name == h or name.startswith(h + ".") for h in HEAVY)}


@pytest.mark.parametrize("args", [("--help",), ("--lang", "en", "--help"), ("--version",)])
def test_help_and_version_import_no_heavy_library(args: tuple[str, ...]) -> None:
    assert heavy(loaded_by(*args)) == set()


def test_the_healthcheck_answers_without_the_orm_alembic_or_the_scan_stack(tmp_path: Path) -> None:
    env = alive_daemon(tmp_path)
    answered = subprocess.run(
        [sys.executable, "-m", "monitor", "--lang", "en", "status", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert answered.returncode == 0, answered.stderr
    assert "Running." in answered.stdout
    modules = loaded_by("status", "--check", env=env)
    assert "monitor.store.heartbeat" in modules
    unwanted = {m for m in modules if any(m == u or m.startswith(u + ".") for u in HEALTHCHECK_UNWANTED)}
    assert unwanted == set()


def test_the_healthcheck_knows_the_newest_schema_as_alembic_does() -> None:
    from monitor.store.db import head_revision, make_engine
    from monitor.store.heartbeat import schema_head

    engine = make_engine("sqlite://")
    try:
        assert schema_head() == head_revision(engine)
    finally:
        engine.dispose()


def test_a_command_imports_what_it_needs_when_it_runs() -> None:
    modules = loaded_by("status", "--help")
    assert "monitor.commands.status" in modules
    assert "monitor.commands.scan" not in modules


def root_commands() -> dict[str, tuple[str, str]]:
    """Every top-level click command defined in monitor/commands, by name: (module, attribute)."""
    found: dict[str, tuple[str, str]] = {}
    nested: set[int] = set()
    for info in pkgutil.iter_modules(monitor.commands.__path__):
        module = importlib.import_module(f"monitor.commands.{info.name}")
        for attribute, value in vars(module).items():
            callback = getattr(value, "callback", None)
            if isinstance(value, click.Command) and getattr(callback, "__module__", None) == module.__name__:
                found[f"{info.name}.{attribute}"] = (info.name, attribute)
                if isinstance(value, click.Group):
                    nested.update(id(sub) for sub in value.commands.values())
    roots: dict[str, tuple[str, str]] = {}
    for module_name, attribute in found.values():
        command = getattr(importlib.import_module(f"monitor.commands.{module_name}"), attribute)
        if id(command) not in nested:
            roots[command.name] = (module_name, attribute)
    return roots


def test_every_command_module_is_registered() -> None:
    registered = {name: (entry.module, entry.attribute) for name, entry in COMMANDS.items()}
    assert registered == root_commands()


@pytest.mark.parametrize("name", sorted(COMMANDS))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_registered_line_is_what_the_command_itself_lists(name: str, lang: Language) -> None:
    entry = COMMANDS[name]
    command = entry.load()
    assert command.name == name
    assert command.help is not None
    own = click.Command(name, help=retranslate(command.help, lang)).get_short_help_str(1000)
    listed = click.Command(name, help=entry.vi if lang == "vi" else entry.en).get_short_help_str(1000)
    assert listed == own, "update the line in monitor/commands/__init__.py COMMANDS"


def test_lazy_and_loaded_listings_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "commands", dict(cli.commands))  # the loaded commands leave with the test
    runner = CliRunner()
    lazy = runner.invoke(cli, ["--lang", "en", "--help"])
    for entry in COMMANDS.values():
        cli.add_command(entry.load())  # as after every command has run once
    loaded = runner.invoke(cli, ["--lang", "en", "--help"])
    assert lazy.exit_code == loaded.exit_code == 0
    assert lazy.output == loaded.output
    assert "status    Daemon state, the last scans and source health." in lazy.output


def test_an_unknown_command_is_still_refused() -> None:
    result = CliRunner().invoke(cli, ["--lang", "en", "nope"])
    assert result.exit_code == 2
    assert "No such command 'nope'" in result.output
