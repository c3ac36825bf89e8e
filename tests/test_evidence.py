"""Evidence archive: stored once by hash, survives a restart, exports verify, refuses empty exports."""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.cli import main
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


REPO_CONFIG = Path(__file__).resolve().parents[1] / "config" / "monitor.toml"


@pytest.fixture
def export_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """`monitor evidence export ...` in this process, with its real exit code and output."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(env: Mapping[str, str], *args: str) -> tuple[int, str, str]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        argv = ["monitor", "--config", str(REPO_CONFIG), *args]
        monkeypatch.setattr(sys, "argv", argv)
        code: object = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return (code if isinstance(code, int) else 1), out.out, out.err

    yield run
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def _finding(session: Session, platform: str, identity: str, url: str) -> int:
    finding = Finding(
        brand="bhxh-binh-duong",
        platform=platform,
        identity=identity,
        url=url,
        name="BHXH Bình Dương hỗ trợ",
        score=95,
        verdict="impersonation",
        reasons=[],
    )
    session.add(finding)
    session.flush()
    return finding.id


def test_export_command_refuses_a_finding_with_nothing_archived(
    db_url: str, tmp_path: Path, export_cli: Callable[..., tuple[int, str, str]]
) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    evidence = tmp_path / "evidence"
    with session_scope(factory) as session:
        facebook = _finding(
            session, "facebook", "facebook:page:bhxhbd.hotro", "https://www.facebook.com/bhxhbd.hotro"
        )
        website = _finding(session, "web", "web:bhxh-bd.example.vn", "https://bhxh-bd.example.vn/")
        telegram = _finding(session, "telegram", "telegram:bhxh_binhduong_hotro", Page().url)
        EvidenceArchive(evidence).store(session, Page(), telegram)
    engine.dispose()
    env = {"MONITOR_DATABASE__URL": db_url, "MONITOR_EVIDENCE__DIR": str(evidence)}

    def export(finding_id: int, *options: str) -> tuple[int, str, str, Path]:
        out = tmp_path / f"export-{finding_id}-{len(options)}"
        code, stdout, stderr = export_cli(
            env, *options, "evidence", "export", str(finding_id), "--out", str(out)
        )
        return code, stdout, stderr, out

    code, stdout, stderr, out = export(facebook)
    assert code == 1
    assert stdout == ""
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert f"phát hiện #{facebook} không có trang nào được lưu" in stderr
    assert "không tải trang Facebook" in stderr
    assert "chụp màn hình" in stderr
    assert "https://www.facebook.com/bhxhbd.hotro" in stderr
    assert not out.exists()

    code, _, stderr, out = export(facebook, "--lang", "en")
    assert code == 1
    assert "never fetches Facebook pages" in stderr
    assert "screenshots" in stderr
    assert not out.exists()

    code, _, stderr, out = export(website)
    assert code == 1
    assert "chưa tải được lần nào" in stderr
    assert not out.exists()

    code, _, stderr, out = export(999)
    assert code == 1
    assert "không có phát hiện #999" in stderr
    assert not out.exists()

    code, stdout, stderr, out = export(telegram)
    assert code == 0, stderr
    assert f"Đã xuất bằng chứng của phát hiện #{telegram}" in stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [entry["sha256"] for entry in manifest["captures"]] == [hashlib.sha256(Page().body).hexdigest()]


def test_captures_lists_only_the_findings_own_pages(db_url: str, tmp_path: Path) -> None:
    engine = open_database(db_url)
    archive = EvidenceArchive(tmp_path / "evidence")
    with session_scope(session_factory(engine)) as session:
        first = _finding(session, "telegram", "telegram:a", "https://t.me/a")
        second = _finding(session, "facebook", "facebook:page:b", "https://www.facebook.com/b")
        archive.store(session, Page(url="https://t.me/a"), first)
        assert [c.url for c in archive.captures(session, first)] == ["https://t.me/a"]
        assert archive.captures(session, second) == []
    engine.dispose()


def test_evidence_add_keeps_an_officers_file_and_export_then_has_something(
    db_url: str, tmp_path: Path, export_cli: Callable[..., tuple[int, str, str]]
) -> None:
    from monitor.store.evidence_files import EvidenceFileRepository

    engine = open_database(db_url)
    factory = session_factory(engine)
    evidence = tmp_path / "evidence"
    with session_scope(factory) as session:
        facebook = _finding(
            session, "facebook", "facebook:page:bhxhbd.hotro", "https://www.facebook.com/bhxhbd.hotro"
        )
    env = {"MONITOR_DATABASE__URL": db_url, "MONITOR_EVIDENCE__DIR": str(evidence)}
    out = tmp_path / "export"
    code, _, stderr = export_cli(env, "evidence", "export", str(facebook), "--out", str(out))
    assert code == 1
    assert "không có trang nào được lưu" in stderr
    assert not out.exists()

    shot = tmp_path / "ảnh chụp.png"
    body = b"\x89PNG\r\n\x1a\n officer"
    shot.write_bytes(body)
    code, stdout, stderr = export_cli(
        env, "evidence", "add", str(facebook), str(shot), "--by", "Nguyễn Lan", "--note", "chụp 9 giờ"
    )
    assert code == 0, stderr
    sha = hashlib.sha256(body).hexdigest()
    assert f"SHA-256 {sha}" in stdout
    assert f"phát hiện #{facebook}" in stdout
    code, stdout, stderr = export_cli(env, "evidence", "add", str(facebook), str(shot))
    assert code == 0, stderr  # the same file again: one row
    with session_scope(factory) as session:
        (row,) = EvidenceFileRepository(session).for_finding(facebook)
        assert (row.kind, row.sha256, row.filename, row.added_by, row.note, row.media_type) == (
            "officer",
            sha,
            "ảnh chụp.png",
            "Nguyễn Lan",
            "chụp 9 giờ",
            "image/png",
        )
        assert EvidenceArchive(evidence).read(sha) == body

    code, stdout, stderr = export_cli(env, "evidence", "export", str(facebook), "--out", str(out))
    assert code == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["captures"] == []
    assert [(f["kind"], f["sha256"], f["added_by"]) for f in manifest["files"]] == [
        ("officer", sha, "Nguyễn Lan")
    ]
    assert (out / f"{sha}.png").read_bytes() == body
    assert (out / "SHA256SUMS").read_text(encoding="utf-8") == f"{sha}  {sha}.png\n"

    code, _, stderr = export_cli(env, "evidence", "add", "999", str(shot))
    assert code == 1
    assert "không có phát hiện #999" in stderr
    engine.dispose()


def test_files_written_ahead_are_recorded_without_writing_them_again(db_url: str, tmp_path: Path) -> None:
    root = tmp_path / "evidence"
    archive = EvidenceArchive(root)
    pages = [Page(), Page(url="https://t.me/other", body=b"<html>other</html>")]
    for page in pages:
        archive.write_ahead(page)
    written = {path: path.stat().st_mtime_ns for path in root.rglob("*.gz")}
    assert len(written) == 2
    engine = open_database(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            stored = archive.store_written(session, pages)
            [again] = archive.store_written(session, [Page(fetched_at=T0 + timedelta(hours=1))])
            sizes = {row.sha256: row.stored_size for row in session.scalars(select(EvidenceBlob))}
    finally:
        engine.dispose()
    assert [s.new_blob for s in stored] == [True, True]
    assert again.new_blob is False
    assert {path: path.stat().st_mtime_ns for path in root.rglob("*.gz")} == written  # not rewritten
    assert sizes == {s.sha256: archive.path_for(s.sha256).stat().st_size for s in stored}
    assert [archive.read(s.sha256) for s in stored] == [page.body for page in pages]


def test_a_scan_archives_pages_without_holding_the_write_lock_while_files_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Gzip and fsync of a batch of pages happen before its unit opens: SQLite stays writable."""
    import sqlite3

    from monitor.scan import Scanner
    from monitor.settings import load_settings

    path = tmp_path / "monitor.db"
    settings = load_settings(
        Path(__file__).resolve().parents[1] / "config" / "monitor.toml",
        environ={"MONITOR_DATABASE__URL": f"sqlite:///{path}", "MONITOR_EVIDENCE__DIR": str(tmp_path / "ev")},
    )
    engine = open_database(settings.database.url)
    writable: list[bool] = []
    write_file = EvidenceArchive._write_file

    def checking(self: EvidenceArchive, target: Path, body: bytes) -> int:
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once while another unit holds the lock
            other.execute("ROLLBACK")
            writable.append(True)
        except sqlite3.OperationalError:
            writable.append(False)
        finally:
            other.close()
        return write_file(self, target, body)

    monkeypatch.setattr(EvidenceArchive, "_write_file", checking)
    try:
        scanner = Scanner(settings, engine, notify=False)
        pages = [[Page(url=f"https://t.me/p{n}", body=f"<html>{n}</html>".encode())] for n in range(5)]
        stored = scanner._archive(pages)
    finally:
        engine.dispose()
    assert writable == [True] * 5
    assert [s.new_blob for (s,) in stored] == [True] * 5


