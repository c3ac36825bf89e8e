"""`monitor findings list|show|mark`: triage of stored findings by officers."""

from __future__ import annotations

import csv
import getpass
import io
from datetime import datetime
from typing import Any, get_args

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.diff import TRIAGE_ACTIONS, Status, Verdict
from monitor.display import NO_TIME, json_text, local_time, safe_text, table_lines
from monitor.errors import MonitorError
from monitor.i18n import Language, tr
from monitor.notify.texts import EVENTS, STATUSES, TRIAGE, VERDICTS, label, text, zone_label
from monitor.notify.views import TIME_FIELDS, describe_reason, finding_words
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.views import FindingDetail, FindingFilter, FindingView, FindingViews

STATUS_CODES: tuple[str, ...] = get_args(Status)
VERDICT_CODES: tuple[str, ...] = get_args(Verdict)
ACTIONS: tuple[str, ...] = TRIAGE_ACTIONS
MAX_OFFICER_CHARS = 128  # triage_events.actor
# The people's view of a finding, in this order in the CSV: (JSON key, label key of notify.texts).
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "field.finding"),
    ("brand", "field.brand"),
    ("platform", "field.platform"),
    ("identity", "field.identity"),
    ("url", "field.link"),
    ("name", "field.name"),
    ("score", "field.score"),
    ("verdict", "field.verdict"),
    ("status", "field.status"),
    ("triage", "field.triage"),
    ("first_seen_at", "field.first_seen"),
    ("last_seen_at", "field.last_seen"),
)


def _codes_help(vi: str, en: str, table: dict[str, tuple[str, str]], codes: tuple[str, ...]) -> str:
    """A help text that lists the codes to type with their words: 'reported (đã báo cáo)'."""

    def listed(lang: Language) -> str:
        shown = ((code, label(table, code, lang)) for code in codes)
        return ", ".join(code if words == code else f"{code} ({words})" for code, words in shown)

    return tr(f"{vi}: {listed('vi')}.", f"{en}: {listed('en')}.")


@click.group("findings", help=tr("Xem và phân loại các phát hiện.", "List and triage findings."))
def findings_group() -> None:
    """Findings commands."""


@findings_group.command("list", help=tr("Liệt kê các phát hiện.", "List findings."))
@click.option(
    "--status",
    type=click.Choice(STATUS_CODES),
    help=_codes_help("Lọc theo trạng thái", "Filter by status", STATUSES, STATUS_CODES),
)
@click.option(
    "--verdict",
    type=click.Choice(VERDICT_CODES),
    help=_codes_help("Lọc theo đánh giá", "Filter by verdict", VERDICTS, VERDICT_CODES),
)
@click.option("--brand", help=tr("Lọc theo cơ quan (slug).", "Filter by office (slug)."))
@click.option("--json", "as_json", is_flag=True, help=tr("In dạng JSON.", "Print JSON."))
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help=tr("In dạng CSV (UTF-8, mở được bằng Excel).", "Print CSV (UTF-8, opens in Excel)."),
)
@pass_cli
def list_command(
    cli: CliContext, status: str | None, verdict: str | None, brand: str | None, as_json: bool, as_csv: bool
) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url, create=False)
    try:
        with session_scope(session_factory(engine)) as session:
            rows = FindingViews(session).find(
                FindingFilter(status=status, verdict=verdict, brand=brand or None)
            )
    finally:
        engine.dispose()
    zone = settings.evidence.display_timezone
    if as_json:
        click.echo(json_text([row.to_json() for row in rows], indent=2))
    elif as_csv:
        # Bytes with a BOM: Excel on Windows reads the file as UTF-8 only when it starts with one.
        click.echo(to_csv(rows, cli.lang, zone).encode("utf-8-sig"), nl=False)
    else:
        _print_table(rows, cli.lang, zone)


def to_csv(rows: list[FindingView], lang: Language, zone: str) -> str:
    """CSV for spreadsheets, in words and local time: formula-looking cells neutralised, controls visible."""
    zone_words = zone_label(zone, lang)
    header = [
        f"{text(key, lang)} ({zone_words})" if field in TIME_FIELDS else text(key, lang)
        for field, key in CSV_COLUMNS
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(row, field, lang, zone) for field, _ in CSV_COLUMNS])
    return out.getvalue()


def _csv_cell(row: FindingView, field: str, lang: Language, zone: str) -> Any:
    if field in ("id", "score"):
        return getattr(row, field)
    shown = safe_text(finding_words(row, field, lang, zone), limit=None)
    # A leading = + - @ makes spreadsheets evaluate the cell (CSV injection).
    return "'" + shown if shown[:1] in ("=", "+", "-", "@", "\t", "\r") else shown


def _print_table(rows: list[FindingView], lang: Language, zone: str) -> None:
    if not rows:
        click.echo(tr("Không có phát hiện nào.", "No findings.", lang))
        return
    header = [
        "#",
        text("field.verdict", lang),
        text("field.score", lang),
        text("field.status", lang),
        text("field.triage", lang),
        text("field.platform", lang),
        text("field.last_seen", lang),
        text("field.name", lang),
        text("field.link", lang),
    ]
    body = [
        [
            str(row.id),
            safe_text(finding_words(row, "verdict", lang, zone), 40),
            str(row.score),
            safe_text(finding_words(row, "status", lang, zone), 40),
            safe_text(finding_words(row, "triage", lang, zone), 40),
            safe_text(finding_words(row, "platform", lang, zone), 40),
            finding_words(row, "last_seen_at", lang, zone),
            safe_text(row.name, 60),
            safe_text(row.url, 80),
        ]
        for row in rows
    ]
    for line in table_lines(header, body):
        click.echo(line)


