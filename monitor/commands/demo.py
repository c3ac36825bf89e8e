"""`monitor demo`: two scans of a built-in sample web on 127.0.0.1 into a temporary database."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.commands.scan import print_summary
from monitor.demo.web import SampleWeb
from monitor.i18n import tr
from monitor.scan import Scanner
from monitor.settings import load_settings
from monitor.store.db import open_database


@click.command(
    "demo",
    help=tr(
        "Chạy thử toàn bộ quy trình trên một trang web mẫu cục bộ (không cần mạng, không cần khoá API).",
        "Show the whole flow on a local sample web (no network, no API key needed).",
    ),
)
@click.option(
    "--keep",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=tr("Giữ cơ sở dữ liệu demo trong thư mục này.", "Keep the demo database in this folder."),
)
@pass_cli
def demo_command(cli: CliContext, keep: Path | None) -> None:
    config = cli.settings().config_path
    with tempfile.TemporaryDirectory(prefix="monitor-demo-") as scratch:
        folder = keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        with SampleWeb() as web:
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
                **web.overrides(),
                "MONITOR_DATABASE__URL": f"sqlite:///{folder / 'demo.db'}",
                "MONITOR_EVIDENCE__DIR": str(folder / "evidence"),
                "MONITOR_ALERTS__EMAIL": "false",
            }
            settings = load_settings(config, environ=env)
            engine = open_database(settings.database.url)
            try:
                click.echo(tr(f"Trang web mẫu: {web.base_url}", f"Sample web: {web.base_url}", cli.lang))
                click.echo(tr("\n== Lần quét 1 ==", "\n== Scan 1 ==", cli.lang))
                first = asyncio.run(Scanner(settings, engine, trigger="demo").run())
                print_summary(first, cli.lang)
                # Between scans one fake renames itself and another's page is removed.
                web.state.renamed.add("fb_hotro")
                web.state.removed_pages.add("tt_official")
                click.echo(
                    tr(
                        "\n== Lần quét 2 (một trang đổi tên, một trang bị gỡ) ==",
                        "\n== Scan 2 (one page renamed, one removed) ==",
                        cli.lang,
                    )
                )
                second = asyncio.run(Scanner(settings, engine, trigger="demo").run())
                print_summary(second, cli.lang)
            finally:
                engine.dispose()
        if keep:
            click.echo(
                tr(
                    f"\nCơ sở dữ liệu demo: {folder / 'demo.db'} — xem bằng "
                    f"MONITOR_DATABASE__URL=sqlite:///{folder / 'demo.db'} monitor findings list",
                    f"\nDemo database: {folder / 'demo.db'} — browse with "
                    f"MONITOR_DATABASE__URL=sqlite:///{folder / 'demo.db'} monitor findings list",
                    cli.lang,
                )
            )
