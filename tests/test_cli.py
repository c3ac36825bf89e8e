"""The `monitor` command as a user runs it: a real subprocess, real exit codes and output."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


def test_help_and_version(workdir: Path) -> None:
    helped = run("--help", cwd=workdir)
    assert helped.returncode == 0
    assert "config" in helped.stdout
    assert "db" in helped.stdout
    version = run("--version", cwd=workdir)
    assert version.returncode == 0
    assert version.stdout.startswith("monitor, version ")


def test_english_help_is_selectable(workdir: Path) -> None:
    helped = run("--help", cwd=workdir, env={"MONITOR_LANG": "en"})
    assert "Watches for accounts" in helped.stdout


def test_config_check_masks_secrets(workdir: Path) -> None:
    env = {"MONITOR_SOURCES__BRAVE__API_KEY": "brave-secret-1", "MONITOR_EMAIL__PASSWORD": "smtp-pw-2"}
    text = run("config", "check", cwd=workdir, env=env)
    assert text.returncode == 0, text.stderr
    assert "bhxh-binh-duong" in text.stdout
    as_json = run("config", "check", "--json", cwd=workdir, env=env)
    data = json.loads(as_json.stdout)
    assert data["sources"]["brave"]["api_key"] == "**********"
    assert data["brands"][0]["slug"] == "bhxh-binh-duong"
    for result in (text, as_json):
        assert "brave-secret-1" not in result.stdout + result.stderr
        assert "smtp-pw-2" not in result.stdout + result.stderr


def test_db_upgrade_creates_the_sqlite_file(workdir: Path) -> None:
    result = run("db", "upgrade", cwd=workdir)
    assert result.returncode == 0, result.stderr
    database = workdir / "data" / "monitor.db"
    assert database.is_file()
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        journal = connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert {"scans", "findings", "observations", "notifications", "alembic_version"} <= tables
    assert journal == "wal"


def test_config_from_env_variable_and_json_logs(workdir: Path) -> None:
    moved = workdir / "elsewhere"
    shutil.move(workdir / "config", moved)
    result = run(
        "db",
        "upgrade",
        cwd=workdir,
        env={"MONITOR_CONFIG": str(moved / "monitor.toml"), "MONITOR_LOG_FORMAT": "json"},
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(event["event"] == "db_upgraded" for event in events)


@pytest.mark.parametrize(
    ("edit", "env", "expected"),
    [
        (lambda t: t.replace("[http]", "[http"), {}, "monitor.toml"),
        (lambda t: t.replace("send_empty = true", "send_emtpy = true"), {}, "digest.send_emtpy"),
        (lambda t: t.replace("timeout = 20.0", "timeout = 'soon'"), {}, "http.timeout"),
        (
            lambda t: t,
            {"MONITOR_LIFECYCLE__GONE_AFTER_MISSES": "zero"},
            "MONITOR_LIFECYCLE__GONE_AFTER_MISSES",
        ),
    ],
)
def test_broken_config_exits_2_with_one_line(
    workdir: Path, edit: object, env: dict[str, str], expected: str
) -> None:
    path = workdir / "config" / "monitor.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    result = run("config", "check", cwd=workdir, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def test_db_check_fails_before_upgrade_and_passes_after(workdir: Path) -> None:
    before = run("db", "check", cwd=workdir)
    assert before.returncode == 1
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    after = run("db", "check", cwd=workdir)
    assert after.returncode == 0, after.stderr
