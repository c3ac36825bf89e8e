"""`monitor run`: the long-lived daemon (scans on schedule, the daily digest)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import click
from sqlalchemy import Engine

from monitor.commands.context import CliContext, pass_cli
from monitor.daemon import Daemon, Jobs, exit_without_stragglers, run_until_stopped, stop_on_signals
from monitor.digest import digest_reaches_anyone, send_digests
from monitor.errors import ScanBusyError
from monitor.i18n import tr
from monitor.log import get_logger
from monitor.net.robots import RobotsMemory
from monitor.notify.channels import warn_nobody_told
from monitor.scan import Scanner
from monitor.settings import Settings
from monitor.store.db import open_database, session_factory

log = get_logger(__name__)


@click.command(
    "run",
    help=tr(
        "Chạy liên tục: quét theo lịch và gửi thư tổng hợp hằng ngày (dừng bằng SIGTERM/Ctrl-C).",
        "Run continuously: scheduled scans and the daily digest (stop with SIGTERM/Ctrl-C).",
    ),
)
@click.option(
    "--no-initial-scan",
    is_flag=True,
    help=tr("Không quét ngay khi khởi động.", "Do not scan right at start-up."),
)
@pass_cli
def run_command(cli: CliContext, no_initial_scan: bool) -> None:
    settings = cli.settings()
    # "Nobody will be told" is said at start-up, not only at the first alert.
    warn_nobody_told(settings, settings.brands)
    if settings.queue.backend == "procrastinate":
        schedule_queue(settings, initial_scan=not no_initial_scan)
        return
    engine = open_database(settings.database.url)
    try:
        daemon = Daemon(settings, engine, build_jobs(settings, engine), initial_scan=not no_initial_scan)
        with stop_on_signals(daemon.stop_event):
            daemon.run()
    finally:
        engine.dispose()
    exit_without_stragglers()


def schedule_queue(settings: Settings, *, initial_scan: bool = True) -> None:
    """With the job queue, `monitor run` is the scheduler: it defers the tick (which starts the scans
    that are due) and the digest; `monitor worker` processes run them. Several may run at once."""
    import asyncio

    from monitor.queue.app import Queue
    from monitor.queue.processes import run_scheduler

    stop = threading.Event()
    with stop_on_signals(stop):
        log.info("scheduler_started", tick_seconds=settings.queue.tick_seconds)
        asyncio.run(run_scheduler(Queue(settings), stop, initial_scan=initial_scan))
    exit_without_stragglers()


def build_jobs(settings: Settings, engine: Engine) -> Jobs:
    """The daemon's jobs call exactly what `monitor scan` and `monitor digest` call."""
    # robots.txt rules outlive a scan (for their TTL): the next scan does not ask again.
    robots = RobotsMemory()

    def scan(sources: Sequence[str] | None, stop: threading.Event) -> object:
        # A brand scanned by `monitor scan` (or another of our jobs) is waited for, not skipped.
        scanner = Scanner(settings, engine, trigger="daemon", stop=stop, wait=True, robots=robots)
        try:
            return run_until_stopped(scanner.run(None, list(sources) if sources else None), stop)
        except ScanBusyError as busy:
            log.info("job_scan_skipped", reason="stopped_while_waiting", brands=sorted(busy.holders))
            return None

    def digest() -> object:
        if not digest_reaches_anyone(settings):
            log.warning(
                "digest_skipped",
                reason="no channel takes the digest: set [email] (smtp_host, sender, recipients) "
                "or a chat channel ([alerts.apprise], [alerts.zalo])",
            )
            return None
        return send_digests(session_factory(engine), settings)

    return Jobs(scan=scan, digest=digest)