@findings_group.command("show", help=tr("Chi tiết một phát hiện.", "Show one finding."))
@click.argument("finding_id", type=int)
@click.option("--json", "as_json", is_flag=True, help=tr("In dạng JSON.", "Print JSON."))
@pass_cli
def show_command(cli: CliContext, finding_id: int, as_json: bool) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url, create=False)
    try:
        with session_scope(session_factory(engine)) as session:
            detail = FindingViews(session).detail(finding_id)
    finally:
        engine.dispose()
    if detail is None:
        raise MonitorError(tr(f"không có phát hiện #{finding_id}", f"no finding #{finding_id}", cli.lang))
    if as_json:
        click.echo(json_text(detail.to_json(), indent=2))
        return
    _print_detail(detail, cli.lang, settings.evidence.display_timezone)


def _print_detail(detail: FindingDetail, lang: Language, zone: str) -> None:
    view = detail.finding

    def when(value: datetime | None) -> str:
        return local_time(value, zone, NO_TIME)

    def field(key: str) -> str:
        return text(f"field.{key}", lang)

    def words(key: str) -> str:
        return safe_text(finding_words(view, key, lang, zone), 80)

    click.echo(f"#{view.id} {safe_text(view.name, 300)}")
    click.echo(
        f"  {field('platform')}: {words('platform')}   {field('identity')}: {safe_text(view.identity)}"
    )
    click.echo(f"  {field('link')}: {safe_text(view.url, 500)}")
    click.echo(
        f"  {field('score')}: {view.score}   {field('verdict')}: {words('verdict')}   "
        f"{field('status')}: {words('status')}   {field('triage')}: {words('triage')}"
    )
    first, last = when(view.first_seen_at), when(view.last_seen_at)
    click.echo(f"  {field('first_seen')}: {first}   {field('last_seen')}: {last}")
    if view.page_state:
        page = f"  {text('finding.page', lang)}: {words('page_state')}"
        if view.page_note:
            page += f" — {safe_text(view.page_note, 300)}"
        click.echo(page)
    click.echo(f"  {field('reasons')}:")
    if not view.reasons:
        click.echo(f"    - {text('item.no_reasons', lang)}")
    for reason in view.reasons:
        click.echo(f"    - {safe_text(describe_reason(reason, lang), 300)}")
    if detail.signals:
        click.echo(f"  {field('signals')}: " + ", ".join(safe_text(str(s), 80) for s in detail.signals))
    click.echo(f"  {field('history')}:")
    for entry in detail.history:
        event = label(EVENTS, entry.event, lang)
        click.echo(f"    {when(entry.observed_at)}  {event}  {safe_text(entry.name, 80)}")
    if detail.decisions:
        click.echo(f"  {field('decisions')}:")
    for decision in detail.decisions:
        by = decision.by
        officer = safe_text(by, MAX_OFFICER_CHARS) if by else tr("không rõ", "unknown", lang)
        action = label(TRIAGE, decision.action, lang)
        click.echo(f"    {when(decision.at)}  {action}  {field('officer')}: {officer}")
        if decision.note:
            click.echo(f"      {field('note')}: {safe_text(decision.note, 1000)}")
    for capture in detail.evidence:
        click.echo(f"  {field('evidence')}: {capture.sha256}  {safe_text(capture.url, 100)}")


def default_officer() -> str | None:
    """The operating-system user running the command; None when the system cannot say."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError, ImportError):  # no login name, no passwd entry, no pwd module
        return None
    return name.strip() or None


@findings_group.command(
    "mark",
    help=_codes_help("Ghi nhận quyết định của cán bộ", "Record an officer's decision", TRIAGE, ACTIONS),
)
@click.argument("finding_id", type=int)
@click.argument("action", type=click.Choice(ACTIONS), metavar="ACTION")
@click.option("--note", default=None, help=tr("Ghi chú.", "Note."))
@click.option(
    "--by",
    "officer",
    default=None,
    metavar="NAME",
    help=tr(
        "Tên cán bộ quyết định (mặc định: người dùng của máy).",
        "The deciding officer's name (default: the system user).",
    ),
)
@pass_cli
def mark_command(
    cli: CliContext, finding_id: int, action: str, note: str | None, officer: str | None
) -> None:
    by = (officer or "").strip() or default_officer()
    if by is not None and len(by) > MAX_OFFICER_CHARS:
        raise click.BadParameter(
            tr(
                f"tối đa {MAX_OFFICER_CHARS} ký tự",
                f"at most {MAX_OFFICER_CHARS} characters",
                cli.lang,
            ),
            param_hint="'--by'",
        )
    settings = cli.settings()
    engine = open_database(settings.database.url, create=False)
    try:
        with session_scope(session_factory(engine)) as session:
            repo = FindingRepository(session)
            finding = repo.by_id(finding_id)
            if finding is None:
                raise MonitorError(
                    tr(f"không có phát hiện #{finding_id}", f"no finding #{finding_id}", cli.lang)
                )
            repo.mark(finding, action, note, by)
    finally:
        engine.dispose()
    decision = label(TRIAGE, action, cli.lang)
    who = safe_text(by, MAX_OFFICER_CHARS) if by else tr("không rõ", "unknown", cli.lang)
    click.echo(
        tr(
            f"Đã ghi nhận #{finding_id}: {decision} (cán bộ: {who}).",
            f"Recorded #{finding_id}: {decision} (officer: {who}).",
            cli.lang,
        )
    )
