"""`monitor evidence export|add|screenshot`: archived pages with hashes, officers' files, screenshots.

Exit 1 with an explanation when the finding does not exist or nothing of it was archived (Facebook
pages are never fetched); exit 3 when the database file does not exist (see monitor.storage_errors).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import click

from monitor.capture.cli import screenshot_command
from monitor.commands.context import CliContext, pass_cli
from monitor.commands.findings import default_officer
from monitor.display import local_time, safe_text
from monitor.errors import MonitorError
from monitor.evidence import EvidenceArchive
from monitor.i18n import Language, tr
from monitor.scoring import FETCHED_PLATFORMS
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.evidence_files import EvidenceFileRepository
from monitor.store.views import FindingView, FindingViews


@click.group("evidence", help=tr("Bằng chứng đã lưu.", "Archived evidence."))
def evidence_group() -> None:
    """Evidence commands."""


evidence_group.add_command(screenshot_command)


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
            finding = FindingViews(session).get(finding_id)
            if finding is None:
                raise MonitorError(
                    tr(f"không có phát hiện #{finding_id}", f"no finding #{finding_id}", cli.lang)
                )
            if not archive.captures(session, finding_id) and not EvidenceFileRepository(session).for_finding(
                finding_id
            ):
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


# An officer's file is a screenshot, a PDF or a recording, not a whole disk.
MAX_OFFICER_FILE_BYTES = 50_000_000
MAX_OFFICER_CHARS = 128  # evidence_files.added_by


@evidence_group.command(
    "add",
    help=tr(
        "Lưu tệp của cán bộ (ảnh chụp màn hình, PDF…) làm bằng chứng của một phát hiện, kèm mã SHA-256.",
        "Keep an officer's file (screenshot, PDF…) as evidence of a finding, with its SHA-256.",
    ),
)
@click.argument("finding_id", type=int)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True, readable=True))
@click.option(
    "--by",
    "officer",
    default=None,
    metavar="NAME",
    help=tr("Tên cán bộ (mặc định: người dùng của máy).", "The officer's name (default: the system user)."),
)
@click.option("--note", default=None, help=tr("Ghi chú.", "Note."))
@pass_cli
def add_command(cli: CliContext, finding_id: int, file: Path, officer: str | None, note: str | None) -> None:
    lang = cli.lang
    by = ((officer or "").strip() or default_officer() or "")[:MAX_OFFICER_CHARS] or None
    try:
        size = file.stat().st_size
        if size > MAX_OFFICER_FILE_BYTES:
            raise MonitorError(
                tr(
                    f"tệp {file} quá lớn ({size} byte, tối đa {MAX_OFFICER_FILE_BYTES})",
                    f"file {file} is too large ({size} bytes, at most {MAX_OFFICER_FILE_BYTES})",
                    lang,
                )
            )
        body = file.read_bytes()
    except OSError as exc:
        raise MonitorError(tr(f"không đọc được {file}: {exc}", f"cannot read {file}: {exc}", lang)) from exc
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    settings = cli.settings()
    engine = open_database(settings.database.url, create=False)
    archive = EvidenceArchive(settings.evidence.dir)
    try:
        with session_scope(session_factory(engine)) as session:
            if FindingViews(session).get(finding_id) is None:
                raise MonitorError(tr(f"không có phát hiện #{finding_id}", f"no finding #{finding_id}", lang))
            sha256 = archive.store_bytes(session, body, media_type)
            row = EvidenceFileRepository(session).add(
                finding_id,
                sha256,
                "officer",
                filename=file.name[:255],
                media_type=media_type,
                added_by=by,
                note=note,
            )
            added = local_time(row.created_at, settings.evidence.display_timezone)
    finally:
        engine.dispose()
    click.echo(
        tr(
            f"Đã lưu {safe_text(file.name, 120)} cho phát hiện #{finding_id} lúc {added} (SHA-256 {sha256}).",
            f"Kept {safe_text(file.name, 120)} for finding #{finding_id} at {added} (SHA-256 {sha256}).",
            lang,
        )
    )


def nothing_archived(finding: FindingView, lang: Language) -> str:
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
