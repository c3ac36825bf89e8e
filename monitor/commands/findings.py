"""`monitor findings list|show|mark`: triage of stored findings by officers."""

from __future__ import annotations

import csv
import getpass
import io
from datetime import datetime
from typing import Any

import click
from sqlalchemy import select

from monitor.commands.context import CliContext, pass_cli
from monitor.display import json_text, local_time, machine_time, safe_text, table_lines
from monitor.errors import MonitorError
from monitor.i18n import Language, tr
from monitor.notify.texts import (
    EVENTS,
    PAGE_STATES,
    PLATFORMS,
    STATUSES,
    TRIAGE,
    VERDICTS,
    ZONES,
    label,
    text,
)
from monitor.notify.views import describe_reason
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.schema import Capture, Finding, Observation, TriageEvent

STATUS_CODES = tuple(STATUSES)
VERDICT_CODES = tuple(VERDICTS)
ACTIONS = ("confirmed", "dismissed", "reported", "taken_down", "official")
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
TIME_COLUMNS = frozenset({"first_seen_at", "last_seen_at"})
# Which words (notify.texts, shared with the e-mails) each coded field is shown with.
VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "verdict": VERDICTS,
    "status": STATUSES,
    "triage": TRIAGE,
    "platform": PLATFORMS,
    "page_state": PAGE_STATES,
}


def finding_dict(finding: Finding) -> dict[str, Any]:
    """The F object of the JSON outputs: codes and ISO 8601 times, for programs."""
    return {
        "id": finding.id,
        "brand": finding.brand,
        "platform": finding.platform,
        "identity": finding.identity,
        "url": finding.url,
        "name": finding.name,
        "score": finding.score,
        "verdict": finding.verdict,
        "reasons": finding.reasons,
        "status": finding.status,
        "triage": finding.triage,
        "first_seen_at": machine_time(finding.first_seen_at),
        "last_seen_at": machine_time(finding.last_seen_at),
        "page_state": finding.page_state,
        "page_note": finding.page_note,
    }


def words(row: dict[str, Any], key: str, lang: Language, zone: str) -> str:
    """One field of a finding as people read it: words for codes, local time for moments."""
    value = row.get(key)
    if key in TIME_COLUMNS:
        return local_time(datetime.fromisoformat(value), zone) if value else ""
    table = VOCABULARY.get(key)
    if table is not None and isinstance(value, str):
        return label(table, value, lang)
    return "" if value is None else str(value)


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
            query = select(Finding).order_by(Finding.id)
            if status:
                query = query.where(Finding.status == status)
            if verdict:
                query = query.where(Finding.verdict == verdict)
            if brand:
                query = query.where(Finding.brand == brand)
            rows = [finding_dict(f) for f in session.scalars(query)]
    finally:
        engine.dispose()
    zone = settings.evidence.display_timezone
    if as_json:
        click.echo(json_text(rows, indent=2))
    elif as_csv:
        # Bytes with a BOM: Excel on Windows reads the file as UTF-8 only when it starts with one.
        click.echo(to_csv(rows, cli.lang, zone).encode("utf-8-sig"), nl=False)
    else:
        _print_table(rows, cli.lang, zone)


def to_csv(rows: list[dict[str, Any]], lang: Language, zone: str) -> str:
    """CSV for spreadsheets, in words and local time: formula-looking cells neutralised, controls visible."""
    zone_words = label(ZONES, zone, lang) if zone in ZONES else zone
    header = [
        f"{text(key, lang)} ({zone_words})" if field in TIME_COLUMNS else text(key, lang)
        for field, key in CSV_COLUMNS
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(row, field, lang, zone) for field, _ in CSV_COLUMNS])
    return out.getvalue()


def _csv_cell(row: dict[str, Any], field: str, lang: Language, zone: str) -> Any:
    if field in ("id", "score"):
        return row[field]
    shown = safe_text(words(row, field, lang, zone), limit=None)
    # A leading = + - @ makes spreadsheets evaluate the cell (CSV injection).
    return "'" + shown if shown[:1] in ("=", "+", "-", "@", "\t", "\r") else shown


