"""`monitor config check`: validate and print the files read, the data folder and the effective values."""

from __future__ import annotations

from typing import Any

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import json_text
from monitor.i18n import Language, tr
from monitor.settings import Settings
from monitor.storage_errors import database_where


@click.group("config", help=tr("Cấu hình.", "Configuration."))
def config_group() -> None:
    """Configuration commands."""


@config_group.command(
    "check",
    help=tr(
        "Kiểm tra cấu hình và in cấu hình hiệu lực (che mật khẩu, khoá API và token trong URL).",
        "Validate and print the effective configuration (passwords, API keys and URL tokens masked).",
    ),
)
@click.option("--json", "as_json", is_flag=True, help=tr("In dạng JSON.", "Print JSON."))
@pass_cli
def check(cli: CliContext, as_json: bool) -> None:
    settings = cli.settings()
    effective = settings.masked()
    for warning in _alert_warnings(settings, cli.lang):
        click.echo(tr("Cảnh báo: ", "Warning: ", cli.lang) + warning, err=True)
    if as_json:
        click.echo(json_text(effective, indent=2))
        return
    for line in summary(settings, cli.lang):
        click.echo(line)
    for line in _flatten(effective):
        click.echo(line)


def summary(settings: Settings, lang: Language) -> list[str]:
    """Which files were read, where the data lives, and the brands watched."""

    def t(vi: str, en: str) -> str:
        return tr(vi, en, lang)

    if settings.packaged:
        read = t("mặc định của gói ({path})", "package defaults ({path})").format(
            path=settings.config_path.parent
        )
    else:
        read = f"{settings.config_path.absolute()}, {settings.brands_path.absolute()}"
    return [
        t("Cấu hình hợp lệ. Tệp đã đọc: ", "Configuration is valid. Files read: ") + read,
        t("Thư mục dữ liệu: ", "Data folder: ") + str(settings.home),
        t("Cơ sở dữ liệu: ", "Database: ") + database_where(settings.database.url),
        t("Bằng chứng: ", "Evidence: ") + str(settings.evidence.dir),
        t("Thương hiệu: ", "Brands: ") + ", ".join(b.slug for b in settings.brands),
    ]


def _alert_warnings(settings: Settings, lang: Language) -> list[str]:
    """Brands whose alerts would reach nobody (see monitor.notify.channels)."""
    from monitor.notify.channels import nobody_told

    return nobody_told(settings, settings.brands, lang)


def _flatten(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        lines: list[str] = []
        for key, item in value.items():
            lines.extend(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return lines
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        lines = []
        for index, item in enumerate(value):
            lines.extend(_flatten(item, f"{prefix}[{index}]"))
        return lines
    return [f"{prefix} = {json_text(value)}"]
