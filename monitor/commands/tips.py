"""`monitor tips add URL`: a link reported by a citizen or a colleague, checked by every later scan."""

from __future__ import annotations

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.commands.findings import MAX_OFFICER_CHARS, default_officer
from monitor.display import safe_text
from monitor.i18n import tr
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.tips import TipRepository
from monitor.web.views_tips import tip_url_problem


@click.group(
    "tips",
    help=tr(
        "Tin báo: liên kết do người dân hoặc đồng nghiệp báo.",
        "Tips: links reported by citizens or colleagues.",
    ),
)
def tips_group() -> None:
    """Tips commands."""


@tips_group.command(
    "add",
    help=tr(
        "Ghi nhận một liên kết được báo; các lượt quét sau sẽ chấm điểm và theo dõi nó.",
        "Record a reported link; later scans score and track it.",
    ),
)
@click.argument("url")
@click.option(
    "--name",
    default=None,
    help=tr("Tên hiển thị của trang, nếu biết.", "The page's displayed name, if known."),
)
@click.option(
    "--brand",
    default=None,
    help=tr(
        "Cơ quan (slug); không cần khi chỉ theo dõi một cơ quan.",
        "Office (slug); not needed with one office.",
    ),
)
@click.option("--note", default=None, help=tr("Ghi chú.", "Note."))
@click.option(
    "--by",
    "officer",
    default=None,
    metavar="NAME",
    help=tr("Người ghi nhận (mặc định: người dùng của máy).", "Who records it (default: the system user)."),
)
@pass_cli
def add_command(
    cli: CliContext, url: str, name: str | None, brand: str | None, note: str | None, officer: str | None
) -> None:
    url = url.strip()
    if tip_url_problem(url):
        raise click.BadParameter(
            tr(
                "liên kết phải bắt đầu bằng http:// hoặc https:// và có tên miền",
                "the link must start with http:// or https:// and name a host",
                cli.lang,
            ),
            param_hint="'URL'",
        )
    by = (officer or "").strip() or default_officer() or "cli"
    if len(by) > MAX_OFFICER_CHARS:
        raise click.BadParameter(
            tr(f"tối đa {MAX_OFFICER_CHARS} ký tự", f"at most {MAX_OFFICER_CHARS} characters", cli.lang),
            param_hint="'--by'",
        )
    settings = cli.settings()
    slugs = [b.slug for b in settings.brands]
    if brand is None:
        if len(slugs) != 1:
            raise click.BadParameter(
                tr(
                    f"chọn một cơ quan: {', '.join(slugs)}", f"choose an office: {', '.join(slugs)}", cli.lang
                ),
                param_hint="'--brand'",
            )
        brand = slugs[0]
    settings.brand(brand)  # an unknown slug is refused, naming the known ones
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            tip = TipRepository(session).add(
                brand,
                url,
                by,
                name=(name or "").strip() or None,
                note=(note or "").strip() or None,
                via="cli",
            )
    finally:
        engine.dispose()
    click.echo(
        tr(
            f"Đã ghi nhận tin báo #{tip.id} cho {brand}: {safe_text(url, 200)}"
            f" (người ghi nhận: {safe_text(by, 64)}).",
            f"Recorded tip #{tip.id} for {brand}: {safe_text(url, 200)} (by {safe_text(by, 64)}).",
            cli.lang,
        )
    )
