"""`monitor status`: the daemon's state and heartbeat, the last scans, source health, next runs,
and the job queue when scans run as jobs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import NO_TIME, json_text, local_time, machine_time, safe_text, table_lines
from monitor.errors import MonitorError
from monitor.i18n import Language, tr
from monitor.notes import note_text
from monitor.notify.texts import DAEMON_STATES, JOBS, RUN_STATUS, SOURCES, label, text
from monitor.store.heartbeat import read_heartbeat

if TYPE_CHECKING:
    from monitor.settings import QueueSettings
    from monitor.store.schema import DaemonState

# `status --check` is the container healthcheck: only the heartbeat reader is imported for it (it
# reads with the drivers themselves); SQLAlchemy, the ORM and Alembic are imported for the full view.


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
    if check:
        queue = settings.queue
        window = queue.stall_seconds if queue.backend == "procrastinate" else None
        _health_check(settings.database.url, settings.schedule.lease_seconds, cli.lang, window)
        return
    from monitor.store.db import open_database

    engine = open_database(settings.database.url, create=False)
    try:
        report = collect(engine, settings.schedule.lease_seconds, limit, settings.queue)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json_text(report, indent=2))
        return
    _print(report, cli.lang, settings.evidence.display_timezone)


def _health_check(url: str, lease_seconds: float, lang: Any, worker_window: float | None = None) -> None:
    """Exit 0 when the daemon holds a fresh heartbeat — with the job queue, when some worker does;
    reads only (no migration, no new database file).

    A container healthcheck runs this every few minutes beside the daemon: it must never change the
    schema under it, nor create an empty SQLite file where the daemon's is missing.
    """
    beat = read_heartbeat(url, worker_window)
    if beat.revision != beat.head:
        raise MonitorError(
            tr(
                "cơ sở dữ liệu chưa ở phiên bản mới nhất (chạy `monitor db upgrade`)",
                "the database schema is not up to date (run `monitor db upgrade`)",
                lang,
            )
        )
    if worker_window is not None:
        if not beat.workers:
            raise MonitorError(
                tr(
                    "không có worker nào của hàng đợi đang chạy (chạy `monitor worker`)",
                    "no job-queue worker is running (start `monitor worker`)",
                    lang,
                )
            )
    elif not beat.alive(lease_seconds):
        raise MonitorError(tr("tiến trình giám sát không chạy", "the daemon is not running", lang))
    click.echo(tr("Đang chạy.", "Running.", lang))


def _alive(state: DaemonState | None, lease_seconds: float) -> bool:
    return bool(
        state
        and state.state == "running"
        and state.heartbeat_at is not None
        and datetime.now(UTC) - state.heartbeat_at < timedelta(seconds=lease_seconds)
    )


def collect(
    engine: Any, lease_seconds: float, limit: int, queue: QueueSettings | None = None
) -> dict[str, Any]:
    from monitor.store.db import session_factory, session_scope
    from monitor.store.lease import read_state
    from monitor.store.queue_state import queue_state
    from monitor.store.scans import ScanRepository

    state = read_state(engine)
    alive = _alive(state, lease_seconds)
    with session_scope(session_factory(engine)) as session:
        repo = ScanRepository(session)
        scans = [
            {
                "id": scan.id,
                "started_at": machine_time(scan.started_at),
                "finished_at": machine_time(scan.finished_at),
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
                "last_run_at": machine_time(h.last_run_at),
                "results": h.last_results,
                "error": h.last_error,
                "last_ok_at": machine_time(h.last_ok_at),
                "consecutive_failures": h.consecutive_failures,
                "failing_since": machine_time(h.failing_since),
            }
            for h in repo.health()
        ]
        jobs: dict[str, Any] = {"backend": "inline"}
        if queue is not None and queue.backend == "procrastinate":
            jobs = {
                "backend": queue.backend,
                **queue_state(session, alive_seconds=queue.stall_seconds).to_json(),
            }
    return {
        "daemon": {
            "state": state.state if state else "never_started",
            "alive": alive,
            "holder": state.holder if state else None,
            "acquired_at": machine_time(state.acquired_at) if state else None,
            "heartbeat_at": machine_time(state.heartbeat_at) if state else None,
        },
        "next_runs": dict(state.next_runs) if state and alive else {},
        "last_scans": scans,
        "sources": sources,
        "queue": jobs,
    }


def _job_words(job: str, lang: Language) -> str:
    kind, _, source = job.partition(":")
    shown = label(JOBS, kind, lang)
    return f"{shown} {label(SOURCES, source, lang) if source in SOURCES else safe_text(source, 40)}".strip()


def _print(report: dict[str, Any], lang: Language, zone: str) -> None:
    from monitor.report import unreadable_pages  # the scan stack: not for `status --check`

    def when(value: str | None) -> str:
        return local_time(datetime.fromisoformat(value), zone) if value else NO_TIME

    daemon = report["daemon"]
    state = "heartbeat_lost" if daemon["state"] == "running" and not daemon["alive"] else daemon["state"]
    click.echo(tr("Tiến trình giám sát: ", "Daemon: ", lang) + label(DAEMON_STATES, state, lang))
    click.echo(tr("  Nhịp tim cuối: ", "  Last heartbeat: ", lang) + when(daemon["heartbeat_at"]))
    for job, at in report["next_runs"].items():
        click.echo(tr("  Lần chạy tới ", "  Next run ", lang) + f"({_job_words(job, lang)}): {when(at)}")
    click.echo()
    click.echo(tr("Các lần quét gần nhất:", "Last scans:", lang))
    if not report["last_scans"]:
        click.echo(tr("  (chưa có)", "  (none)", lang))
    else:
        header = [
            "#",
            tr("Bắt đầu", "Started", lang),
            tr("Kết thúc", "Finished", lang),
            text("field.status", lang),
            text("field.note", lang),
        ]
        rows = [
            [
                str(scan["id"]),
                when(scan["started_at"]),
                when(scan["finished_at"]),
                label(RUN_STATUS, scan["status"], lang),
                unreadable_pages(scan["counts"] or {}, lang) or "",
            ]
            for scan in report["last_scans"]
        ]
        for line in table_lines(header, rows):
            click.echo("  " + line)
    click.echo()
    _print_queue(report["queue"], lang, when)
    click.echo()
    click.echo(tr("Tình trạng nguồn:", "Source health:", lang))
    if not report["sources"]:
        click.echo(tr("  (chưa có)", "  (none)", lang))
        return
    header = [
        tr("Nguồn", "Source", lang),
        text("field.brand", lang),
        text("field.status", lang),
        tr("Kết quả", "Results", lang),
        tr("Lần chạy cuối", "Last run", lang),
        text("field.note", lang),
    ]
    rows = [
        [
            label(SOURCES, source["source"], lang)
            if source["source"] in SOURCES
            else safe_text(source["source"], 40),
            safe_text(source["brand"], 60),
            label(RUN_STATUS, source["status"], lang),
            str(source["results"]),
            when(source["last_run_at"]),
            _source_note(source, lang, when),
        ]
        for source in report["sources"]
    ]
    for line in table_lines(header, rows):
        click.echo("  " + line)


def _source_note(source: dict[str, Any], lang: Language, when: Callable[[str | None], str]) -> str:
    parts = []
    if source["consecutive_failures"]:
        parts.append(
            tr("lỗi {n} lần liên tiếp từ {since}", "failing {n} times in a row since {since}", lang).format(
                n=source["consecutive_failures"], since=when(source["failing_since"])
            )
        )
    if source["error"]:
        parts.append(safe_text(note_text(source["error"], lang), 160))
    return " — ".join(parts)


def _print_queue(queue: dict[str, Any], lang: Language, when: Callable[[str | None], str]) -> None:
    """The job queue in a few lines: counts first, then the running, failed and retrying jobs."""
    from monitor.queue_words import QUEUE_NAMES, TASK_NAMES, age_words, named, queue_word

    def w(key: str, **values: Any) -> str:
        return queue_word(key, lang, **values)

    def queue_name(code: str) -> str:
        return named(QUEUE_NAMES, code, lang, 40)

    def task_name(code: str) -> str:
        return named(TASK_NAMES, code, lang, 60)

    if queue["backend"] == "inline":
        click.echo(w("title") + ": " + w("inline"))
        return
    click.echo(w("title") + ":")
    if not queue["available"]:
        click.echo("  " + w(f"unavailable.{queue['reason']}"))
        return
    waiting = queue["waiting"]
    line = w("waiting", due=waiting["due"], later=waiting["later"])
    if waiting["oldest_wait_seconds"] is not None:
        line += " — " + w("oldest", age=age_words(timedelta(seconds=waiting["oldest_wait_seconds"]), lang))
    click.echo("  " + line)
    rows = [
        [queue_name(q["queue"]), str(q["due"]), str(q["later"]), when(q["oldest_due_at"])]
        for q in waiting["queues"]
    ]
    _job_table([w("col.queue"), w("col.due"), w("col.later"), w("col.waiting_since")], rows, 0, lang)
    workers = queue["workers"]
    line = w("workers", alive=workers["alive"])
    if workers["silent"]:
        line += " (" + w("workers.silent", silent=workers["silent"]) + ")"
    click.echo("  " + line)
    running = queue["running"]
    click.echo("  " + w("running", n=running["count"]))
    rows = [
        [
            str(job["id"]),
            task_name(job["task"]),
            queue_name(job["queue"]),
            safe_text(job["lock"], 60) if job["lock"] else NO_TIME,
            when(job["started_at"]),
            str(job["worker_id"]) if job["worker_id"] is not None else NO_TIME,
        ]
        for job in running["jobs"]
    ]
    header = ["#", w("col.task"), w("col.queue"), w("col.lock"), w("col.started"), w("col.worker")]
    _job_table(header, rows, running["count"] - len(rows), lang)
    failed = queue["failed"]
    click.echo("  " + w("failed", hours=f"{failed['window_hours']:g}", n=failed["count"]))
    rows = [
        [
            str(job["id"]),
            task_name(job["task"]),
            queue_name(job["queue"]),
            str(job["attempts"]),
            when(job["failed_at"]),
        ]
        for job in failed["jobs"]
    ]
    header = ["#", w("col.task"), w("col.queue"), w("col.attempts"), w("col.failed_at")]
    _job_table(header, rows, failed["count"] - len(rows), lang)
    retrying = queue["retrying"]
    click.echo("  " + w("retrying", n=retrying["count"]))
    rows = [
        [
            str(job["id"]),
            task_name(job["task"]),
            queue_name(job["queue"]),
            str(job["attempts"]),
            when(job["failed_at"]),
            when(job["retry_at"]),
        ]
        for job in retrying["jobs"]
    ]
    header = ["#", w("col.task"), w("col.queue"), w("col.attempts"), w("col.failed_at"), w("col.retry_at")]
    _job_table(header, rows, retrying["count"] - len(rows), lang)


def _job_table(header: list[str], rows: list[list[str]], more: int, lang: Language) -> None:
    from monitor.queue_words import queue_word

    if not rows:
        return
    for line in table_lines(header, rows):
        click.echo("    " + line)
    if more > 0:
        click.echo("    " + queue_word("more", lang, n=more))
