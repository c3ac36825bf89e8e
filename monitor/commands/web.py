"""`monitor web`: serve the officers' console (Starlette on uvicorn) over the shared database."""

from __future__ import annotations

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.i18n import tr
from monitor.store.db import open_database


@click.command(
    "web",
    help=tr(
        "Chạy bảng điều khiển web cho cán bộ: hàng đợi phát hiện, chi tiết, tin báo, tình trạng nguồn.",
        "Serve the officers' web console: findings queue, finding pages, tips, source health.",
    ),
)
@click.option(
    "--host",
    default=None,
    help=tr("Địa chỉ lắng nghe (mặc định: web.host).", "Address to listen on (default: web.host)."),
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help=tr("Cổng (mặc định: web.port).", "Port (default: web.port)."),
)
@pass_cli
def web_command(cli: CliContext, host: str | None, port: int | None) -> None:
    import uvicorn

    from monitor.web.app import create_app

    settings = cli.settings()
    engine = open_database(settings.database.url)
    app = create_app(settings, engine)
    bind_host = host or settings.web.host
    bind_port = port or settings.web.port
    shown = f"[{bind_host}]" if ":" in bind_host else bind_host
    click.echo(
        tr(
            f"Bảng điều khiển: http://{shown}:{bind_port} (dừng bằng Ctrl-C)",
            f"Console: http://{shown}:{bind_port} (stop with Ctrl-C)",
            cli.lang,
        ),
        err=True,
    )
    try:
        uvicorn.run(
            app,
            host=bind_host,
            port=bind_port,
            proxy_headers=True,
            forwarded_allow_ips=settings.web.forwarded_allow_ips,
            server_header=False,
            log_level="warning",
        )
    finally:
        engine.dispose()
