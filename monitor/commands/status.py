"""`monitor status`: the daemon's state and heartbeat, the last scans, source health, next runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import json_text, local_time, safe_text
from monitor.errors import MonitorError
from monitor.i18n import tr
from monitor.report import unreadable_pages
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.lease import read_state
from monitor.store.scans import ScanRepository
from monitor.store.schema import utcnow


@click.command(
    "status",
    help=tr(
        "Trạng thái tiến trình giám sát, các lần quét gần nhất và tình trạng nguồn.",
        "Daemon state, the last scans and source health.",
    ),
)
@click.option("--json", "as_json", is_flag=True, help=tr("In dạng JSON.", "Print JSON."))
@click.option(
    "--check",
    is_flag=True,
    help=tr(
        "Chỉ kiểm tra: mã thoát 0 khi tiến trình đang chạy và còn nhịp tim.",
        "Health check only: exit 0 when the daemon runs with a fresh heartbeat.",
    ),
)
@click.option("--limit", default=10, show_default=True, help=tr("Số lần quét hiển thị.", "Scans shown."))
@pass_cli
def status_command(cli: CliContext, as_json: bool, check: bool, limit: int) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url)
    try:
        report = collect(engine, settings.schedule.lease_seconds, limit)
    finally:
        engine.dispose()
    if check:
        if not report["daemon"]["alive"]:
            raise MonitorError(tr("tiến trình giám sát không chạy", "the daemon is not running", cli.lang))
        click.echo(tr("Đang chạy.", "Running.", cli.lang))
        return
    if as_json:
        click.echo(json_text(report, indent=2))
        return
    _print(report, cli.lang)


def collect(engine: Any, lease_seconds: float, limit: int) -> dict[str, Any]:
    state = read_state(engine)
    now = utcnow()
    alive = bool(
        state
        and state.state == "running"
        and state.heartbeat_at is not None
        and now - state.heartbeat_at < timedelta(seconds=lease_seconds)
    )
    with session_scope(session_factory(engine)) as session:
        repo = ScanRepository(session)
        scans = [
            {
                "id": scan.id,
                "started_at": scan.started_at.isoformat(),
                "finished_at": scan.finished_at.isoformat() if scan.finished_at else None,
                "status": scan.status,
                "trigger": scan.trigger,
                "counts": scan.counts,
            }
            for scan in repo.recent(limit)
        ]
        sources = [
            {
                "brand": h.brand,
                "source": h.source,
                "status": h.last_status,
                "last_run_at": h.last_run_at.isoformat(),
                "results": h.last_results,
                "error": h.last_error,
                "last_ok_at": h.last_ok_at.isoformat() if h.last_ok_at else None,
                "consecutive_failures": h.consecutive_failures,
                "failing_since": h.failing_since.isoformat() if h.failing_since else None,
            }
            for h in repo.health()
        ]
    return {
        "daemon": {
            "state": state.state if state else "never_started",
            "alive": alive,
            "holder": state.holder if state else None,
            "acquired_at": state.acquired_at.isoformat() if state and state.acquired_at else None,
            "heartbeat_at": state.heartbeat_at.isoformat() if state and state.heartbeat_at else None,
        },
        "next_runs": dict(state.next_runs) if state and alive else {},
        "last_scans": scans,
        "sources": sources,
    }


def _print(report: dict[str, Any], lang: Any) -> None:
    from datetime import datetime

    def when(value: str | None) -> str:
        return local_time(datetime.fromisoformat(value)) if value else "—"

    daemon = report["daemon"]
    state = {
        "running": tr("đang chạy", "running", lang),
        "standby": tr("chờ", "standby", lang),
        "stopped": tr("đã dừng", "stopped", lang),
        "never_started": tr("chưa từng chạy", "never started", lang),
    }.get(daemon["state"], daemon["state"])
    if daemon["state"] == "running" and not daemon["alive"]:
        state = tr("mất nhịp tim", "heartbeat lost", lang)
    click.echo(tr("Tiến trình giám sát: ", "Daemon: ", lang) + state)
    click.echo(tr("  Nhịp tim cuối: ", "  Last heartbeat: ", lang) + when(daemon["heartbeat_at"]))
    for job, at in report["next_runs"].items():
        click.echo(tr("  Lần chạy tới ", "  Next run ", lang) + f"{job}: {when(at)}")
    click.echo(tr("Các lần quét gần nhất:", "Last scans:", lang))
    if not report["last_scans"]:
        click.echo(tr("  (chưa có)", "  (none)", lang))
    for scan in report["last_scans"]:
        click.echo(f"  #{scan['id']}  {when(scan['started_at'])}  {scan['status']}")
        unreadable = unreadable_pages(scan["counts"] or {}, lang)
        if unreadable:
            click.echo(f"      {unreadable}")
    click.echo(tr("Tình trạng nguồn:", "Source health:", lang))
    for source in report["sources"]:
        line = f"  {source['source']} ({source['brand']}): {source['status']}, {source['results']}"
        if source["consecutive_failures"]:
            line += tr(
                " — lỗi {n} lần liên tiếp từ {since}", " — failing {n} times in a row since {since}", lang
            ).format(n=source["consecutive_failures"], since=when(source["failing_since"]))
        if source["error"]:
            line += f" — {safe_text(source['error'], 160)}"
        click.echo(line)
