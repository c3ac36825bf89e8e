"""Evidence packets: letter, original bytes, screenshots when present, officers' files, index and hashes."""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

from monitor.evidence import EvidenceArchive
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.evidence_files import EvidenceFileRepository
from tests.reports.helpers import HOSTILE, RunCli, add_finding, capture, officer_file

PAGE = "<html><title>BHXH Bình Dương</title></html>".encode()
PNG = b"\x89PNG\r\n\x1a\n screenshot"


def _seed(db_url: str, evidence: Path) -> tuple[int, int, int]:
    engine = open_database(db_url)
    archive = EvidenceArchive(evidence)
    with session_scope(session_factory(engine)) as session:
        web = add_finding(session, "web", "web:fake.example", "https://fake.example/", HOSTILE)
        capture(session, archive, web, PAGE)
        sha = archive.store_bytes(session, PNG, "image/png")
        EvidenceFileRepository(session).add(
            web.id, sha, "screenshot", media_type="image/png", source_url=web.url
        )
        facebook = add_finding(
            session, "facebook", "facebook:page:x", "https://www.facebook.com/x", "BHXH BD"
        )
        officer_file(session, archive, facebook, b"\x89PNG officer", "chup.png")
        bare = add_finding(session, "facebook", "facebook:page:y", "https://www.facebook.com/y", "BHXH Y")
        ids = (web.id, facebook.id, bare.id)
    engine.dispose()
    return ids


def test_zip_packet_holds_everything_and_its_sums_verify(
    db_url: str, tmp_path: Path, run_cli: RunCli
) -> None:
    evidence = tmp_path / "evidence"
    web, facebook, bare = _seed(db_url, evidence)
    env = {"MONITOR_DATABASE__URL": db_url, "MONITOR_EVIDENCE__DIR": str(evidence)}
    out = tmp_path / "packet.zip"
    code, stdout, stderr = run_cli(
        env,
        "report",
        "packet",
        "--brand",
        "bhxh-binh-duong",
        str(web),
        str(facebook),
        str(bare),
        "--to",
        "pa05",
        "--out",
        str(out),
    )
    assert code == 0, stderr
    assert f"Chưa có tệp bằng chứng: #{bare}" in stdout
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
    assert {"cong-van.docx", "cong-van.html", "index.html", "SHA256SUMS", "KIEM-TRA.txt"} <= set(names)
    bodies = set(contents.values())
    assert PAGE in bodies
    assert PNG in bodies
    assert b"\x89PNG officer" in bodies
    assert any(name.endswith(".png") and "anh-chup" in name for name in names)
    assert any(name.endswith(".html") and "-trang-" in name for name in names)
    sums = contents["SHA256SUMS"].decode().splitlines()
    assert len(sums) == len(names) - 1
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(contents[name]).hexdigest() == digest
    note = contents["KIEM-TRA.txt"].decode()
    assert "certutil -hashfile" in note
    assert "sha256sum -c SHA256SUMS" in note
    index = contents["index.html"].decode()
    assert "HỒ SƠ BẰNG CHỨNG" in index
    assert hashlib.sha256(PAGE).hexdigest() in index
    assert "24/11/2026 08:30" in index
    assert "<b>BHXH</b>" not in index
    assert "&lt;b&gt;BHXH&lt;/b&gt;" in index
    assert "\x1b" not in index
    assert "không tự động tải trang Facebook" in index
    assert f"monitor evidence add {bare}" in index


def test_folder_packet_checks_with_sha256sum(db_url: str, tmp_path: Path, run_cli: RunCli) -> None:
    evidence = tmp_path / "evidence"
    web, _, _ = _seed(db_url, evidence)
    env = {"MONITOR_DATABASE__URL": db_url, "MONITOR_EVIDENCE__DIR": str(evidence)}
    out = tmp_path / "packet"
    code, _, stderr = run_cli(
        env, "report", "packet", "--brand", "bhxh-binh-duong", str(web), "--out", str(out)
    )
    assert code == 0, stderr
    assert not (out / "cong-van.docx").exists()
    done = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(": OK") == len([p for p in out.rglob("*") if p.is_file()]) - 1