def test_a_batch_records_what_one_answer_at_a_time_records(db_url: str, tmp_path: Path) -> None:
    """Repeats inside the batch and rows already stored: the same captures, counts and flags."""
    earlier = [Page(), Page(url="https://t.me/known", body=b"<html>known</html>")]
    batch = [
        Page(fetched_at=T0 + timedelta(hours=1)),  # a known capture, fetched again
        Page(url="https://t.me/new", body=b"<html>new</html>"),
        Page(url="https://t.me/new", body=b"<html>new</html>", fetched_at=T0 + timedelta(hours=2)),
        Page(url="https://t.me/copy", body=b"<html>new</html>"),  # the same bytes, another URL
        Page(url="https://t.me/known2", body=b"<html>known</html>"),
    ]

    def run(folder: str, url: str, batched: bool) -> tuple[list[tuple[bool, str]], list[tuple[Any, ...]]]:
        archive = EvidenceArchive(tmp_path / folder)
        engine = open_database(url)
        try:
            with session_scope(session_factory(engine)) as session:
                for page in earlier:
                    archive.store(session, page)
            with session_scope(session_factory(engine)) as session:
                if batched:
                    for page in batch:
                        archive.write_ahead(page)
                    stored = archive.store_written(session, batch)
                else:
                    stored = [archive.store(session, page) for page in batch]
                flags = [(s.new_blob, s.sha256) for s in stored]
                ids = {s.capture_id for s in stored}
                captures = session.scalars(select(Capture).order_by(Capture.id)).all()
                rows = [
                    (c.url, c.sha256, c.fetch_count, c.first_fetched_at, c.last_fetched_at, c.id in ids)
                    for c in captures
                ]
                blobs = session.scalar(select(func.count()).select_from(EvidenceBlob))
        finally:
            engine.dispose()
        assert blobs == 3
        return flags, rows

    one_by_one = run("single", db_url, batched=False)
    if db_url.startswith("sqlite"):
        other = f"sqlite:///{tmp_path / 'batched.db'}"
    else:
        engine = open_database(db_url)  # a second, empty schema: clear the first run's rows
        with session_scope(session_factory(engine)) as session:
            session.execute(Capture.__table__.delete())
            session.execute(EvidenceBlob.__table__.delete())
        engine.dispose()
        other = db_url
    assert run("batched", other, batched=True) == one_by_one
