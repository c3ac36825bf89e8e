"""`monitor config check`: validate and print the effective configuration, secrets and URL tokens masked."""

from __future__ import annotations

from typing import Any

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import json_text
from monitor.i18n import tr


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
    if as_json:
        click.echo(json_text(effective, indent=2))
        return
    click.echo(
        tr(
            "Cấu hình hợp lệ: {path} (thương hiệu: {brands})",
            "Configuration is valid: {path} (brands: {brands})",
            cli.lang,
        ).format(path=settings.config_path, brands=", ".join(b.slug for b in settings.brands))
    )
    for line in _flatten(effective):
        click.echo(line)


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
