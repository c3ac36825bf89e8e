"""`monitor demo`: two scans of a built-in sample web on 127.0.0.1, with their alerts and digest as files."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.commands.scan import print_summary
from monitor.demo.mailbox import Mailbox
from monitor.demo.outputs import EVIDENCE_NAME, MAIL_NAME, MailFile, command, write_config, write_mails
from monitor.demo.web import SampleWeb
from monitor.digest import send_digests
from monitor.display import safe_text
from monitor.i18n import Language, tr
from monitor.scan import Scanner
from monitor.settings import load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.views import FindingViews

DEMO_SENDER = "giamsat@demo.example.vn"
DEMO_RECIPIENT = "canbo@demo.example.vn"


@click.command(
    "demo",
    help=tr(
        "Chạy thử toàn bộ quy trình trên một trang web mẫu cục bộ (không cần mạng, không cần khoá API):"
        " hai lượt quét, thư cảnh báo và bản tin được ghi thành tệp.",
        "Show the whole flow on a local sample web (no network, no API key needed):"
        " two scans, with the alert e-mails and the digest written as files.",
    ),
)
@click.option(
    "--keep",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=tr(
        "Thư mục của demo (cơ sở dữ liệu, bằng chứng, thư); mặc định một thư mục tạm mới.",
        "The demo's folder (database, evidence, mails); a new temporary folder by default.",
    ),
)
@pass_cli
def demo_command(cli: CliContext, keep: Path | None) -> None:
    lang = cli.lang
    brands = cli.settings().brands_path
    # Kept after the demo: its mails and the commands it suggests point into it.
    folder = (keep or Path(tempfile.mkdtemp(prefix="monitor-demo-"))).resolve()
    config = write_config(folder, brands, lang)
    with SampleWeb() as web, Mailbox() as mailbox:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
            **web.overrides(),
            # Alerts and the digest go through the real SMTP path, to the demo's own mail server.
            "MONITOR_EMAIL__SMTP_HOST": mailbox.host,
            "MONITOR_EMAIL__SMTP_PORT": str(mailbox.port),
            "MONITOR_EMAIL__SECURITY": "none",
            "MONITOR_EMAIL__SENDER": DEMO_SENDER,
            "MONITOR_EMAIL__RECIPIENTS": f'["{DEMO_RECIPIENT}"]',
            "MONITOR_EMAIL__TIMEOUT": "10",
        }
        settings = load_settings(config, environ=env)
        engine = open_database(settings.database.url)
        try:
            click.echo(tr(f"Trang web mẫu: {web.base_url}", f"Sample web: {web.base_url}", lang))
            click.echo(tr("\n== Lần quét 1 ==", "\n== Scan 1 ==", lang))
            first = asyncio.run(Scanner(settings, engine, trigger="demo").run())
            print_summary(first, lang)
            # Between scans one fake renames itself and another's page is removed.
            web.state.renamed.add("fb_hotro")
            web.state.removed_pages.add("tt_official")
            click.echo(
                tr(
                    "\n== Lần quét 2 (một trang đổi tên, một trang bị gỡ) ==",
                    "\n== Scan 2 (one page renamed, one removed) ==",
                    lang,
                )
            )
            second = asyncio.run(Scanner(settings, engine, trigger="demo").run())
            print_summary(second, lang)
            send_digests(session_factory(engine), settings, lang=lang)
            with session_scope(session_factory(engine)) as session:
                archived = FindingViews(session).first_with_evidence()
        finally:
            engine.dispose()
        received = mailbox.messages
    _report(folder, config, write_mails(folder / MAIL_NAME, received), archived, lang)


def _report(folder: Path, config: Path, mails: list[MailFile], archived: int | None, lang: Language) -> None:
    """Where the mails are, and the next commands, each runnable exactly as printed."""
    click.echo(
        tr(
            f"\n== Thư đã gửi tới máy chủ thư của demo: {len(mails)} ==",
            f"\n== Mails sent to the demo's mail server: {len(mails)} ==",
            lang,
        )
    )
    for mail in mails:
        kind = tr("Cảnh báo", "Alert", lang) if mail.kind == "alert" else tr("Bản tin", "Digest", lang)
        click.echo(f"{kind}: {safe_text(mail.subject, 200)}")
        for path in (mail.eml, mail.html):
            if path is not None:
                click.echo(f"  {path}")
    click.echo(
        tr(
            "Mở tệp .html bằng trình duyệt, tệp .eml bằng chương trình thư.",
            "Open the .html files in a browser, the .eml files in a mail program.",
            lang,
        )
    )
    click.echo(
        tr(
            f"\nThư mục demo: {folder} (cơ sở dữ liệu, bằng chứng trong {EVIDENCE_NAME}/, thư trong"
            f" {MAIL_NAME}/); xoá khi không cần nữa.",
            f"\nDemo folder: {folder} (database, evidence in {EVIDENCE_NAME}/, mails in {MAIL_NAME}/);"
            " delete it when done.",
            lang,
        )
    )
    click.echo(tr("Xem tiếp:", "Next:", lang))
    click.echo(f"  {command(config, 'findings', 'list', lang=lang)}")
    if archived is not None:
        out = str(folder / f"export-{archived}")
        click.echo(f"  {command(config, 'evidence', 'export', str(archived), '--out', out, lang=lang)}")
