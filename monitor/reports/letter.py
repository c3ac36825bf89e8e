"""The office's letter to an authority: a .docx from a template (packaged or the brand's) and an HTML."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateSyntaxError, select_autoescape

from monitor.display import zone_of
from monitor.errors import MonitorError
from monitor.notify.render import display
from monitor.reports.cases import Fake
from monitor.reports.channels import Channel
from monitor.settings import BrandSettings

TEMPLATE_PACKAGE = "monitor.reports"
DOCX_FOLDER = "templates/letter_docx"
DOCUMENT_PART = "word/document.xml"
# Parts rendered through Jinja2; the others are copied as they are.
RENDERED_PARTS = (DOCUMENT_PART, "docProps/core.xml")
# Kept under names packaging tools never drop (a leading dot); restored in the .docx.
_FOLDER_NAMES = {"_rels/root.rels": "_rels/.rels"}
_FIRST_PARTS = ("[Content_Types].xml", "_rels/.rels")
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class LetterContext:
    """Everything a letter template may use; every string already one line of safe text."""

    parent_agency: str
    agency: str
    brand_name: str
    symbol: str
    summary: str
    place_date: str
    recipient: str
    recipient_address: str
    count: int
    owns_social_accounts: bool
    fakes: tuple[Fake, ...]
    signer_title: str
    signer_name: str
    recipients: tuple[str, ...]
    created_iso: str

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["fakes"] = self.fakes  # kept as objects: templates read fake.name
        return data


def place_date(place: str, moment: datetime, zone: str) -> str:
    """'Bình Dương, ngày 02 tháng 12 năm 2026': days below 10 and months below 3 take a leading zero."""
    local = moment.astimezone(zone_of(zone))
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    where = f"{place}, " if place else ""
    return f"{where}ngày {local.day:02d} tháng {month} năm {local.year}"


def letter_context(
    brand: BrandSettings, channel: Channel, fakes: Sequence[Fake], now: datetime, zone: str
) -> LetterContext:
    letter = brand.letter
    name = display(brand.name, 200)
    return LetterContext(
        parent_agency=display(letter.parent_agency, 120),
        agency=display(letter.agency or brand.name.upper(), 160),
        brand_name=name,
        symbol=display(letter.symbol, 40),
        summary=f"V/v báo cáo tài khoản, trang mạo danh {name}",
        place_date=place_date(display(letter.place, 60), now, zone),
        recipient=display(channel.name, 300),
        recipient_address=display(channel.where(), 300),
        count=len(fakes),
        owns_social_accounts=brand.owns_social_accounts,
        fakes=tuple(fakes),
        signer_title=display(letter.signer_title, 80),
        signer_name=display(letter.signer_name, 80),
        recipients=tuple(display(line, 200) for line in letter.recipients),
        created_iso=now.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
    )


def template_parts(template: Path | None) -> dict[str, bytes]:
    """The parts of the letter template: a brand's .docx or folder, else the packaged one."""
    if template is None:
        root = resources.files(TEMPLATE_PACKAGE).joinpath(DOCX_FOLDER)
        return _folder_parts(Path(str(root)))
    try:
        if template.is_dir():
            return _folder_parts(template)
        with zipfile.ZipFile(template) as archive:
            return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    except (OSError, zipfile.BadZipFile) as exc:
        raise MonitorError(f"letter template {template}: {exc}") from exc


def render_docx(context: LetterContext, template: Path | None = None) -> bytes:
    """The letter as .docx bytes."""
    parts = template_parts(template)
    if DOCUMENT_PART not in parts:
        raise MonitorError(f"letter template {template}: no {DOCUMENT_PART}")
    values = context.as_dict()
    rendered = dict(parts)
    for name in RENDERED_PARTS:
        if name in parts:
            rendered[name] = _render_xml(parts[name].decode("utf-8"), values, template).encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        order = [name for name in _FIRST_PARTS if name in rendered]
        order += sorted(name for name in rendered if name not in _FIRST_PARTS)
        for name in order:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, rendered[name])
    return out.getvalue()


def render_html(context: LetterContext) -> str:
    """The same letter as a printable A4 HTML page."""
    return html_environment().get_template("letter.html.j2").render(**context.as_dict())


def _render_xml(source: str, values: dict[str, Any], template: Path | None) -> str:
    environment = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    try:
        return environment.from_string(source).render(**values)
    except TemplateSyntaxError as exc:
        raise MonitorError(
            f"letter template {template or 'packaged'}: line {exc.lineno}: {exc.message}"
        ) from exc


def _folder_parts(root: Path) -> dict[str, bytes]:
    parts = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            name = path.relative_to(root).as_posix()
            parts[_FOLDER_NAMES.get(name, name)] = path.read_bytes()
    return parts


@cache
def html_environment() -> Environment:
    return Environment(
        loader=PackageLoader(TEMPLATE_PACKAGE, "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
