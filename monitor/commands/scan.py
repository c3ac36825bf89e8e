"""`monitor scan`: one scan now, with live progress on a terminal or one JSON object on stdout."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import replace
from typing import Any

import click
from click.core import ParameterSource
from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from monitor.commands.context import CliContext, pass_cli
from monitor.commands.scan_busy import refuse_busy
from monitor.daemon import exit_without_stragglers, run_until_stopped, stop_on_signals
from monitor.discover.registry import registered_keys
from monitor.display import json_text, safe_text
from monitor.env import cli_env
from monitor.errors import ScanBusyError
from monitor.i18n import Language, tr
from monitor.log import terminal_logs
from monitor.net.proxy import ProxyRoutes, proxy_routes
from monitor.notes import note_text
from monitor.notify.texts import RUN_STATUS
from monitor.report import ScanReport, unreadable_pages
from monitor.scan import Scanner
from monitor.scan_outcome import Outcome, assess, outcome_lines
from monitor.sources import SourceResult
from monitor.store.db import open_database
from monitor.store.schema import utcnow

EVENT_TITLES = {
    "new": ("Mạo danh mới", "New"),
    "changed": ("Thay đổi / đổi tên", "Changed / renamed"),
    "gone": ("Không còn thấy", "Gone"),
    "taken_down": ("Đã bị gỡ", "Taken down"),
    "reappeared": ("Xuất hiện lại", "Reappeared"),
}


@click.command(
    "scan",
    help=tr(
        "Quét một lần: tìm kiếm, đối chiếu, lưu và báo các tài khoản mạo danh mới.",
        "Run one scan: search, match, store and alert about new impersonations.",
    ),
)
@click.option(
    "--brand", "brands", multiple=True, help=tr("Chỉ quét thương hiệu này (slug).", "Only this brand.")
)
@click.option("--source", "sources", multiple=True, help=tr("Chỉ dùng nguồn này.", "Only this source."))
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help=tr("Một đối tượng JSON trên stdout.", "One JSON object on stdout."),
)
@click.option("--no-notify", is_flag=True, help=tr("Không gửi cảnh báo.", "Send no alerts."))
@click.option("--dry-run", is_flag=True, help=tr("Chạy thử, không ghi gì.", "Write nothing."))
@click.option(
    "--wait",
    is_flag=True,
    help=tr(
        "Nếu thương hiệu đang được quét ở tiến trình khác: chờ, thay vì dừng với mã 75.",
        "If another process is scanning the brand: wait instead of exiting with code 75.",
    ),
)
@click.option(
    "--no-wait",
    is_flag=True,
    help=tr(
        "Với hàng đợi công việc: đưa lượt quét vào hàng đợi rồi trả về số lượt quét ngay.",
        "With the job queue: queue the scan and return its id at once.",
    ),
)
@pass_cli
def scan_command(
    cli: CliContext,
    brands: tuple[str, ...],
    sources: tuple[str, ...],
    as_json: bool,
    no_notify: bool,
    dry_run: bool,
    wait: bool,
    no_wait: bool,
) -> None:
    settings = cli.settings()
    for slug in brands:
        settings.brand(slug)  # unknown brand: a config error (exit 2) before anything runs
    known_sources = registered_keys()
    for key in sources:
        if key not in known_sources:
            raise click.BadParameter(f"{key!r} ({', '.join(known_sources)})", param_hint="--source")
    if settings.queue.backend == "procrastinate" and not dry_run:
        # A dry run writes nothing, so it runs here; everything else goes to the workers.
        from monitor.commands.scan_queued import queued_scan

        queued_scan(cli, brands, sources, as_json=as_json, notify=not no_notify, wait=not no_wait)
        return
    engine = open_database(settings.database.url)
    live = not as_json and sys.stdout.isatty()
    progress = TerminalProgress(cli.lang) if live else None
    scanner = Scanner(settings, engine, trigger="cli", dry_run=dry_run, notify=not no_notify, wait=wait)
    if progress is not None:
        scanner.progress = progress
    received: list[signal.Signals] = []
    finished: ScanReport | None = None

    def run() -> ScanReport | None:
        # SIGTERM / Ctrl-C stop the scan: what it read is recorded and the scan ends "interrupted".
        with stop_on_signals(scanner.stop, received):
            work = scanner.run(list(brands) or None, list(sources) or None)
            return run_until_stopped(work, scanner.stop)

    try:
        if progress is not None:
            # Logs go above the live display (Live redirects stderr), at WARNING unless asked otherwise.
            with (
                terminal_logs(quiet=not _log_level_chosen()),
                Live(
                    progress.renderable(),
                    console=progress.console,
                    refresh_per_second=4,
                    redirect_stderr=sys.stderr.isatty(),
                ) as display,
            ):
                progress.live = display
                finished = run()
        else:
            finished = run()
    except ScanBusyError as busy:
        refuse_busy(busy, cli.lang, as_json)
    finally:
        engine.dispose()
    report = finished or scanner.report or ScanReport(None, utcnow(), dry_run=dry_run)
    if finished is None:
        report.status = "interrupted"  # cancelled after the grace: the store says so too
    outcome = assess(report)
    if received:
        # Stopped by a signal: the shell's convention, 128 + its number (130 Ctrl-C, 143 SIGTERM).
        outcome = replace(outcome, exit_code=128 + received[0])
    if as_json:
        click.echo(json_text({**report.to_dict(), "outcome": outcome.to_dict()}))
    else:
        print_summary(report, cli.lang, outcome, proxy_routes(settings.http.proxy, os.environ))
        if received:
            click.echo(stopped_line(report, received[0].name, cli.lang))
    if received:
        exit_without_stragglers(code=outcome.exit_code)
    if outcome.exit_code:
        sys.exit(outcome.exit_code)


def stopped_line(report: ScanReport, signal_name: str, lang: Language) -> str:
    """What a stop kept: the pages read are recorded, nothing is marked gone, follow-ups wait."""
    number = f" #{report.scan_id}" if report.scan_id is not None else ""
    events = sum(len(items) for items in report.events.values())
    if report.dry_run:
        return tr(
            f"Đã dừng lần quét{number} theo yêu cầu ({signal_name}); chạy thử nên không lưu gì.",
            f"Scan{number} stopped on request ({signal_name}); a dry run, so nothing was stored.",
            lang,
        )
    return tr(
        f"Đã dừng lần quét{number} theo yêu cầu ({signal_name}). Đã lưu những gì đọc được: "
        f"{report.candidates} ứng viên, {events} sự kiện; không trang nào bị coi là không còn thấy "
        "và các bước sau khi quét sẽ chạy ở lần quét sau.",
        f"Scan{number} stopped on request ({signal_name}). What was read is stored: "
        f"{report.candidates} candidates, {events} events; nothing was marked gone "
        "and the follow-up steps run with the next scan.",
        lang,
    )


def _log_level_chosen() -> bool:
    """True when --log-level or MONITOR_LOG_LEVEL set the level (the terminal default is WARNING)."""
    root = click.get_current_context().find_root()
    given = root.get_parameter_source("log_level") not in (None, ParameterSource.DEFAULT)
    return given or bool(cli_env("LOG_LEVEL"))


class TerminalProgress:
    """Sources, requests and candidates as they come in, with bars for look-ups and page reads."""

    def __init__(self, lang: Language, console: Console | None = None) -> None:
        self.lang = lang
        self.console = console or Console(stderr=False)
        self.rows: list[tuple[str, str, str, int, int]] = []
        self.counts: dict[str, int] = {}
        self.enrich: dict[str, tuple[int, int]] = {}
        self.live: Live | None = None
        self.bars = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )
        self._tasks: dict[tuple[str, str], TaskID] = {}

    def source_done(self, brand: str, result: SourceResult) -> None:
        self.rows.append((brand, result.key, result.status, result.requests, result.results))
        self._refresh()

    def candidates(self, brand: str, count: int) -> None:
        self.counts[brand] = count
        self._refresh()

    def enriched(self, brand: str, done: int, total: int) -> None:
        self.enrich[brand] = (done, total)
        self._bar(brand, "pages", tr("Đọc trang", "Reading pages", self.lang), done, total)
        self._refresh()

    def names_resolved(self, brand: str, done: int, total: int) -> None:
        self._bar(brand, "dns", tr("Tra DNS tên miền giống", "Look-alike DNS", self.lang), done, total)

    def renderable(self) -> RenderableType:
        return Group(self.table(), self.bars)

    def _bar(self, brand: str, kind: str, label: str, done: int, total: int) -> None:
        key = (brand, kind)
        task = self._tasks.get(key)
        if task is None:
            task = self._tasks[key] = self.bars.add_task(f"{escape(brand)} · {label}", total=total)
        self.bars.update(task, completed=done, total=total)

    def table(self) -> Table:
        table = Table(title=tr("Đang quét…", "Scanning…", self.lang))
        for column in (
            tr("Thương hiệu", "Brand", self.lang),
            tr("Nguồn", "Source", self.lang),
            tr("Kết quả", "Status", self.lang),
            tr("Yêu cầu", "Requests", self.lang),
            tr("Kết quả tìm được", "Results", self.lang),
        ):
            table.add_column(column)
        for brand, key, status, requests, results in self.rows:
            table.add_row(brand, key, _status(status, self.lang), str(requests), str(results))
        for brand, count in self.counts.items():
            done, total = self.enrich.get(brand, (0, 0))
            table.caption = tr(
                f"{count} ứng viên; đã đọc {done}/{total} trang",
                f"{count} candidates; {done}/{total} pages read",
                self.lang,
            )
        return table

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self.renderable())


def _status(status: str, lang: Language) -> str:
    vi, en = RUN_STATUS.get(status, (status, status))
    return tr(vi, en, lang)


def print_summary(
    report: ScanReport,
    lang: Language,
    outcome: Outcome | None = None,
    proxies: ProxyRoutes | None = None,
    console: Console | None = None,
) -> None:
    """The scan's sources and events; a scan that reached nothing says so in red, never "nothing new"."""
    outcome = outcome or assess(report)
    console = console or Console(highlight=False, soft_wrap=True)
    number = f" #{report.scan_id}" if report.scan_id is not None else ""
    head = tr(f"Lần quét{number}", f"Scan{number}", lang) + f": {_status(report.status, lang)}"
    if report.dry_run:
        head += tr(" (chạy thử, không lưu)", " (dry run, nothing stored)", lang)
    console.print(escape(head))
    sources = Table(title=tr("Nguồn", "Sources", lang))
    # Several offices: each source ran once per office, so the office is named on its row.
    offices = len({source.brand for source in report.sources}) > 1
    if offices:
        sources.add_column(tr("Cơ quan", "Office", lang))
    for column in (
        tr("Nguồn", "Source", lang),
        tr("Trạng thái", "Status", lang),
        tr("Yêu cầu", "Requests", lang),
        tr("Kết quả", "Results", lang),
        tr("Ghi chú", "Note", lang),
    ):
        sources.add_column(column)
    for source in report.sources:
        sources.add_row(
            *([escape(source.brand)] if offices else []),
            escape(source.name),
            _status(source.status, lang),
            str(source.requests),
            str(source.results),
            escape(safe_text(note_text(source.error, lang), 120)),
        )
    console.print(sources)
    unreadable = unreadable_pages(report.counts(), lang)
    if unreadable:
        console.print(escape(unreadable))
    for kind, (vi, en) in EVENT_TITLES.items():
        items = report.events[kind]
        if not items:
            continue
        table = Table(title=f"{tr(vi, en, lang)}: {len(items)}")
        for column in (
            "#",
            tr("Tên", "Name", lang),
            tr("Nền tảng", "Platform", lang),
            tr("Điểm", "Score", lang),
            "URL",
        ):
            table.add_column(column)
        for item in items:
            table.add_row(
                str(item["id"]),
                _cell(item["name"], 70),
                escape(item["platform"]),
                str(item["score"]),
                _cell(item["url"], 90),
            )
        console.print(table)
    for step in report.followups:
        if step.status == "failed":
            line = tr(
                f"Bước sau khi quét '{step.key}' ({step.brand}) bị lỗi: {step.detail}",
                f"Follow-up step '{step.key}' ({step.brand}) failed: {step.detail}",
                lang,
            )
            console.print(Text(safe_text(line, 300), style="yellow"))
    lines = outcome_lines(outcome, lang, proxies)
    if outcome.kind == "nothing_reached":
        for line in lines:
            console.print(Text(line, style="bold red"))
        return
    for line in lines:
        console.print(Text(line, style="yellow"))
    if not any(report.events.values()):
        console.print(tr("Không có gì mới.", "Nothing new.", lang))


def _cell(value: Any, limit: int) -> str:
    return escape(safe_text(str(value), limit))
