"""The office's letter: every required part and every listed fake, hostile names, brand templates."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import docx
from docx.shared import Mm

from monitor.evidence import EvidenceArchive
from monitor.reports.letter import DOCX_FOLDER, template_parts
from monitor.store.db import open_database, session_factory, session_scope
from tests.reports.helpers import HOSTILE, RunCli, add_finding, capture, officer_file

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _seed(db_url: str, evidence: Path) -> dict[str, object]:
    engine = open_database(db_url)
    archive = EvidenceArchive(evidence)
    with session_scope(session_factory(engine)) as session:
        web = add_finding(
            session,
            "web",
            "web:bhxh-binhduong.com",
            "https://bhxh-binhduong.com/rut-bhxh-1-lan",
            "BHXH Bình Dương - Hỗ trợ rút BHXH 1 lần",
            signals=["phone:0901234567", "zalo:0901234567", "bank:19036688888"],
        )
        page_sha = capture(session, archive, web, "<html><title>BHXH Bình Dương</title></html>".encode())
        facebook = add_finding(
            session,
            "facebook",
            "facebook:page:bhxhbd.hotro",
            "https://www.facebook.com/bhxhbd.hotro",
            "BHXH BD",
        )
        shot_sha = officer_file(session, archive, facebook, b"\x89PNG officer", "anh-chup.png")
        hostile = add_finding(session, "telegram", "telegram:bhxh_bd", "https://t.me/bhxh_bd", HOSTILE)
        add_finding(
            session, "web", "web:other.example", "https://other.example/", "Untriaged", triage="untriaged"
        )
        ids = {"web": web.id, "facebook": facebook.id, "hostile": hostile.id}
    engine.dispose()
    return {"ids": ids, "page_sha": page_sha, "shot_sha": shot_sha}


def _all_text(document: docx.document.Document) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                parts.append(cell.text)
    return "\n".join(parts)


def test_letter_has_every_part_and_every_confirmed_fake(db_url: str, tmp_path: Path, run_cli: RunCli) -> None:
    evidence = tmp_path / "evidence"
    seeded = _seed(db_url, evidence)
    env = {"MONITOR_DATABASE__URL": db_url, "MONITOR_EVIDENCE__DIR": str(evidence)}
    out = tmp_path / "letter.docx"
    code, stdout, stderr = run_cli(
        env,
        "report",
        "letter",
        "--brand",
        "bhxh-binh-duong",
        "--triage",
        "confirmed",
        "--to",
        "pa05",
        "--out",
        str(out),
    )
    assert code == 0, stderr
    assert "3 tài khoản" in stdout

    document = docx.Document(str(out))
    text = _all_text(document)
    for part in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BẢO HIỂM XÃ HỘI TỈNH BÌNH DƯƠNG",
        "Số:",
        "/BHXH-VP",
        "V/v báo cáo tài khoản, trang mạo danh",
        "Kính gửi:",
        "Phòng An ninh mạng và phòng, chống tội phạm sử dụng công nghệ cao (PA05)",
        "Nơi nhận:",
        "- Như trên;",
        "Lưu: VT, VP.",
        "GIÁM ĐỐC",
        "Trân trọng./.",
    ):
        assert part in text, part
    assert re.search(r"Bình Dương, ngày \d{2} tháng (0[12]|1[0-2]|[3-9]) năm \d{4}", text)
    for url in (
        "https://bhxh-binhduong.com/rut-bhxh-1-lan",
        "https://www.facebook.com/bhxhbd.hotro",
        "https://t.me/bhxh_bd",
    ):
        assert url in text
    assert seeded["page_sha"] in text
    assert seeded["shot_sha"] in text
    assert "Điện thoại: 0901234567" in text
    assert "Tài khoản ngân hàng: 19036688888" in text
    assert "Phát hiện lần đầu: 24/11/2026 08:30" in text  # 01:30 UTC in Vietnam time
    assert "other.example" not in text  # not confirmed

    # Tiêu ngữ underlined, Times New Roman 13-14 pt body, A4 with the decree's margins.
    motto = next(
        p
        for table in document.tables
        for c in table.rows[0].cells
        for p in c.paragraphs
        if "Độc lập" in p.text
    )
    assert motto.runs[0].underline
    assert document.styles["Normal"].font.name == "Times New Roman"
    assert document.styles["Normal"].font.size.pt in (13, 14)
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(1)
    assert abs(section.page_height - Mm(297)) < Mm(1)
    assert Mm(30) <= section.left_margin <= Mm(35)
    assert Mm(15) <= section.right_margin <= Mm(20)
    assert Mm(20) <= section.top_margin <= Mm(25)
    assert Mm(20) <= section.bottom_margin <= Mm(25)

    # The hostile name is cut, its markup is text, and no XML-illegal character reaches the file.
    with zipfile.ZipFile(out) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    assert not XML_ILLEGAL.search(xml)
    assert "<b>BHXH</b>" not in xml
    assert "<w:p/>" not in xml
    assert "&lt;b&gt;BHXH&lt;/b&gt;" in xml
    assert "{{ x }}" in text  # template syntax in a name stays text
    assert len(xml) < 200_000

    html = out.with_suffix(".html").read_text(encoding="utf-8")
    assert "<b>BHXH</b>" not in html
    assert "&lt;b&gt;BHXH&lt;/b&gt;" in html
    assert not XML_ILLEGAL.search(html)
    assert "\u202e" not in html
    assert "Kính gửi: Công an TP.HCM" in html
    assert seeded["page_sha"] in html


def test_unknown_channel_and_empty_selection_exit_non_zero(
    db_url: str, tmp_path: Path, run_cli: RunCli
) -> None:
    evidence = tmp_path / "evidence"
    _seed(db_url, evidence)
    env = {"MONITOR_DATABASE__URL": db_url, "MONITOR_EVIDENCE__DIR": str(evidence)}
    out = tmp_path / "x.docx"
    code, _, stderr = run_cli(
        env,
        "report",
        "letter",
        "--brand",
        "bhxh-binh-duong",
        "--triage",
        "confirmed",
        "--to",
        "nope",
        "--out",
        str(out),
    )
    assert code == 1
    assert "không có kênh báo cáo 'nope'" in stderr
    assert "pa05" in stderr
    code, _, stderr = run_cli(
        env,
        "report",
        "letter",
        "--brand",
        "bhxh-binh-duong",
        "--triage",
        "dismissed",
        "--to",
        "pa05",
        "--out",
        str(out),
    )
    assert code == 1
    assert "không có phát hiện nào" in stderr
    assert not out.exists()


def test_a_brand_template_replaces_the_packaged_one(tmp_path: Path) -> None:
    packaged = template_parts(None)
    assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml", "word/styles.xml"} <= set(packaged)
    own = tmp_path / "own.docx"
    with zipfile.ZipFile(own, "w") as archive:
        for name, body in packaged.items():
            if name == "word/document.xml":
                body = body.replace("Kính gửi: ".encode(), "KÍNH GỬI RIÊNG: ".encode())
            archive.writestr(name, body)
    assert b"K\xc3\x8dNH G\xe1\xbb\xacI RI\xc3\x8aNG" in template_parts(own)["word/document.xml"]
    folder = tmp_path / "folder"
    shutil.copytree(Path(__file__).resolve().parents[2] / "monitor" / "reports" / DOCX_FOLDER, folder)
    assert template_parts(folder) == packaged
