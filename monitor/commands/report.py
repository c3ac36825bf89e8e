"""`monitor report letter|packet`: the office's letter to an authority and its evidence packet."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.errors import MonitorError
from monitor.evidence import EvidenceArchive
from monitor.i18n import Language, tr
from monitor.reports.cases import build_fakes, select_findings
from monitor.reports.channels import Channel, find_channel
from monitor.reports.letter import DOCX_MEDIA_TYPE, letter_context, render_docx, render_html
from monitor.reports.packet import build_packet, write_packet
from monitor.settings import BrandSettings, Settings
from monitor.store.db import open_database, session_factory, session_scope

__all__ = ["DOCX_MEDIA_TYPE", "report_group"]


@click.group(
    "report",
    help=tr(
        "Công văn gửi cơ quan chức năng và hồ sơ bằng chứng.",
        "The letter to the authorities and the evidence packet.",
    ),
)
def report_group() -> None:
    """Report documents."""


def _brand_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--brand", "brand_slug", default=None, metavar="SLUG", help=tr("Cơ quan (slug).", "Brand (slug).")
    )(function)


def _selection(function: click.decorators.FC) -> click.decorators.FC:
    function = click.option(
        "--triage",
        default=None,
        metavar="WORD",
        help=tr(
            "Mọi phát hiện có phân loại này (ví dụ confirmed).",
            "Every finding with this triage (e.g. confirmed).",
        ),
    )(function)
    return click.option(
        "--finding",
        "finding_ids",
        type=int,
        multiple=True,
        metavar="ID",
        help=tr("Số phát hiện (lặp lại được).", "Finding id (repeatable)."),
    )(function)


@report_group.command(
    "letter",
    help=tr(
        "Soạn công văn (.docx, kèm bản .html để in) báo cáo các tài khoản mạo danh gửi một cơ quan.",
        "Write the letter (.docx, with a printable .html) reporting fakes to one authority.",
    ),
)
@_brand_option
@_selection
@click.option("--to", "channel_key", required=True, metavar="KEY", help=tr("Mã kênh nhận.", "Channel key."))
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help=tr("Tệp .docx cần ghi.", "The .docx file to write."),
)
@pass_cli
def letter_command(
    cli: CliContext,
    brand_slug: str | None,
    finding_ids: tuple[int, ...],
    triage: str | None,
    channel_key: str,
    out: Path,
) -> None:
    settings = cli.settings()
    brand = pick_brand(settings, brand_slug, cli.lang)
    channel = find_channel(brand, channel_key, cli.lang)
    docx, html, count = _letter(settings, brand, channel, finding_ids, triage, cli.lang)
    html_path = out.with_suffix(".html")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(docx)
        html_path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise MonitorError(
            tr(f"không ghi được {out}: {exc}", f"cannot write {out}: {exc}", cli.lang)
        ) from exc
    click.echo(
        tr(
            f"Đã soạn công văn gửi {channel.name} về {count} tài khoản, trang mạo danh: {out} "
            f"(bản in: {html_path})",
            f"Wrote the letter to {channel.name} about {count} fake(s): {out} (printable: {html_path})",
            cli.lang,
        )
    )


@report_group.command(
    "packet",
    help=tr(
        "Lập hồ sơ bằng chứng (thư mục hoặc .zip): công văn, trang gốc, ảnh chụp, mục lục và SHA256SUMS.",
        "Build the evidence packet (folder or .zip): letter, original pages, screenshots, index, SHA256SUMS.",
    ),
)
@click.argument("ids", type=int, nargs=-1)
@_brand_option
@click.option("--triage", default=None, metavar="WORD", help=tr("Phân loại.", "Triage word."))
@click.option(
    "--to",
    "channel_key",
    default=None,
    metavar="KEY",
    help=tr("Kèm công văn gửi kênh này.", "Add the letter."),
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    help=tr("Thư mục hoặc tệp .zip.", "A folder or a .zip file."),
)
@pass_cli
def packet_command(
    cli: CliContext,
    ids: tuple[int, ...],
    brand_slug: str | None,
    triage: str | None,
    channel_key: str | None,
    out: Path,
) -> None:
    settings = cli.settings()
    brand = pick_brand(settings, brand_slug, cli.lang)
    zone = settings.evidence.display_timezone
    now = datetime.now(UTC)
    archive = EvidenceArchive(settings.evidence.dir)
    engine = open_database(settings.database.url, create=False)
    try:
        with session_scope(session_factory(engine)) as session:
            findings = select_findings(session, brand.slug, ids, triage, cli.lang)
            fakes = build_fakes(session, archive, findings, zone)
            docx = html = None
            if channel_key is not None:
                channel = find_channel(brand, channel_key, cli.lang)
                context = letter_context(brand, channel, fakes, now, zone)
                docx, html = render_docx(context, _template(settings, brand)), render_html(context)
            contents = build_packet(
                session,
                archive,
                fakes,
                brand_name=brand.name,
                now=now,
                zone=zone,
                letter_docx=docx,
                letter_html=html,
            )
    finally:
        engine.dispose()
    try:
        written = write_packet(contents, out)
    except OSError as exc:
        raise MonitorError(
            tr(f"không ghi được {out}: {exc}", f"cannot write {out}: {exc}", cli.lang)
        ) from exc
    empty = [fake.finding_id for fake in fakes if not fake.evidence]
    click.echo(
        tr(
            f"Đã lập hồ sơ {written}: {len(fakes)} tài khoản, trang, {len(contents)} tệp "
            "(mở index.html; kiểm tra theo KIEM-TRA.txt).",
            f"Wrote the packet {written}: {len(fakes)} fake(s), {len(contents)} files "
            "(open index.html; check it as KIEM-TRA.txt says).",
            cli.lang,
        )
    )
    if empty:
        listed = ", ".join(f"#{n}" for n in empty)
        click.echo(
            tr(
                f"Chưa có tệp bằng chứng: {listed} — thêm ảnh chụp bằng `monitor evidence add ID TỆP`.",
                f"No evidence file yet: {listed} — add screenshots with `monitor evidence add ID FILE`.",
                cli.lang,
            )
        )


def _letter(
    settings: Settings,
    brand: BrandSettings,
    channel: Channel,
    finding_ids: tuple[int, ...],
    triage: str | None,
    lang: Language,
) -> tuple[bytes, str, int]:
    zone = settings.evidence.display_timezone
    archive = EvidenceArchive(settings.evidence.dir)
    engine = open_database(settings.database.url, create=False)
    try:
        with session_scope(session_factory(engine)) as session:
            findings = select_findings(session, brand.slug, finding_ids, triage, lang)
            fakes = build_fakes(session, archive, findings, zone)
            context = letter_context(brand, channel, fakes, datetime.now(UTC), zone)
    finally:
        engine.dispose()
    return render_docx(context, _template(settings, brand)), render_html(context), len(fakes)


def _template(settings: Settings, brand: BrandSettings) -> Path | None:
    """The brand's own letter template, relative paths read from beside brands.toml."""
    template = brand.letter.template
    if template is None or template.is_absolute():
        return template
    return settings.brands_path.parent / template


def pick_brand(settings: Settings, slug: str | None, lang: Language) -> BrandSettings:
    if slug is not None:
        return settings.brand(slug)
    if len(settings.brands) == 1:
        return settings.brands[0]
    known = ", ".join(brand.slug for brand in settings.brands)
    raise MonitorError(tr(f"cần --brand (có: {known})", f"give --brand (known: {known})", lang))
