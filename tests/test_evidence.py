"""Evidence archive: stored once by hash, survives a restart, exports verify."""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitor.errors import EvidenceError, EvidenceWriteError
from monitor.evidence import EvidenceArchive
from monitor.storage_errors import describe, evidence_failure
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Capture, EvidenceBlob, Finding

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    url: str = "https://t.me/bhxh_binhduong_hotro"
    body: bytes = "<html><title>BHXH Bình Dương hỗ trợ</title></html>".encode()
    final_url: str = "https://t.me/bhxh_binhduong_hotro"
    status: int = 200
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8", "Set-Cookie": "x=1"}
    )
    fetched_at: datetime = T0
    robots: str = "allowed"


def test_same_body_stored_once_and_index_survives_restart(db_url: str, tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        first = EvidenceArchive(root).store(session, Page())
        second = EvidenceArchive(root).store(session, Page(fetched_at=T0 + timedelta(hours=6)))
    assert first.new_blob is True
    assert second.new_blob is False
    assert first.sha256 == second.sha256 == hashlib.sha256(Page().body).hexdigest()
    files = list(root.rglob("*.gz"))
    assert len(files) == 1
    size_before = files[0].stat().st_size
    engine.dispose()

    engine = open_database(db_url)  # a new process would see the same
    factory = session_factory(engine)
    with session_scope(factory) as session:
        archive = EvidenceArchive(root)
        again = archive.store(session, Page(fetched_at=T0 + timedelta(hours=12)))
        assert again.new_blob is False
        assert archive.read(again.sha256) == Page().body
        assert session.scalar(select(func.count()).select_from(EvidenceBlob)) == 1
        capture = session.scalars(select(Capture)).one()
        assert capture.fetch_count == 3
        assert capture.last_fetched_at == T0 + timedelta(hours=12)
        assert capture.headers == {"content-type": "text/html; charset=utf-8"}
    assert [f.stat().st_size for f in root.rglob("*.gz")] == [size_before]
    engine.dispose()


def test_tampered_file_is_detected(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    archive = EvidenceArchive(tmp_path)
    with session_scope(session_factory(engine)) as session:
        stored = archive.store(session, Page())
    import gzip

    archive.path_for(stored.sha256).write_bytes(gzip.compress(b"edited"))
    with pytest.raises(EvidenceError, match="does not match"):
        archive.read(stored.sha256)
    engine.dispose()


def test_export_writes_files_manifest_and_checksums_that_verify(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    archive = EvidenceArchive(tmp_path / "evidence")
    with session_scope(factory) as session:
        finding = Finding(
            brand="bhxh-binh-duong",
            platform="telegram",
            identity="telegram:bhxh_binhduong_hotro",
            url=Page().url,
            name="BHXH Bình Dương hỗ trợ",
            score=95,
            verdict="impersonation",
        )
        session.add(finding)
        session.flush()
        archive.store(session, Page(), finding_id=finding.id)
        archive.store(
            session, Page(body=b"<html>changed</html>", fetched_at=T0 + timedelta(days=1)), finding.id
        )
        finding_id = finding.id
    out = tmp_path / "export"
    with session_scope(factory) as session:
        manifest_path = archive.export(session, finding_id, out)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert manifest["finding"]["name"] == "BHXH Bình Dương hỗ trợ"
    assert len(manifest["captures"]) == 2
    assert manifest["captures"][0]["first_fetched_at_local"].endswith("+07:00")
    for entry in manifest["captures"]:
        assert hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    checked = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    engine.dispose()


# Tests run as root, which folder permissions do not stop: the unwritable folder here is a path
# taken by a regular file, which no user can create folders in.


def test_evidence_folder_taken_by_a_file_is_one_clear_error(db_url: str, tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    root.write_text("not a folder", encoding="utf-8")
    engine = open_database(db_url)
    factory = session_factory(engine)
    with pytest.raises(EvidenceWriteError) as caught, session_scope(factory) as session:
        EvidenceArchive(root).store(session, Page())
    assert (caught.value.reason, caught.value.where) == ("not_a_folder", str(root))
    assert isinstance(caught.value.__cause__, OSError)
    assert describe(caught.value, "vi").startswith(f"không ghi được bằng chứng vào {root}: đường dẫn không")
    assert describe(caught.value, "en").startswith(f"cannot write evidence to {root}: the path is not a")
    with session_scope(factory) as session:  # the transaction rolled back: no index row without its file
        assert session.scalar(select(func.count()).select_from(EvidenceBlob)) == 0
        assert session.scalar(select(func.count()).select_from(Capture)) == 0
    engine.dispose()


def test_export_into_a_file_is_one_clear_error(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        finding = Finding(
            brand="bhxh-binh-duong",
            platform="telegram",
            identity="telegram:bhxh_binhduong_hotro",
            url=Page().url,
            name="BHXH Bình Dương hỗ trợ",
            score=90,
            verdict="impersonation",
            reasons=[],
        )
        session.add(finding)
        session.flush()
        EvidenceArchive(tmp_path / "evidence").store(session, Page(), finding.id)
        finding_id = finding.id
    out = tmp_path / "export"
    out.write_bytes(b"")
    with pytest.raises(EvidenceWriteError) as caught, session_scope(factory) as session:
        EvidenceArchive(tmp_path / "evidence").export(session, finding_id, out)
    assert (caught.value.reason, caught.value.where) == ("not_a_folder", str(out))
    engine.dispose()


def test_a_full_disk_is_named_as_such() -> None:
    # /dev/full answers every write with ENOSPC, as a full disk does (also for root).
    with pytest.raises(OSError) as caught, open("/dev/full", "wb", buffering=0) as handle:
        handle.write(b"x")
    failure = evidence_failure(caught.value, Path("/srv/evidence"))
    assert failure.reason == "full"
    assert describe(failure, "vi") == (
        "không ghi được bằng chứng vào /srv/evidence: đĩa đầy, hãy giải phóng dung lượng rồi chạy lại"
    )
