"""`monitor evidence export`: a finding's archived pages with hashes, for a police or platform report."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.evidence import EvidenceArchive
from monitor.i18n import tr
from monitor.store.db import open_database, session_factory, session_scope


@click.group("evidence", help=tr("Bằng chứng đã lưu.", "Archived evidence."))
def evidence_group() -> None:
    """Evidence commands."""


@evidence_group.command(
    "export",
    help=tr(
        "Xuất các trang đã lưu của một phát hiện kèm manifest.json và SHA256SUMS để gửi cơ quan chức năng.",
        "Export a finding's archived pages with manifest.json and SHA256SUMS for the authorities.",
    ),
)
@click.argument("finding_id", type=int)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help=tr("Thư mục xuất.", "Output folder."),
)
@pass_cli
def export_command(cli: CliContext, finding_id: int, out: Path) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            manifest = EvidenceArchive(settings.evidence.dir).export(
                session, finding_id, out, settings.evidence.display_timezone
            )
    finally:
        engine.dispose()
    click.echo(
        tr(
            f"Đã xuất bằng chứng của phát hiện #{finding_id} vào {out} "
            f"(kiểm tra: cd {out} && sha256sum -c SHA256SUMS)",
            f"Exported the evidence of finding #{finding_id} to {out} "
            f"(verify: cd {out} && sha256sum -c SHA256SUMS)",
            cli.lang,
        )
    )
    click.echo(str(manifest))
