"""`monitor digest`: send each brand's digest of everything since the previous one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.digest import DigestResult, send_digests
from monitor.display import NO_TIME, local_time, zone_of
from monitor.errors import NotifyError
from monitor.i18n import LANGUAGES, Language, tr
from monitor.store.db import open_database, session_factory


def parse_since(value: str, zone_name: str) -> datetime:
    """An ISO 8601 date or time; without an offset it is read in the schedule's time zone."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError as exc:
        raise click.BadParameter(
            tr(
                "không phải thời điểm ISO 8601, ví dụ 2026-12-01 hoặc 2026-12-01T07:30+07:00",
                "not an ISO 8601 time, e.g. 2026-12-01 or 2026-12-01T07:30+07:00",
            ),
            param_hint="--since",
        ) from exc
    return moment.replace(tzinfo=zone_of(zone_name)) if moment.tzinfo is None else moment


def _describe(result: DigestResult, zone_name: str, lang: Language) -> str:
    start = local_time(result.period_start, zone_name, NO_TIME)
    end = local_time(result.period_end, zone_name, NO_TIME)
    messages = {
        "sent": tr("đã gửi «{subject}» ({start} → {end})", "sent “{subject}” ({start} → {end})", lang),
        "failed": tr(
            "CHƯA gửi được, sẽ thử lại lần sau: {error}", "NOT sent, retried next run: {error}", lang
        ),
        "dry_run": tr("chạy thử, không gửi: «{subject}»", "dry run, not sent: “{subject}”", lang),
        "written": tr("đã ghi tệp, không gửi: «{subject}»", "written to a file, not sent: “{subject}”", lang),
        "empty": tr(
            "không có gì mới từ {start}; không gửi thư",
            "nothing new since {start}; no mail sent",
            lang,
        ),
        "taken": tr(
            "kỳ này đang được một tiến trình khác gửi",
            "another process is sending this period",
            lang,
        ),
        "no_scans": tr("chưa có lượt quét nào; chưa có gì để báo", "no scan yet; nothing to report", lang),
    }
    line = messages[result.status].format(subject=result.subject, start=start, end=end, error=result.error)
    if result.path is not None:
        line += tr(" — tệp: {path}", " — file: {path}", lang).format(path=result.path)
    return f"{result.brand}: {line}"


@click.command(
    "digest",
    help=tr(
        "Gửi bản tin của mỗi cơ quan: mọi điều mới kể từ bản tin trước (hoặc từ lượt quét đầu tiên).",
        "Send each brand's digest: everything new since the previous digest (or the first scan).",
    ),
)
@click.option(
    "--since",
    metavar="ISO8601",
    default=None,
    help=tr(
        "Bắt đầu kỳ báo cáo từ thời điểm này thay vì bản tin trước.",
        "Start the period here instead of at the previous digest.",
    ),
)
@click.option(
    "--dry-run",
    is_flag=True,
    help=tr("Dựng bản tin và in ra, không gửi, không ghi nhận.", "Build and print, do not send or record."),
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    default=None,
    help=tr(
        "Ghi thư ra tệp .eml (một tệp mỗi cơ quan).", "Write the message to an .eml file (one per brand)."
    ),
)
@click.option(
    "--lang",
    "mail_lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help=tr("Ngôn ngữ của bản tin (mặc định: email.language).", "Digest language (default: email.language)."),
)
@pass_cli
def digest_command(
    cli: CliContext, since: str | None, dry_run: bool, out: Path | None, mail_lang: Language | None
) -> None:
    settings = cli.settings()
    zone_name = settings.schedule.timezone
    start = parse_since(since, zone_name) if since is not None else None
    engine = open_database(settings.database.url, echo=settings.database.echo, create=False)
    try:
        results = send_digests(
            session_factory(engine), settings, since=start, dry_run=dry_run, out=out, lang=mail_lang
        )
    finally:
        engine.dispose()
    for result in results:
        click.echo(_describe(result, zone_name, cli.lang))
        if dry_run and out is None and result.digest is not None:
            click.echo("")
            click.echo(result.digest.text)
    failed = [result for result in results if result.status == "failed"]
    if failed:
        raise NotifyError(failed[0].error or failed[0].brand)
