"""`monitor users add|list|disable|token`: accounts of the web console."""

from __future__ import annotations

import sys
from typing import Any

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import json_text, local_time, machine_time, safe_text, table_lines
from monitor.errors import MonitorError
from monitor.i18n import tr
from monitor.store.accounts import ROLES, AccountRepository
from monitor.store.db import open_database, session_factory, session_scope
from monitor.web.passwords import hash_password, new_token, password_problem
from monitor.web.words import word

USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def _check_name(name: str, lang: str) -> str:
    name = name.strip().lower()
    if not 1 <= len(name) <= 64 or not set(name) <= USERNAME_CHARS:
        raise click.BadParameter(
            tr(
                "1–64 ký tự: chữ không dấu, số, dấu chấm, gạch ngang, gạch dưới hoặc @",
                "1–64 characters: letters a-z, digits, dot, hyphen, underscore or @",
                lang,  # type: ignore[arg-type]
            ),
            param_hint="'NAME'",
        )
    return name


@click.group("users", help=tr("Tài khoản đăng nhập bảng điều khiển web.", "Web console accounts."))
def users_group() -> None:
    """Accounts commands."""


@users_group.command("add", help=tr("Thêm một tài khoản.", "Add an account."))
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="officer",
    show_default=True,
    help=tr(
        "viewer: chỉ xem; officer: xử lý phát hiện, gửi tin báo; admin: thêm quản lý tài khoản.",
        "viewer: reads; officer: triages and adds tips; admin: also manages accounts.",
    ),
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help=tr("Đọc mật khẩu từ đầu vào chuẩn (một dòng).", "Read the password from standard input (one line)."),
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(("vi", "en")),
    default="vi",
    show_default=True,
    help=tr("Ngôn ngữ của các trang cho tài khoản này.", "The language of the pages for this account."),
)
@pass_cli
def add_command(cli: CliContext, name: str, role: str, password_stdin: bool, language: str) -> None:
    name = _check_name(name, cli.lang)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            tr("Mật khẩu", "Password", cli.lang), hide_input=True, confirmation_prompt=True, err=True
        )
    problem = password_problem(password)
    if problem is not None:
        raise MonitorError(problem[1] if cli.lang == "en" else problem[0])
    settings = cli.settings()
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            repo = AccountRepository(session)
            if repo.by_name(name) is not None:
                raise MonitorError(
                    tr(f"đã có tài khoản «{name}»", f"account “{name}” already exists", cli.lang)
                )
            repo.add(name, hash_password(password), role, language=language, created_by="cli")
    finally:
        engine.dispose()
    role_words = word(f"role.{role}", cli.lang)
    click.echo(
        tr(f"Đã thêm tài khoản {name} ({role_words}).", f"Added account {name} ({role_words}).", cli.lang)
    )


@users_group.command("list", help=tr("Liệt kê các tài khoản.", "List the accounts."))
@click.option("--json", "as_json", is_flag=True, help=tr("In dạng JSON.", "Print JSON."))
@pass_cli
def list_command(cli: CliContext, as_json: bool) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url, create=False)
    try:
        with session_scope(session_factory(engine)) as session:
            repo = AccountRepository(session)
            tokens = repo.token_counts()
            rows: list[dict[str, Any]] = [
                {
                    "username": user.username,
                    "role": user.role,
                    "active": user.active,
                    "language": user.language,
                    "tokens": tokens.get(user.id, 0),
                    "created_at": user.created_at,
                    "disabled_at": user.disabled_at,
                }
                for user in repo.all()
            ]
    finally:
        engine.dispose()
    if as_json:
        for row in rows:
            row["created_at"] = machine_time(row["created_at"])
            row["disabled_at"] = machine_time(row["disabled_at"])
        click.echo(json_text(rows, indent=2))
        return
    if not rows:
        click.echo(tr("Chưa có tài khoản nào.", "No accounts yet.", cli.lang))
        return
    zone = settings.evidence.display_timezone
    header = [
        tr("Tên", "Name", cli.lang),
        tr("Vai trò", "Role", cli.lang),
        tr("Trạng thái", "Status", cli.lang),
        tr("Mã API", "API tokens", cli.lang),
        tr("Tạo lúc", "Created", cli.lang),
    ]
    body = [
        [
            safe_text(row["username"], 64),
            word(f"role.{row['role']}", cli.lang) if row["role"] in ROLES else safe_text(row["role"], 16),
            tr("hoạt động", "active", cli.lang) if row["active"] else tr("đã khoá", "disabled", cli.lang),
            str(row["tokens"]),
            local_time(row["created_at"], zone),
        ]
        for row in rows
    ]
    for line in table_lines(header, body):
        click.echo(line)


@users_group.command(
    "disable", help=tr("Khoá một tài khoản (đăng xuất mọi phiên, vô hiệu mã API).", "Disable an account.")
)
@click.argument("name")
@pass_cli
def disable_command(cli: CliContext, name: str) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url, create=False)
    try:
        with session_scope(session_factory(engine)) as session:
            repo = AccountRepository(session)
            user = repo.by_name(name.strip().lower())
            if user is None:
                raise MonitorError(tr(f"không có tài khoản «{name}»", f"no account “{name}”", cli.lang))
            repo.disable(user)
    finally:
        engine.dispose()
    click.echo(tr(f"Đã khoá tài khoản {name}.", f"Disabled account {name}.", cli.lang))


@users_group.command(
    "token",
    help=tr(
        "Cấp một mã API (Authorization: Bearer) cho tài khoản; mã chỉ hiện một lần.",
        "Issue an API token (Authorization: Bearer) for the account; it is shown once.",
    ),
)
@click.argument("name")
@pass_cli
def token_command(cli: CliContext, name: str) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url, create=False)
    token = new_token()
    try:
        with session_scope(session_factory(engine)) as session:
            repo = AccountRepository(session)
            user = repo.by_name(name.strip().lower())
            if user is None or not user.active:
                raise MonitorError(
                    tr(f"không có tài khoản hoạt động «{name}»", f"no active account “{name}”", cli.lang)
                )
            repo.add_token(user, token)
    finally:
        engine.dispose()
    click.echo(token)
