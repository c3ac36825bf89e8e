"""`monitor evidence screenshot ID ...`: take and archive screenshots of findings' public pages now.

Exit 0 when a screenshot was stored (or a recent one exists for every finding asked); exit 1 with
the notes when nothing could be taken (Facebook, robots.txt, no Chromium, a failed capture).
"""

from __future__ import annotations

import asyncio

import click

from monitor.capture.screenshots import ScreenshotReport, capture_screenshots
from monitor.commands.context import CliContext, pass_cli
from monitor.display import json_text, safe_text
from monitor.i18n import Language, tr
from monitor.store.db import open_database, session_factory


@click.command(
    "screenshot",
    help=tr(
        "Chụp màn hình trang công khai của các phát hiện bằng Chromium không giao diện "
        "và lưu vào kho bằng chứng.",
        "Screenshot findings' public pages with headless Chromium and keep them in the evidence archive.",
    ),
)
@click.argument("finding_ids", type=int, nargs=-1, required=True)
@click.option(
    "--force",
    is_flag=True,
    help=tr("Chụp lại dù đã có ảnh gần đây.", "Capture again even when a recent screenshot exists."),
)
@click.option("--json", "as_json", is_flag=True, help=tr("In dạng JSON.", "Print JSON."))
@pass_cli
def screenshot_command(cli: CliContext, finding_ids: tuple[int, ...], force: bool, as_json: bool) -> None:
    settings = cli.settings()
    if force:
        shots = settings.screenshots.model_copy(update={"refresh_hours": 0.0})
        settings = settings.model_copy(update={"screenshots": shots})
    engine = open_database(settings.database.url, create=False)
    try:
        report = asyncio.run(capture_screenshots(settings, session_factory(engine), list(finding_ids)))
    finally:
        engine.dispose()
    if as_json:
        click.echo(json_text(report.as_json(cli.lang), indent=2))
    else:
        for line in report_lines(report, cli.lang):
            click.echo(line)
    if report.stored == 0 and any(note.code != "recent" for note in report.notes):
        raise SystemExit(1)


def report_lines(report: ScreenshotReport, lang: Language) -> list[str]:
    """One line per finding, then the counts."""
    lines = []
    for note in report.notes:
        line = f"#{note.finding_id}: {note.text(lang)}"
        if note.sha256:
            line += f" — SHA-256 {note.sha256}"
        if note.url:
            line += f"\n    {safe_text(note.url, 300)}"
        if note.refused:
            blocked = ", ".join(safe_text(r, 120) for r in note.refused[:5])
            more = f" (+{len(note.refused) - 5})" if len(note.refused) > 5 else ""
            line += "\n    " + tr("Đã chặn: ", "Refused: ", lang) + blocked + more
        lines.append(line)
    lines.append(
        tr(
            f"Đã lưu {report.stored}, bỏ qua {report.skipped}, lỗi {report.failed}.",
            f"Stored {report.stored}, skipped {report.skipped}, failed {report.failed}.",
            lang,
        )
    )
    return lines
