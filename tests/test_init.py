"""A new office's first steps from any folder: packaged defaults, `monitor init`, missing databases."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.locations import DEFAULT_FILES, packaged_defaults

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`monitor ARGS` as a user runs it in `cwd`: no MONITOR_* variable of this shell, no config file."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    full_env["XDG_DATA_HOME"] = str(cwd / "xdg")  # the user data folder, never the real one
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


@pytest.mark.parametrize("name", DEFAULT_FILES)
def test_repository_config_is_the_packaged_default(name: str) -> None:
    # config/ is the documented example; the package ships the same bytes (edit both together).
    assert (REPO / "config" / name).read_bytes() == (packaged_defaults() / name).read_bytes()


def test_fresh_folder_runs_on_packaged_defaults(tmp_path: Path) -> None:
    checked = run("config", "check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "mặc định của gói" in checked.stdout
    data = tmp_path / "xdg" / "monitor"
    assert f"Thư mục dữ liệu: {data}" in checked.stdout
    assert f"Cơ sở dữ liệu: {data / 'data' / 'monitor.db'}" in checked.stdout
    assert "None" not in checked.stdout
    english = run("--lang", "en", "config", "check", cwd=tmp_path)
    assert "package defaults" in english.stdout


def test_init_then_demo_in_a_fresh_folder(tmp_path: Path) -> None:
    made = run("init", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for name in DEFAULT_FILES:
        assert (tmp_path / name).read_bytes() == (packaged_defaults() / name).read_bytes()
        assert str(tmp_path / name) in made.stdout
    assert "brands.toml" in made.stdout
    assert "monitor config check" in made.stdout
    assert str(tmp_path / "data" / "monitor.db") in made.stdout

    checked = run("config", "check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert f"Tệp đã đọc: {tmp_path / 'monitor.toml'}, {tmp_path / 'brands.toml'}" in checked.stdout
    assert f"Thư mục dữ liệu: {tmp_path}" in checked.stdout
    assert "mặc định của gói" not in checked.stdout

    demo = run("demo", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    assert "Traceback" not in demo.stderr
    assert not (tmp_path / "xdg").exists()


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    office = tmp_path / "office"
    assert run("init", str(office), cwd=tmp_path).returncode == 0
    edited = "# edited by the office\n"
    (office / "brands.toml").write_text(edited, encoding="utf-8")
    again = run("init", str(office), cwd=tmp_path)
    assert again.returncode == 1
    assert str(office / "brands.toml") in again.stderr
    assert "--force" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert (office / "brands.toml").read_text(encoding="utf-8") == edited
    forced = run("init", str(office), "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert (office / "brands.toml").read_bytes() == (packaged_defaults() / "brands.toml").read_bytes()
    # Written elsewhere than the working folder: the output says how to point at it.
    assert f"MONITOR_CONFIG={office / 'monitor.toml'}" in forced.stdout


def test_relative_paths_of_a_config_file_point_beside_it(tmp_path: Path) -> None:
    office, elsewhere = tmp_path / "office", tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run("init", str(office), cwd=tmp_path).returncode == 0
    env = {"MONITOR_CONFIG": str(office / "monitor.toml")}
    assert run("db", "upgrade", cwd=elsewhere, env=env).returncode == 0
    assert (office / "data" / "monitor.db").is_file()
    assert not (elsewhere / "data").exists()
    home = tmp_path / "home"
    moved = run("db", "upgrade", cwd=elsewhere, env={**env, "MONITOR_HOME": str(home)})
    assert moved.returncode == 0, moved.stderr
    assert (home / "data" / "monitor.db").is_file()


@pytest.mark.parametrize(
    "args",
    [
        ("findings", "list"),
        ("findings", "show", "1"),
        ("findings", "mark", "1", "confirmed"),
        ("status",),
        ("evidence", "export", "1", "--out", "out"),
        ("digest", "--dry-run"),
    ],
)
def test_read_commands_refuse_a_missing_database_without_creating_it(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = run(*args, cwd=tmp_path, env={"MONITOR_DATABASE__URL": "sqlite:///missing.db"})
    assert result.returncode == 3, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "missing.db" in lines[0]
    assert "MONITOR_DATABASE__URL" in lines[0]
    assert lines[0].startswith("Lỗi lưu trữ: không có tệp cơ sở dữ liệu")
    assert not (tmp_path / "missing.db").exists()
    assert not (tmp_path / "out").exists()
    assert result.stdout == ""


def test_db_check_names_a_missing_or_unmigrated_database_in_words(tmp_path: Path) -> None:
    env = {"MONITOR_DATABASE__URL": "sqlite:///sub/monitor.db"}
    missing = run("db", "check", cwd=tmp_path, env=env)
    assert missing.returncode == 1
    assert "sub/monitor.db" in missing.stderr
    assert "MONITOR_DATABASE__URL" in missing.stderr
    assert not (tmp_path / "sub").exists()

    (tmp_path / "sub").mkdir()
    sqlite3.connect(tmp_path / "sub" / "monitor.db").close()
    empty = run("db", "check", cwd=tmp_path, env=env)
    assert empty.returncode == 1
    assert "chưa có lược đồ" in empty.stderr
    assert "monitor db upgrade" in empty.stderr
    assert "None" not in empty.stdout + empty.stderr

    assert run("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    ready = run("db", "check", cwd=tmp_path, env=env)
    assert ready.returncode == 0, ready.stderr
    assert "Cơ sở dữ liệu sẵn sàng" in ready.stdout


def test_writing_commands_still_create_the_database(tmp_path: Path) -> None:
    result = run("db", "upgrade", cwd=tmp_path, env={"MONITOR_DATABASE__URL": "sqlite:///new/monitor.db"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new" / "monitor.db").is_file()
    listed = run("findings", "list", cwd=tmp_path, env={"MONITOR_DATABASE__URL": "sqlite:///new/monitor.db"})
    assert listed.returncode == 0, listed.stderr
    assert "Không có phát hiện nào." in listed.stdout
