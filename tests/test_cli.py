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
from sqlalchemy import select

from monitor.demo.web import SampleWeb
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Scan
from tests.support.loopback import free_port

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
    assert version.stdout.startswith("monitor, phiên bản ")
    assert run("--lang", "en", "--version", cwd=workdir).stdout.startswith("monitor, version ")


def test_english_help_is_selectable(workdir: Path) -> None:
    helped = run("--help", cwd=workdir, env={"MONITOR_LANG": "en"})
    assert "Watches for accounts" in helped.stdout


def test_help_is_vietnamese_by_default_and_english_with_lang_en(workdir: Path) -> None:
    vietnamese = run("--help", cwd=workdir).stdout
    assert "Cách dùng:" in vietnamese
    assert "Giám sát tài khoản" in vietnamese
    for english in ("Usage:", "Options:", "Commands:", "Show this message"):
        assert english not in vietnamese
    english = run("--lang", "en", "--help", cwd=workdir).stdout
    assert "Usage:" in english
    assert "Watches for accounts" in english
    assert "Show this message and exit." in english
    assert "Giám sát" not in english
    sub = run("--lang", "en", "findings", "mark", "--help", cwd=workdir).stdout
    assert "Record an officer's decision" in sub
    assert "--by NAME" in sub
    sub_vi = run("findings", "mark", "--help", cwd=workdir).stdout
    assert "Ghi nhận quyết định của cán bộ" in sub_vi
    assert "reported (đã báo cáo)" in sub_vi


def test_usage_errors_are_vietnamese(workdir: Path) -> None:
    wrong = run("findings", "list", "--status", "bogus", cwd=workdir)
    assert wrong.returncode == 2
    assert "Lỗi: Giá trị không hợp lệ cho '--status'" in wrong.stderr
    assert "Dùng 'python -m monitor findings list --help' để xem hướng dẫn." in wrong.stderr
    for english in ("Usage:", "Error:", "Try '", "Invalid value"):
        assert english not in wrong.stderr
    english = run("--lang", "en", "findings", "show", cwd=workdir)
    assert english.returncode == 2
    assert "Error: Missing argument 'FINDING_ID'." in english.stderr


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


# Storage failures: one line naming the place and the cause, exit 3, the scan row closed "failed".
# Tests run as root, which permissions do not stop: each uses a situation root cannot bypass.


def _stderr_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.stderr.strip().splitlines()


def test_scan_with_an_unwritable_evidence_folder_exits_3_and_fails_the_scan(
    workdir: Path, db_url: str
) -> None:
    evidence = workdir / "evidence"
    evidence.write_text("a file where the evidence folder should be", encoding="utf-8")
    with SampleWeb() as web:
        env = {
            **web.overrides(),
            "MONITOR_DATABASE__URL": db_url,
            "MONITOR_EVIDENCE__DIR": str(evidence),
            "MONITOR_LOG_LEVEL": "ERROR",
        }
        result = run("scan", "--no-notify", cwd=workdir, env=env)
    assert result.returncode == 3, result.stderr[-3000:]
    [line] = _stderr_lines(result)
    assert line == (
        f"Lỗi lưu trữ: không ghi được bằng chứng vào {evidence}: đường dẫn không phải là thư mục "
        "(một tệp trùng tên đang chiếm chỗ; kiểm tra evidence.dir)"
    )
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        [scan] = session.scalars(select(Scan)).all()
        status, error = scan.status, scan.error or ""
    engine.dispose()
    assert status == "failed"
    assert "not_a_folder" in error
    assert str(evidence) in error


def test_scan_on_a_read_only_database_exits_3_with_one_line(workdir: Path) -> None:
    assert run("db", "upgrade", cwd=workdir).returncode == 0
    database = workdir / "data" / "monitor.db"
    # SQLite's read-only mode: writes fail even for root, as on a read-only mount.
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///file:{database}?mode=ro&uri=true",
        "MONITOR_LOG_LEVEL": "ERROR",
    }
    result = run("scan", "--no-notify", cwd=workdir, env=env)
    assert result.returncode == 3
    [line] = _stderr_lines(result)
    assert line.startswith(
        f"Lỗi lưu trữ: không ghi được vào cơ sở dữ liệu {database}: cơ sở dữ liệu chỉ cho đọc"
    )
    english = run("--lang", "en", "scan", "--no-notify", cwd=workdir, env=env)
    assert english.returncode == 3
    [line] = _stderr_lines(english)
    assert line.startswith(f"Storage error: cannot write to database {database}: it is read-only")


def test_unreachable_postgresql_exits_3_with_the_password_masked(workdir: Path) -> None:
    port = free_port()
    env = {"MONITOR_DATABASE__URL": f"postgresql+psycopg://giamsat:s3cret-pw@127.0.0.1:{port}/monitor"}
    result = run("findings", "list", cwd=workdir, env=env)
    assert result.returncode == 3
    [line] = _stderr_lines(result)
    assert line.startswith(
        f"Lỗi lưu trữ: không kết nối được cơ sở dữ liệu postgresql+psycopg://giamsat:***@127.0.0.1:{port}/monitor"
    )
    assert "s3cret-pw" not in result.stderr + result.stdout
