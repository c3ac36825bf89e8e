"""`monitor users add|list|disable|token` on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import cli
from monitor.store.accounts import AccountRepository
from monitor.store.db import open_database, session_factory, session_scope
from monitor.web.passwords import verify_password
from tests.web.conftest import write_config


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Path:
    write_config(tmp_path / "site", db_url)
    return tmp_path / "site" / "monitor.toml"


def call(config: Path, db_url: str, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["--config", str(config), *args], input=stdin, env={"MONITOR_DATABASE__URL": db_url}
    )


def test_add_list_token_disable(config: Path, db_url: str) -> None:
    added = call(
        config,
        db_url,
        "users",
        "add",
        "Oanh",
        "--role",
        "officer",
        "--password-stdin",
        stdin="một mật khẩu dài\n",
    )
    assert added.exit_code == 0, added.output
    assert "Đã thêm tài khoản oanh (cán bộ xử lý)." in added.output
    assert (
        call(config, db_url, "users", "add", "oanh", "--password-stdin", stdin="một mật khẩu dài\n").exit_code
        == 1
    )
    token = call(config, db_url, "users", "token", "oanh")
    assert token.exit_code == 0
    assert token.output.startswith("mon_")
    listed = json.loads(call(config, db_url, "users", "list", "--json").output)
    assert [(u["username"], u["role"], u["active"], u["tokens"]) for u in listed] == [
        ("oanh", "officer", True, 1)
    ]
    assert "cán bộ xử lý" in call(config, db_url, "users", "list").output
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        repo = AccountRepository(session)
        user = repo.by_name("oanh")
        assert user is not None
        assert verify_password(user.password_hash, "một mật khẩu dài")
        assert "một mật khẩu" not in user.password_hash
        assert repo.user_for_token(token.output.strip()) is not None
    disabled = call(config, db_url, "users", "disable", "oanh")
    assert disabled.exit_code == 0
    with session_scope(session_factory(engine)) as session:
        assert AccountRepository(session).user_for_token(token.output.strip()) is None
    engine.dispose()
    assert json.loads(call(config, db_url, "users", "list", "--json").output)[0]["active"] is False
    assert call(config, db_url, "users", "token", "oanh").exit_code == 1


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["users", "add", "bad name", "--password-stdin"], "một mật khẩu dài\n"),
        (["users", "add", "oanh", "--password-stdin"], "ngắn\n"),
        (["users", "add", "oanh", "--role", "root", "--password-stdin"], "một mật khẩu dài\n"),
        (["users", "disable", "nobody"], None),
    ],
)
def test_refusals(config: Path, db_url: str, args: list[str], stdin: str | None) -> None:
    result = call(config, db_url, *args, stdin=stdin)
    assert result.exit_code != 0
