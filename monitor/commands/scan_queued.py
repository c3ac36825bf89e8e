"""`monitor scan` with the job queue: the scan's jobs are deferred to the workers and waited for.

The summary is the same as an in-process scan's, read back from the store once the workers
closed the scan. `--no-wait` returns the scan id at once. A stop while waiting leaves the scan
to the workers (it is not theirs to cancel) and says so.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from dataclasses import replace

import click

from monitor.commands.context import CliContext
from monitor.daemon import stop_on_signals
from monitor.display import json_text
from monitor.net.proxy import proxy_routes
from monitor.scan_outcome import assess
from monitor.store.db import open_database, session_scope


def queued_scan(
    cli: CliContext,
    brands: tuple[str, ...],
    sources: tuple[str, ...],
    *,
    as_json: bool,
    notify: bool,
    wait: bool,
) -> None:
    from monitor.commands.scan import print_summary
    from monitor.i18n import tr
    from monitor.queue.app import Queue
    from monitor.queue.processes import defer_scan, wait_for_scan
    from monitor.queue.steps import Runtime
    from monitor.queue.summary import stored_report

    settings = cli.settings()
    lang = cli.lang
    engine = open_database(settings.database.url)
    stop = threading.Event()
    received: list[signal.Signals] = []
    try:
        rt = Runtime(settings, engine, stop)
        queue = Queue(settings)
        scan_id = asyncio.run(
            defer_scan(queue, rt, list(brands) or None, list(sources) or None, notify=notify)
        )
        if not wait:
            if as_json:
                click.echo(json_text({"scan_id": scan_id, "status": "queued"}))
            else:
                click.echo(
                    tr(
                        f"Lượt quét #{scan_id} đã vào hàng đợi; các worker sẽ chạy nó (xem: monitor status).",
                        f"Scan #{scan_id} is queued; the workers will run it (see: monitor status).",
                        lang,
                    )
                )
            return
        if not as_json:
            click.echo(
                tr(
                    f"Lượt quét #{scan_id} đã vào hàng đợi; đang chờ các worker…",
                    f"Scan #{scan_id} is queued; waiting for the workers…",
                    lang,
                ),
                err=True,
            )
        with stop_on_signals(stop, received):
            asyncio.run(wait_for_scan(rt, scan_id))
        with session_scope(rt.factory) as session:
            report = stored_report(session, scan_id)
    finally:
        engine.dispose()
    if received:
        message = tr(
            f"Đã ngừng chờ; lượt quét #{scan_id} vẫn tiếp tục trên các worker.",
            f"Stopped waiting; scan #{scan_id} goes on in the workers.",
            lang,
        )
        if as_json:
            click.echo(json_text({"scan_id": scan_id, "status": report.status, "waiting": "stopped"}))
        click.echo(message, err=True)
        sys.exit(128 + received[0])
    outcome = assess(report)
    if report.status == "running":
        outcome = replace(outcome, exit_code=1)
    if as_json:
        click.echo(json_text({**report.to_dict(), "outcome": outcome.to_dict()}))
    else:
        print_summary(report, lang, outcome, proxy_routes(settings.http.proxy, os.environ))
    if outcome.exit_code:
        sys.exit(outcome.exit_code)
