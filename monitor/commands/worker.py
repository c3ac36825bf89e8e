"""`monitor worker`: run the jobs of queued scans (`[queue] backend = "procrastinate"`), on any host."""

from __future__ import annotations

import asyncio
import threading

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.daemon import exit_without_stragglers, stop_on_signals
from monitor.errors import ConfigError
from monitor.i18n import tr
from monitor.settings import Settings
from monitor.store.db import open_database

QUEUE_NAMES = ("discover", "judge", "deliver", "schedule")


def require_queue(settings: Settings, command: str) -> None:
    """Commands of the job queue refuse to run on the inline backend (exit 2, naming the key)."""
    if settings.queue.backend != "procrastinate":
        raise ConfigError(
            str(settings.config_path),
            "queue.backend",
            tr(
                f'`monitor {command}` cần hàng đợi công việc: đặt [queue] backend = "procrastinate" '
                "(hoặc MONITOR_QUEUE__BACKEND=procrastinate) với cơ sở dữ liệu PostgreSQL",
                f'`monitor {command}` needs the job queue: set [queue] backend = "procrastinate" '
                "(or MONITOR_QUEUE__BACKEND=procrastinate) with a PostgreSQL database",
            ),
        )


@click.command(
    "worker",
    help=tr(
        "Chạy các công việc của lượt quét trong hàng đợi (PostgreSQL); chạy được trên nhiều máy. "
        "Dừng bằng SIGTERM/Ctrl-C: công việc đang chạy được trả lại hàng đợi.",
        "Run the jobs of queued scans (PostgreSQL); run as many as you like, on any host. "
        "Stop with SIGTERM/Ctrl-C: running jobs are handed back to the queue.",
    ),
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=None,
    help=tr("Số công việc chạy cùng lúc (mặc định: [queue] concurrency).", "Jobs at once."),
)
@click.option(
    "--queues",
    "queues",
    multiple=True,
    type=click.Choice(QUEUE_NAMES),
    help=tr("Chỉ nhận công việc của hàng này (lặp lại được).", "Only jobs of this queue (repeatable)."),
)
@pass_cli
def worker_command(cli: CliContext, concurrency: int | None, queues: tuple[str, ...]) -> None:
    settings = cli.settings()
    require_queue(settings, "worker")
    from monitor.queue.app import Queue
    from monitor.queue.processes import run_worker, worker_runtime

    engine = open_database(settings.database.url)
    stop = threading.Event()
    try:
        with stop_on_signals(stop):
            rt = worker_runtime(settings, engine, stop)
            asyncio.run(run_worker(Queue(settings), rt, concurrency=concurrency, queues=queues))
    finally:
        engine.dispose()
    exit_without_stragglers()
