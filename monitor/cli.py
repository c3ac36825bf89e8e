"""The `monitor` command line: global options, error handling and sub-command registry."""

from __future__ import annotations

import sys
from contextvars import ContextVar
from pathlib import Path
from typing import NoReturn

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from monitor import __version__
from monitor.commands.config import config_group
from monitor.commands.context import CliContext
from monitor.commands.db import db_group
from monitor.commands.demo import demo_command
from monitor.commands.digest import digest_command
from monitor.commands.evidence import evidence_group
from monitor.commands.findings import findings_group
from monitor.commands.match import match_command
from monitor.commands.run import run_command
from monitor.commands.scan import scan_command
from monitor.commands.status import status_command
from monitor.errors import ConfigError, DatabaseAccessError, EvidenceWriteError, MonitorError
from monitor.i18n import Language, tr, ui_language
from monitor.log import configure, mask_text
from monitor.settings import cli_env
from monitor.storage_errors import STORAGE_EXIT, database_failure, database_reason, describe

# The command line's context, so that errors printed after the command ended honour --lang.
_CURRENT: ContextVar[CliContext | None] = ContextVar("monitor_cli_context", default=None)

COMMANDS: tuple[click.Command, ...] = (
    config_group,
    db_group,
    demo_command,
    digest_command,
    evidence_group,
    findings_group,
    match_command,
    run_command,
    scan_command,
    status_command,
)


@click.group(
    help=tr(
        "Giám sát tài khoản và trang web mạo danh cơ quan nhà nước.",
        "Watches for accounts and sites impersonating a public office.",
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", prog_name="monitor")
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=tr(
        "Tệp cấu hình (mặc định: MONITOR_CONFIG hoặc config/monitor.toml).",
        "Config file (default: MONITOR_CONFIG or config/monitor.toml).",
    ),
)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "console", "json"]),
    default=lambda: cli_env("LOG_FORMAT") or "auto",
    help=tr("Định dạng nhật ký trên stderr.", "Log format on stderr."),
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=lambda: cli_env("LOG_LEVEL") or "INFO",
    help=tr("Mức nhật ký.", "Log level."),
)
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"]),
    default=None,
    help=tr("Ngôn ngữ hiển thị (mặc định: vi).", "Display language (default: vi)."),
)
@click.pass_context
def cli(
    ctx: click.Context, config: Path | None, log_format: str, log_level: str, lang: Language | None
) -> None:
    configure(log_format, log_level)  # type: ignore[arg-type]
    ctx.obj = CliContext(config=config, lang=lang or ui_language())
    _CURRENT.set(ctx.obj)


for _command in COMMANDS:
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point: one clear line and a status code for every failure."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo(tr("Đã huỷ.", "Aborted.", _language()), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ConfigError as exc:
        click.echo(tr("Lỗi cấu hình: ", "Configuration error: ", _language()) + mask_text(str(exc)), err=True)
        sys.exit(2)
    except (DatabaseAccessError, EvidenceWriteError) as exc:
        _storage_failed(exc)
    except DBAPIError as exc:
        # A driver error that got past the store's session scope (a raw connection): same one line.
        if not isinstance(exc, OperationalError) and database_reason(exc) is None:
            raise
        _storage_failed(database_failure(exc, _database_url()))
    except MonitorError as exc:
        click.echo(tr("Lỗi: ", "Error: ", _language()) + mask_text(str(exc)), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def _language() -> Language:
    current = _CURRENT.get()
    return current.lang if current is not None else ui_language()


def _database_url() -> str | None:
    current = _CURRENT.get()
    loaded = current._settings if current is not None else None
    return loaded.database.url if loaded is not None else None


def _storage_failed(exc: DatabaseAccessError | EvidenceWriteError) -> NoReturn:
    """The database or evidence folder failed: one line with the place and likely cause, exit 3."""
    lang = _language()
    click.echo(tr("Lỗi lưu trữ: ", "Storage error: ", lang) + describe(exc, lang), err=True)
    sys.exit(STORAGE_EXIT)
