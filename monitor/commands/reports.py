"""`monitor reports channels|list|show|update|approve|submit|poll`: reports followed until a fake is gone.

Nothing leaves the monitor without an officer's approval; only Netcraft and abuse e-mails are sent by
the monitor itself, once each. Other channels get a block of fields to copy into their form.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

import click
from sqlalchemy.orm import Session

from monitor.commands.context import CliContext, pass_cli
from monitor.commands.findings import default_officer
from monitor.commands.report import pick_brand
from monitor.display import json_text, local_time, safe_text, table_lines, zone_of
from monitor.errors import MonitorError
from monitor.evidence import EvidenceArchive
from monitor.i18n import Language, tr
from monitor.reports.cases import build_fakes
from monitor.reports.channels import catalogue, find_channel
from monitor.reports.messages import form_block
from monitor.reports.submit import mark_reported, poll_netcraft, submit_approved
from monitor.reports.views import event_view, report_view
from monitor.reports.words import ACTION_WORDS, HEADERS, KIND_WORDS, STATUS_WORDS, word
from monitor.settings import Settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.reports import OPEN, STATUSES, ReportRepository
from monitor.store.schema import Finding
from monitor.store.schema_reports import Report

BY_OPTION = click.option(
    "--by",
    "officer",
    default=None,
    metavar="NAME",
    help=tr("Tên cán bộ (mặc định: người dùng của máy).", "The officer's name (default: the system user)."),
)
BRAND_OPTION = click.option(
    "--brand", "brand_slug", default=None, metavar="SLUG", help=tr("Cơ quan.", "Brand.")
)


@click.group(
    "reports",
    help=tr(
        "Các kênh báo cáo và theo dõi từng báo cáo đến khi trang giả bị gỡ.",
        "Report channels, and each report followed until the fake is gone.",
    ),
)
def reports_group() -> None:
    """Report records."""


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = open_database(settings.database.url, create=False)
    try:
        with session_scope(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _h(key: str, lang: Language) -> str:
    return word(HEADERS, key, lang)


@reports_group.command("channels", help=tr("Các kênh báo cáo của cơ quan.", "The brand's report channels."))
@BRAND_OPTION
@click.option("--json", "as_json", is_flag=True, help=tr("In JSON.", "Print JSON."))
@pass_cli
def channels_command(cli: CliContext, brand_slug: str | None, as_json: bool) -> None:
    settings = cli.settings()
    brands = [settings.brand(brand_slug)] if brand_slug else settings.brands
    if as_json:
        data = [{"brand": b.slug, **c.to_dict(cli.lang)} for b in brands for c in catalogue(b)]
        click.echo(json_text(data, indent=2))
        return
    for brand in brands:
        click.echo(safe_text(brand.name, 200))
        rows = [
            [c.key, safe_text(c.name, 90), word(KIND_WORDS, c.kind, cli.lang), safe_text(c.where(), 90)]
            for c in catalogue(brand)
        ]
        header = [_h("key", cli.lang), _h("name", cli.lang), _h("kind", cli.lang), _h("where", cli.lang)]
        for line in table_lines(header, rows):
            click.echo("  " + line)


@reports_group.command("list", help=tr("Danh sách báo cáo.", "List reports."))
@BRAND_OPTION
@click.option("--status", type=click.Choice(STATUSES), default=None, help=tr("Trạng thái.", "Status."))
@click.option("--json", "as_json", is_flag=True, help=tr("In JSON.", "Print JSON."))
@pass_cli
def list_command(cli: CliContext, brand_slug: str | None, status: str | None, as_json: bool) -> None:
    settings, lang = cli.settings(), cli.lang
    zone = settings.evidence.display_timezone
    with _session(settings) as session:
        reports = ReportRepository(session).list(brand=brand_slug, status=status)
        if as_json:
            click.echo(json_text([report_view(r) for r in reports], indent=2))
            return
        if not reports:
            click.echo(tr("Chưa có báo cáo nào.", "No reports yet.", lang))
            return
        keys = (
            "id",
            "finding",
            "channel",
            "status",
            "approved",
            "submitted",
            "reference",
            "follow_up",
            "taken_down",
        )
        rows = [
            [
                str(r.id),
                f"#{r.finding_id}",
                safe_text(r.channel, 32),
                word(STATUS_WORDS, r.status, lang),
                safe_text(r.approved_by or "—", 30) if r.approved_at else "—",
                local_time(r.submitted_at, zone, "—"),
                safe_text(r.reference or "—", 40),
                local_time(r.next_follow_up_at, zone, "—"),
                local_time(r.taken_down_at, zone, "—"),
            ]
            for r in reports
        ]
        for line in table_lines([_h(k, lang) for k in keys], rows):
            click.echo(line)


@reports_group.command("show", help=tr("Chi tiết và lịch sử một báo cáo.", "One report with its history."))
@click.argument("report_id", type=int)
@click.option("--json", "as_json", is_flag=True, help=tr("In JSON.", "Print JSON."))
@pass_cli
def show_command(cli: CliContext, report_id: int, as_json: bool) -> None:
    settings, lang = cli.settings(), cli.lang
    zone = settings.evidence.display_timezone
    with _session(settings) as session:
        repo = ReportRepository(session)
        report = _report(repo, report_id, lang)
        events = repo.events(report.id)
        view = report_view(report)
        if as_json:
            view["events"] = [event_view(e) for e in events]
            click.echo(json_text(view, indent=2))
            return
        click.echo(f"{_h('id', lang)} {report.id} · #{report.finding_id} · {safe_text(report.channel, 40)}")
        click.echo(f"  {_h('status', lang)}: {word(STATUS_WORDS, report.status, lang)}")
        if report.approved_at:
            click.echo(
                f"  {_h('approved', lang)}: {local_time(report.approved_at, zone)} · {report.approved_by}"
            )
        for key, value in (
            ("submitted", local_time(report.submitted_at, zone)),
            ("reference", report.reference),
            ("answer", report.answer),
            ("follow_up", local_time(report.next_follow_up_at, zone)),
            ("taken_down", local_time(report.taken_down_at, zone)),
        ):
            if value:
                click.echo(f"  {_h(key, lang)}: {safe_text(value, 500)}")
        click.echo(f"  {_h('history', lang)}:")
        for e in events:
            change = (
                f" {word(STATUS_WORDS, e.old_status, lang) if e.old_status else ''} → "
                f"{word(STATUS_WORDS, e.new_status, lang)}"
                if e.new_status
                else ""
            )
            note = f" · {safe_text(e.note, 300)}" if e.note else ""
            actor = safe_text(e.actor or "—", 60)
            action = word(ACTION_WORDS, e.action, lang)
            click.echo(f"    {local_time(e.created_at, zone)}  {action}{change}  {actor}{note}")


def parse_day(value: str, zone: str, lang: Language) -> datetime:
    """dd/mm/yyyy (or yyyy-mm-dd), 08:00 local time, as UTC."""
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        return datetime.combine(day, time(8, 0), tzinfo=zone_of(zone)).astimezone(UTC)
    raise click.BadParameter(
        tr("dạng ngày dd/mm/yyyy", "a date like dd/mm/yyyy", lang), param_hint="'--follow-up'"
    )


@reports_group.command("update", help=tr("Cập nhật một báo cáo.", "Update a report."))
@click.argument("report_id", type=int)
@click.option(
    "--status", type=click.Choice(STATUSES), default=None, help=tr("Trạng thái mới.", "New status.")
)
@click.option("--reference", default=None, help=tr("Mã tham chiếu của nơi nhận.", "The channel's reference."))
@click.option("--answer", default=None, help=tr("Nội dung trả lời.", "The answer received."))
@click.option(
    "--follow-up",
    "follow_up",
    default=None,
    metavar="DD/MM/YYYY",
    help=tr("Ngày theo dõi lại.", "Next follow-up."),
)
@click.option("--note", default=None, help=tr("Ghi chú.", "Note."))
@BY_OPTION
@pass_cli
def update_command(
    cli: CliContext,
    report_id: int,
    status: str | None,
    reference: str | None,
    answer: str | None,
    follow_up: str | None,
    note: str | None,
    officer: str | None,
) -> None:
    settings, lang = cli.settings(), cli.lang
    by = (officer or "").strip()[:128] or default_officer()
    when = parse_day(follow_up, settings.evidence.display_timezone, lang) if follow_up else None
    now = datetime.now(UTC)
    with _session(settings) as session:
        repo = ReportRepository(session)
        report = _report(repo, report_id, lang)
        if status in OPEN and report.status == "not_submitted" and when is None:
            when = now + timedelta(days=settings.reports.follow_up_days)
        repo.update(
            report,
            now=now,
            actor=by,
            status=status,
            reference=reference,
            answer=answer,
            next_follow_up_at=when,
            note=note,
        )
        if status in OPEN:
            mark_reported(session, report.finding_id, by, f"report #{report.id} → {report.channel}")
        click.echo(tr(f"Đã cập nhật báo cáo {report.id}.", f"Updated report {report.id}.", lang))


@reports_group.command(
    "approve",
    help=tr(
        "Duyệt báo cáo phát hiện qua một kênh (tạo bản ghi nếu chưa có).",
        "Approve reporting findings through a channel (creating the records).",
    ),
)
@click.argument("finding_ids", type=int, nargs=-1, required=True)
@click.option("--to", "channel_key", required=True, metavar="KEY", help=tr("Mã kênh.", "Channel key."))
@BY_OPTION
@pass_cli
def approve_command(
    cli: CliContext, finding_ids: tuple[int, ...], channel_key: str, officer: str | None
) -> None:
    settings, lang = cli.settings(), cli.lang
    by = (officer or "").strip()[:128] or default_officer() or "officer"
    now = datetime.now(UTC)
    archive = EvidenceArchive(settings.evidence.dir)
    with _session(settings) as session:
        repo = ReportRepository(session)
        for finding_id in finding_ids:
            finding = session.get(Finding, finding_id)
            if finding is None:
                raise MonitorError(tr(f"không có phát hiện #{finding_id}", f"no finding #{finding_id}", lang))
            brand = settings.brand(finding.brand)
            channel = find_channel(brand, channel_key, lang)
            report = repo.ensure(finding.id, brand.slug, channel.key, channel.kind, actor=by, now=now)
            repo.approve(report, actor=by, now=now)
            if channel.machine:
                click.echo(
                    tr(
                        f"Báo cáo {report.id} (#{finding_id} → {channel.key}) đã duyệt; "
                        "gửi bằng `monitor reports submit`.",
                        f"Report {report.id} (#{finding_id} → {channel.key}) approved; "
                        "send it with `monitor reports submit`.",
                        lang,
                    )
                )
                continue
            fake = build_fakes(session, archive, [finding], settings.evidence.display_timezone, lang)[0]
            click.echo(form_block(brand, channel, fake, lang))
            click.echo(
                tr(
                    f"Sau khi gửi: monitor reports update {report.id} --status submitted --reference MÃ",
                    f"Once sent: monitor reports update {report.id} --status submitted --reference REF",
                    lang,
                )
            )


@reports_group.command(
    "submit",
    help=tr(
        "Gửi các báo cáo đã duyệt qua kênh máy (Netcraft, thư abuse tìm qua RDAP), mỗi báo cáo một lần.",
        "Send approved reports through machine channels (Netcraft, RDAP abuse e-mail), once each.",
    ),
)
@BRAND_OPTION
@click.option(
    "--report", "report_ids", type=int, multiple=True, help=tr("Chỉ báo cáo này.", "Only this report.")
)
@BY_OPTION
@pass_cli
def submit_command(
    cli: CliContext, brand_slug: str | None, report_ids: tuple[int, ...], officer: str | None
) -> None:
    settings, lang = cli.settings(), cli.lang
    brand = pick_brand(settings, brand_slug, lang)
    by = (officer or "").strip()[:128] or default_officer()
    engine = open_database(settings.database.url, create=False)
    try:
        outcomes = asyncio.run(
            submit_approved(
                settings,
                session_factory(engine),
                brand,
                actor=by,
                now=lambda: datetime.now(UTC),
                report_ids=report_ids,
            )
        )
    finally:
        engine.dispose()
    if not outcomes:
        click.echo(
            tr("Không có báo cáo nào đã duyệt chờ gửi.", "No approved report is waiting to be sent.", lang)
        )
    failed = False
    for o in outcomes:
        failed |= o.result == "failed"
        words = {"sent": ("đã gửi", "sent"), "failed": ("lỗi", "failed"), "skipped": ("bỏ qua", "skipped")}
        result = word(words, o.result, lang)
        click.echo(f"{o.report_id} #{o.finding_id} {o.channel}: {result} · {safe_text(o.detail, 300)}")
    if failed:
        raise SystemExit(1)


@reports_group.command(
    "poll", help=tr("Hỏi Netcraft trạng thái các báo cáo đã gửi.", "Ask Netcraft about sent reports.")
)
@BRAND_OPTION
@pass_cli
def poll_command(cli: CliContext, brand_slug: str | None) -> None:
    settings, lang = cli.settings(), cli.lang
    brand = pick_brand(settings, brand_slug, lang)
    engine = open_database(settings.database.url, create=False)
    try:
        outcomes = asyncio.run(
            poll_netcraft(settings, session_factory(engine), brand, now=lambda: datetime.now(UTC))
        )
    finally:
        engine.dispose()
    for o in outcomes:
        click.echo(f"{o.report_id} #{o.finding_id} {o.channel}: {safe_text(o.detail, 200)}")
    if not outcomes:
        click.echo(tr("Không có báo cáo Netcraft nào đang chờ.", "No Netcraft report is open.", lang))


def _report(repo: ReportRepository, report_id: int, lang: Language) -> Report:
    report = repo.get(report_id)
    if report is None:
        raise MonitorError(tr(f"không có báo cáo {report_id}", f"no report {report_id}", lang))
    return report
