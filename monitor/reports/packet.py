"""Evidence packets: the letter, original captures, screenshots, officers' files, index and hashes."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session

from monitor.display import local_time
from monitor.evidence import EvidenceArchive
from monitor.reports.cases import Fake
from monitor.reports.letter import TEMPLATE_PACKAGE, html_environment

_EXTENSIONS = {
    "text/html": "html",
    "application/json": "json",
    "text/plain": "txt",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "application/xml": "xml",
}
CHECK_NOTE = "KIEM-TRA.txt"


@dataclass(frozen=True)
class PacketFile:
    path: str
    kind: str
    label: str
    sha256: str
    taken_at: str
    url: str | None


def build_packet(
    session: Session,
    archive: EvidenceArchive,
    fakes: Sequence[Fake],
    *,
    brand_name: str,
    now: datetime,
    zone: str,
    letter_docx: bytes | None = None,
    letter_html: str | None = None,
) -> dict[str, bytes]:
    """Every file of the packet by its relative name (SHA256SUMS included)."""
    contents: dict[str, bytes] = {}
    if letter_docx is not None:
        contents["cong-van.docx"] = letter_docx
    if letter_html is not None:
        contents["cong-van.html"] = letter_html.encode("utf-8")
    per_fake: dict[int, list[PacketFile]] = {}
    for fake in fakes:
        folder = f"{fake.number:02d}-phat-hien-{fake.finding_id}"
        files: list[PacketFile] = []
        for n, entry in enumerate(fake.evidence, start=1):
            body = archive.read(entry.sha256)
            prefix = {"capture": "trang", "screenshot": "anh-chup", "officer": "tep-can-bo"}.get(
                entry.kind, "tep"
            )
            name = f"{folder}/{n:02d}-{prefix}-{entry.sha256[:12]}.{_extension(entry.media_type)}"
            contents[name] = body
            files.append(PacketFile(name, entry.kind, entry.label, entry.sha256, entry.taken_at, entry.url))
        per_fake[fake.finding_id] = files
    index = (
        html_environment()
        .get_template("packet_index.html.j2")
        .render(
            brand_name=brand_name,
            made_at=local_time(now, zone),
            fakes=fakes,
            packet_files=per_fake,
            letter_file="cong-van.docx" if letter_docx is not None else None,
            letter_html="cong-van.html" if letter_html is not None else None,
        )
    )
    contents["index.html"] = index.encode("utf-8")
    contents[CHECK_NOTE] = resources.files(TEMPLATE_PACKAGE).joinpath("templates", CHECK_NOTE).read_bytes()
    sums = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in sorted(contents.items()))
    contents["SHA256SUMS"] = sums.encode("utf-8")
    return contents


def write_packet(contents: dict[str, bytes], out: Path) -> Path:
    """Write into a folder, or a .zip when `out` ends with .zip; the path written."""
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in contents.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, body)
        out.write_bytes(buffer.getvalue())
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name, body in contents.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return out


def _extension(media_type: str | None) -> str:
    media = (media_type or "").split(";")[0].strip().lower()
    return _EXTENSIONS.get(media, "bin")