def _print_table(rows: list[dict[str, Any]], lang: Language, zone: str) -> None:
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
            str(row["id"]),
            words(row, "verdict", lang, zone),
            str(row["score"]),
            words(row, "status", lang, zone),
            words(row, "triage", lang, zone),
            words(row, "platform", lang, zone),
            words(row, "last_seen_at", lang, zone),
            safe_text(row["name"], 60),
            safe_text(row["url"], 80),
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
            finding = session.get(Finding, finding_id)
            if finding is None:
                raise MonitorError(
                    tr(f"không có phát hiện #{finding_id}", f"no finding #{finding_id}", cli.lang)
                )
            data = finding_dict(finding)
            data["signals"] = finding.signals
            data["sources"] = finding.sources
            data["history"] = [
                {
                    "event": o.event,
                    "observed_at": machine_time(o.observed_at),
                    "name": o.name,
                    "url": o.url,
                    "score": o.score,
                    "verdict": o.verdict,
                    "evidence_sha256": o.evidence_sha256,
                }
                for o in session.scalars(
                    select(Observation).where(Observation.finding_id == finding_id).order_by(Observation.id)
                )
            ]
            data["triage_events"] = [
                {"action": t.action, "note": t.note, "by": t.actor, "at": machine_time(t.created_at)}
                for t in session.scalars(
                    select(TriageEvent).where(TriageEvent.finding_id == finding_id).order_by(TriageEvent.id)
                )
            ]
            data["evidence"] = [
                {
                    "sha256": c.sha256,
                    "url": c.url,
                    "status": c.status,
                    "first_fetched_at": machine_time(c.first_fetched_at),
                    "last_fetched_at": machine_time(c.last_fetched_at),
                }
                for c in session.scalars(
                    select(Capture).where(Capture.finding_id == finding_id).order_by(Capture.id)
                )
            ]
    finally:
        engine.dispose()
    if as_json:
        click.echo(json_text(data, indent=2))
        return
    _print_detail(data, cli.lang, settings.evidence.display_timezone)


def _print_detail(data: dict[str, Any], lang: Language, zone: str) -> None:
    def when(value: str | None) -> str:
        return local_time(datetime.fromisoformat(value), zone) if value else "—"

    def field(key: str) -> str:
        return text(f"field.{key}", lang)

    click.echo(f"#{data['id']} {safe_text(data['name'], 300)}")
    click.echo(
        f"  {field('platform')}: {words(data, 'platform', lang, zone)}   "
        f"{field('identity')}: {safe_text(data['identity'])}"
    )
    click.echo(f"  {field('link')}: {safe_text(data['url'], 500)}")
    click.echo(
        f"  {field('score')}: {data['score']}   {field('verdict')}: {words(data, 'verdict', lang, zone)}   "
        f"{field('status')}: {words(data, 'status', lang, zone)}   "
        f"{field('triage')}: {words(data, 'triage', lang, zone)}"
    )
    click.echo(
        f"  {field('first_seen')}: {when(data['first_seen_at'])}   "
        f"{field('last_seen')}: {when(data['last_seen_at'])}"
    )
    if data["page_state"]:
        page = f"  {text('finding.page', lang)}: {words(data, 'page_state', lang, zone)}"
        if data["page_note"]:
            page += f" — {safe_text(data['page_note'], 300)}"
        click.echo(page)
    click.echo(f"  {field('reasons')}:")
    if not data["reasons"]:
        click.echo(f"    - {text('item.no_reasons', lang)}")
    for reason in data["reasons"]:
        click.echo(f"    - {safe_text(describe_reason(reason, lang), 300)}")
    if data["signals"]:
        click.echo(f"  {field('signals')}: " + ", ".join(safe_text(str(s), 80) for s in data["signals"]))
    click.echo(f"  {field('history')}:")
    for item in data["history"]:
        event = label(EVENTS, item["event"], lang)
        click.echo(f"    {when(item['observed_at'])}  {event}  {safe_text(item['name'], 80)}")
    if data["triage_events"]:
        click.echo(f"  {field('decisions')}:")
    for item in data["triage_events"]:
        officer = safe_text(item["by"], MAX_OFFICER_CHARS) if item["by"] else tr("không rõ", "unknown", lang)
        line = f"    {when(item['at'])}  {label(TRIAGE, item['action'], lang)}  {field('officer')}: {officer}"
        click.echo(line)
        if item["note"]:
            click.echo(f"      {field('note')}: {safe_text(item['note'], 1000)}")
    for item in data["evidence"]:
        click.echo(f"  {field('evidence')}: {item['sha256']}  {safe_text(item['url'], 100)}")


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
