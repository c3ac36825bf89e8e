"""`monitor findings list|show|mark`: triage of stored findings by officers."""

from __future__ import annotations

import csv
import io
from typing import Any

import click
from sqlalchemy import select

from monitor.commands.context import CliContext, pass_cli
from monitor.display import json_text, local_time, safe_text
from monitor.errors import MonitorError
from monitor.i18n import Language, tr
from monitor.notify.texts import PAGE_STATES, label, text
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.schema import Capture, Finding, Observation, TriageEvent

STATUSES = ("active", "gone", "taken_down")
VERDICTS = ("impersonation", "suspect", "clear")
ACTIONS = ("confirmed", "dismissed", "reported", "taken_down", "official")
CSV_FIELDS = (
    "id",
    "brand",
    "platform",
    "identity",
    "url",
    "name",
    "score",
    "verdict",
    "status",
    "triage",
    "first_seen_at",
    "last_seen_at",
)


def finding_dict(finding: Finding) -> dict[str, Any]:
    """The F object of the JSON outputs."""
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
        "first_seen_at": finding.first_seen_at.isoformat(),
        "last_seen_at": finding.last_seen_at.isoformat(),
        "page_state": finding.page_state,
        "page_note": finding.page_note,
    }


@click.group("findings", help=tr("Xem và phân loại các phát hiện.", "List and triage findings."))
def findings_group() -> None:
    """Findings commands."""


@findings_group.command("list", help=tr("Liệt kê các phát hiện.", "List findings."))
@click.option("--status", type=click.Choice(STATUSES), help=tr("Lọc theo trạng thái.", "Filter by status."))
@click.option("--verdict", type=click.Choice(VERDICTS), help=tr("Lọc theo kết luận.", "Filter by verdict."))
@click.option("--brand", help=tr("Lọc theo thương hiệu (slug).", "Filter by brand slug."))
@click.option("--json", "as_json", is_flag=True, help=tr("In dạng JSON.", "Print JSON."))
@click.option("--csv", "as_csv", is_flag=True, help=tr("In dạng CSV.", "Print CSV."))
@pass_cli
def list_command(
    cli: CliContext, status: str | None, verdict: str | None, brand: str | None, as_json: bool, as_csv: bool
) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url)
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
    if as_json:
        click.echo(json_text(rows, indent=2))
    elif as_csv:
        click.echo(to_csv(rows), nl=False)
    else:
        _print_table(rows, cli.lang)


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV for spreadsheets: formula-looking cells are neutralised, controls made visible."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_cell(row[key]) for key in CSV_FIELDS})
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = safe_text(value, limit=None)
    # A leading = + - @ makes spreadsheets evaluate the cell (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _print_table(rows: list[dict[str, Any]], lang: Language) -> None:
    if not rows:
        click.echo(tr("Không có phát hiện nào.", "No findings.", lang))
        return
    for row in rows:
        click.echo(
            f"#{row['id']:<5} {row['verdict']:<13} {row['score']:>3}  {row['status']:<10} "
            f"{row['triage']:<10} {row['platform']:<9} {safe_text(row['name'], 60)}  "
            f"{safe_text(row['url'], 80)}"
        )


@findings_group.command("show", help=tr("Chi tiết một phát hiện.", "Show one finding."))
@click.argument("finding_id", type=int)
@click.option("--json", "as_json", is_flag=True, help=tr("In dạng JSON.", "Print JSON."))
@pass_cli
def show_command(cli: CliContext, finding_id: int, as_json: bool) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url)
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
                    "observed_at": o.observed_at.isoformat(),
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
                {"action": t.action, "note": t.note, "at": t.created_at.isoformat()}
                for t in session.scalars(
                    select(TriageEvent).where(TriageEvent.finding_id == finding_id).order_by(TriageEvent.id)
                )
            ]
            data["evidence"] = [
                {
                    "sha256": c.sha256,
                    "url": c.url,
                    "status": c.status,
                    "first_fetched_at": c.first_fetched_at.isoformat(),
                    "last_fetched_at": c.last_fetched_at.isoformat(),
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
    _print_detail(data, cli.lang)


def _print_detail(data: dict[str, Any], lang: Language) -> None:
    from datetime import datetime

    def when(value: str) -> str:
        return local_time(datetime.fromisoformat(value))

    def t(vi: str, en: str) -> str:
        return tr(vi, en, lang)

    click.echo(f"#{data['id']} {safe_text(data['name'], 300)}")
    click.echo(
        f"  {t('Nền tảng', 'Platform')}: {data['platform']}   {t('Định danh', 'Identity')}: "
        f"{safe_text(data['identity'])}"
    )
    click.echo(f"  URL: {safe_text(data['url'], 500)}")
    click.echo(
        f"  {t('Điểm', 'Score')}: {data['score']}  {t('Kết luận', 'Verdict')}: {data['verdict']}  "
        f"{t('Trạng thái', 'Status')}: {data['status']}  {t('Phân loại', 'Triage')}: {data['triage']}"
    )
    click.echo(
        f"  {t('Thấy lần đầu', 'First seen')}: {when(data['first_seen_at'])}   "
        f"{t('Lần cuối', 'Last seen')}: {when(data['last_seen_at'])}"
    )
    if data["page_state"]:
        page = f"  {text('finding.page', lang)}: {label(PAGE_STATES, data['page_state'], lang)}"
        if data["page_note"]:
            page += f" — {safe_text(data['page_note'], 300)}"
        click.echo(page)
    click.echo(f"  {t('Lý do', 'Reasons')}:")
    for reason in data["reasons"]:
        click.echo(
            f"    - {safe_text(str(reason.get('code', '')))}: {safe_text(str(reason.get('detail', '')), 200)}"
        )
    if data["signals"]:
        click.echo(
            f"  {t('Dấu hiệu', 'Signals')}: " + ", ".join(safe_text(str(s), 80) for s in data["signals"])
        )
    click.echo(f"  {t('Lịch sử', 'History')}:")
    for item in data["history"]:
        click.echo(f"    {when(item['observed_at'])}  {item['event']:<11} {safe_text(item['name'], 80)}")
    for item in data["evidence"]:
        click.echo(f"  {t('Bằng chứng', 'Evidence')}: {item['sha256']}  {safe_text(item['url'], 100)}")


@findings_group.command("mark", help=tr("Ghi nhận quyết định của cán bộ.", "Record an officer's decision."))
@click.argument("finding_id", type=int)
@click.argument("action", type=click.Choice(ACTIONS))
@click.option("--note", default=None, help=tr("Ghi chú.", "Note."))
@pass_cli
def mark_command(cli: CliContext, finding_id: int, action: str, note: str | None) -> None:
    settings = cli.settings()
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            repo = FindingRepository(session)
            finding = repo.by_id(finding_id)
            if finding is None:
                raise MonitorError(
                    tr(f"không có phát hiện #{finding_id}", f"no finding #{finding_id}", cli.lang)
                )
            repo.mark(finding, action, note, None)
    finally:
        engine.dispose()
    click.echo(tr(f"Đã ghi nhận #{finding_id}: {action}.", f"Recorded #{finding_id}: {action}.", cli.lang))
