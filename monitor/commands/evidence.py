"""`monitor evidence export`: a finding's archived pages with hashes, for a police or platform report.

Exit 1 with an explanation when the finding does not exist or nothing of it was archived (Facebook
pages are never fetched); exit 3 when the database file does not exist (see monitor.storage_errors).
"""

from __future__ import annotations

from pathlib import Path

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import safe_text
from monitor.errors import MonitorError
from monitor.evidence import EvidenceArchive
from monitor.i18n import Language, tr
from monitor.scoring import FETCHED_PLATFORMS
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding


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
    engine = open_database(settings.database.url, create=False)
    archive = EvidenceArchive(settings.evidence.dir)
    try:
        with session_scope(session_factory(engine)) as session:
            finding = session.get(Finding, finding_id)
            if finding is None:
                raise MonitorError(
                    tr(f"không có phát hiện #{finding_id}", f"no finding #{finding_id}", cli.lang)
                )
            if not archive.captures(session, finding_id):
                raise MonitorError(nothing_archived(finding, cli.lang))
            manifest = archive.export(session, finding_id, out, settings.evidence.display_timezone)
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


def nothing_archived(finding: Finding, lang: Language) -> str:
    """Why a finding has no archived page, and what the officer can keep instead."""
    url = safe_text(finding.url, 300)
    if finding.platform in FETCHED_PLATFORMS:
        why = tr(
            "trang của nó chưa tải được lần nào (trang lỗi, bị chặn, robots.txt không cho phép, "
            "hoặc chỉ thấy trong kết quả tìm kiếm)",
            "its page was never fetched successfully (errors, blocked, disallowed by robots.txt, "
            "or only seen in search results)",
            lang,
        )
    else:
        platform = safe_text(finding.platform.capitalize(), 40)
        why = tr(
            f"công cụ không tải trang {platform} (cần đăng nhập), chỉ ghi nhận tên và địa chỉ",
            f"the monitor never fetches {platform} pages (they need a login); it keeps the name and address",
            lang,
        )
    return tr(
        f"phát hiện #{finding.id} không có trang nào được lưu để xuất: {why}. Hãy tự mở {url} trên "
        f"trình duyệt, chụp màn hình có ngày giờ và lưu kèm hồ sơ; `monitor findings show {finding.id}` "
        "cho lý do và lịch sử. Không tạo thư mục xuất.",
        f"finding #{finding.id} has no archived page to export: {why}. Open {url} in a browser, take "
        f"screenshots showing the date and time and keep them with the case; `monitor findings show "
        f"{finding.id}` gives the reasons and history. No export folder was created.",
        lang,
    )
