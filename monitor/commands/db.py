"""`monitor db upgrade|check`: apply the schema migrations, or check the database is ready (exit 0/1)."""

from __future__ import annotations

import click
from sqlalchemy.exc import SQLAlchemyError

from monitor.commands.context import CliContext, pass_cli
from monitor.errors import DatabaseAccessError, DatabaseError
from monitor.i18n import tr
from monitor.log import get_logger
from monitor.storage_errors import database_where, describe
from monitor.store.db import current_revision, head_revision, make_engine, require_existing, upgrade

log = get_logger(__name__)


@click.group("db", help=tr("Cơ sở dữ liệu.", "Database."))
def db_group() -> None:
    """Database commands."""


@db_group.command(
    "upgrade",
    help=tr("Tạo hoặc nâng cấp lược đồ cơ sở dữ liệu.", "Create or upgrade the database schema."),
)
@pass_cli
def upgrade_command(cli: CliContext) -> None:
    settings = cli.settings()
    engine = make_engine(settings.database.url, echo=settings.database.echo)
    try:
        revision = upgrade(engine)
    finally:
        engine.dispose()
    log.info("db_upgraded", revision=revision, backend=engine.dialect.name)
    click.echo(
        tr(
            "Cơ sở dữ liệu ở phiên bản {rev} ({backend}).",
            "Database at revision {rev} ({backend}).",
            cli.lang,
        ).format(rev=revision, backend=engine.dialect.name)
    )


@db_group.command(
    "check",
    help=tr(
        "Kiểm tra cơ sở dữ liệu truy cập được và ở phiên bản mới nhất (mã thoát 0/1).",
        "Check that the database is reachable and fully migrated (exit status 0/1).",
    ),
)
@pass_cli
def check_command(cli: CliContext) -> None:
    settings = cli.settings()
    url = settings.database.url
    try:
        require_existing(url)  # a health check never creates the database it checks
    except DatabaseAccessError as exc:
        raise DatabaseError(describe(exc, cli.lang)) from exc
    engine = make_engine(url)
    try:
        current, head = current_revision(engine), head_revision(engine)
    except SQLAlchemyError as exc:
        raise DatabaseError(
            tr(
                "không kết nối được cơ sở dữ liệu {where}: {kind}",
                "cannot reach database {where}: {kind}",
                cli.lang,
            ).format(where=database_where(url), kind=exc.__class__.__name__)
        ) from exc
    finally:
        engine.dispose()
    if current is None:
        raise DatabaseError(
            tr(
                "cơ sở dữ liệu {where} chưa có lược đồ: chạy `monitor db upgrade`",
                "database {where} has no schema yet: run `monitor db upgrade`",
                cli.lang,
            ).format(where=database_where(url))
        )
    if current != head:
        raise DatabaseError(
            tr(
                "cơ sở dữ liệu {where} ở phiên bản {cur}, cần {head}: chạy `monitor db upgrade`",
                "database {where} at revision {cur}, expected {head}: run `monitor db upgrade`",
                cli.lang,
            ).format(where=database_where(url), cur=current, head=head)
        )
    click.echo(tr("Cơ sở dữ liệu sẵn sàng ({rev}).", "Database ready ({rev}).", cli.lang).format(rev=current))
