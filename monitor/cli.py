"""The `monitor` command line: global options, error handling and sub-command registry."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from monitor.cli_i18n import click_state, localize_commands, restore_click, use_click_language
from monitor.commands import LazyGroup
from monitor.env import cli_env
from monitor.errors import ConfigError, DatabaseAccessError, EvidenceWriteError, MonitorError
from monitor.i18n import LANGUAGES, Language, choose_language, requested_language, tr, ui_language

if TYPE_CHECKING:
    from monitor.commands.context import CliContext

# Only what `monitor --help` needs is imported here: the commands (and with them the database,
# HTTP and matching libraries) are imported when one runs, the logging and storage helpers when used.

# The command line's context, so that errors printed after the command ended honour --lang.
_CURRENT: ContextVar[CliContext | None] = ContextVar("monitor_cli_context", default=None)


class MonitorGroup(LazyGroup):
    """The root group: picks the run's language before Click parses, so help and errors use it."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        valued = [
            opt
            for param in self.params
            if isinstance(param, click.Option) and not param.is_flag
            for opt in param.opts
        ]
        lang = requested_language(sys.argv[1:] if args is None else args, valued)
        previous, click_before = choose_language(lang), click_state()
        use_click_language(lang)
        localize_commands(self, lang)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        finally:
            # Standalone, Click has printed everything by now; otherwise main() below prints the
            # error in this language after the run returns, and the process ends.
            if standalone_mode:
                choose_language(previous)
                restore_click(click_before)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            # A command loaded (or built by another caller) after the run began shows the run's language.
            localize_commands(command, ui_language())
        return command


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from monitor import __version__

    click.echo(tr("monitor, phiên bản ", "monitor, version ") + __version__)
    ctx.exit()


@click.group(
    cls=MonitorGroup,
    help=tr(
        "Giám sát tài khoản và trang web mạo danh cơ quan nhà nước.",
        "Watches for accounts and sites impersonating a public office.",
    ),
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help=tr("Hiện phiên bản rồi thoát.", "Show the version and exit."),
)
@click.option(
    "--config",
    "config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help=tr(
        "Tệp cấu hình (mặc định: MONITOR_CONFIG, ./monitor.toml, ./config/monitor.toml, mặc định của gói).",
        "Config file (default: MONITOR_CONFIG, ./monitor.toml, ./config/monitor.toml, package defaults).",
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
    type=click.Choice(LANGUAGES),
    default=None,
    help=tr("Ngôn ngữ hiển thị (mặc định: vi).", "Display language (default: vi)."),
)
@click.pass_context
def cli(
    ctx: click.Context, config: Path | None, log_format: str, log_level: str, lang: Language | None
) -> None:
    from monitor.commands.context import CliContext
    from monitor.log import configure

    # `status` (the healthcheck among it) usually logs nothing: the log renderers wait for a line.
    configure(log_format, log_level, lazy=ctx.invoked_subcommand == "status")  # type: ignore[arg-type]
    ctx.obj = CliContext(config=config, lang=lang or ui_language())
    _CURRENT.set(ctx.obj)


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
        from monitor.log import mask_text

        click.echo(tr("Lỗi cấu hình: ", "Configuration error: ", _language()) + mask_text(str(exc)), err=True)
        sys.exit(2)
    except (DatabaseAccessError, EvidenceWriteError) as exc:
        _storage_failed(exc)
    except MonitorError as exc:
        from monitor.log import mask_text

        click.echo(tr("Lỗi: ", "Error: ", _language()) + mask_text(str(exc)), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        failure = _driver_failure(exc)
        if failure is None:
            raise
        _storage_failed(failure)


def _driver_failure(exc: Exception) -> DatabaseAccessError | None:
    """A driver error that got past the store's session scope (a raw connection), as a storage failure."""
    if "sqlalchemy" not in sys.modules:  # nothing has touched a database
        return None
    from sqlalchemy.exc import DBAPIError, OperationalError

    from monitor.storage_errors import database_failure, database_reason

    if not isinstance(exc, DBAPIError):
        return None
    if not isinstance(exc, OperationalError) and database_reason(exc) is None:
        return None
    return database_failure(exc, _database_url())


def _language() -> Language:
    current = _CURRENT.get()
    return current.lang if current is not None else ui_language()


def _database_url() -> str | None:
    current = _CURRENT.get()
    loaded = current._settings if current is not None else None
    return loaded.database.url if loaded is not None else None


def _storage_failed(exc: DatabaseAccessError | EvidenceWriteError) -> NoReturn:
    """The database or evidence folder failed: one line with the place and likely cause, exit 3."""
    from monitor.storage_errors import STORAGE_EXIT, describe

    lang = _language()
    click.echo(tr("Lỗi lưu trữ: ", "Storage error: ", lang) + describe(exc, lang), err=True)
    sys.exit(STORAGE_EXIT)
