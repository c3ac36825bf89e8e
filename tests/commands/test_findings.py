"""`monitor findings` on a seeded database: filters, JSON/CSV, hostile names, triage."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import cli
from monitor.commands.findings import default_officer
from monitor.diff import Change
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingData, FindingRepository
from monitor.store.schema import AllowlistEntry, TriageEvent

REPO = Path(__file__).resolve().parents[2]
HOSTILE = "=HYPERLINK(\"http://x\")<script>alert('x')</script>\x1b[31m\u202eBHXH Bình Dương" + "A" * 10_000


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path / "config" / "monitor.toml"


def seed(db_url: str) -> None:
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        repo = FindingRepository(session)
        for identity, name, verdict in [
            ("facebook:page:fake1", HOSTILE, "impersonation"),
            ("tiktok:@bhxhbd", "BHXH Bình Dương hỗ trợ", "suspect"),
        ]:
            repo.apply_sighting(
                Change(identity, "new"),
                FindingData(
                    brand="bhxh-binh-duong",
                    platform=identity.split(":")[0],
                    identity=identity,
                    url=f"https://example.vn/{identity}",
                    name=name,
                    score=90,
                    verdict=verdict,  # type: ignore[arg-type]
                    reasons=[{"code": "organization_match", "detail": "BHXH", "weight": 40}],
                    sources=frozenset({"duckduckgo"}),
                ),
                None,
            )
    engine.dispose()


def invoke(config: Path, db_url: str, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["--config", str(config), *args], env={"MONITOR_DATABASE__URL": db_url}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.output


def run(config: Path, db_url: str, *args: str) -> bytes:
    """stdout as bytes, exactly as a file redirected from the command would hold them."""
    result = CliRunner().invoke(
        cli, ["--config", str(config), *args], env={"MONITOR_DATABASE__URL": db_url}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_list_filters_and_formats(config: Path, db_url: str) -> None:
    seed(db_url)
    rows = json.loads(invoke(config, db_url, "findings", "list", "--json"))
    assert [r["identity"] for r in rows] == ["facebook:page:fake1", "tiktok:@bhxhbd"]
    assert rows[0]["name"] == HOSTILE  # stored intact
    only = json.loads(invoke(config, db_url, "findings", "list", "--verdict", "suspect", "--json"))
    assert [r["identity"] for r in only] == ["tiktok:@bhxhbd"]
    text = invoke(config, db_url, "findings", "list")
    assert "\x1b" not in text
    assert "\u202e" not in text
    parsed = list(
        csv.DictReader(io.StringIO(run(config, db_url, "findings", "list", "--csv").decode("utf-8-sig")))
    )
    assert parsed[0]["Tên hiển thị"].startswith("'=HYPERLINK")
    assert "\x1b" not in parsed[0]["Tên hiển thị"]


def test_show_and_mark_official_allowlists(config: Path, db_url: str) -> None:
    seed(db_url)
    shown = json.loads(invoke(config, db_url, "findings", "show", "2", "--json"))
    assert shown["history"][0]["event"] == "new"
    invoke(config, db_url, "findings", "mark", "2", "official", "--note", "kênh thật")
    invoke(config, db_url, "findings", "mark", "1", "reported", "--note", "đã báo Facebook")
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        assert session.scalars(select(AllowlistEntry.identity)).all() == ["tiktok:@bhxhbd"]
        assert [t.action for t in session.scalars(select(TriageEvent).order_by(TriageEvent.id))] == [
            "official",
            "reported",
        ]
    engine.dispose()
    detail = invoke(config, db_url, "findings", "show", "1")
    assert "\x1b" not in detail


def test_unknown_finding_is_a_clear_error(config: Path, db_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["--config", str(config), "findings", "show", "99"], env={"MONITOR_DATABASE__URL": db_url}
    )
    assert result.exit_code != 0


def test_show_tells_why_the_page_was_not_read(config: Path, db_url: str) -> None:
    note = "too_large: https://www.youtube.com/@bhxhbd\x1b[31m"
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        finding, _ = FindingRepository(session).apply_sighting(
            Change("youtube:@bhxhbd", "new"),
            FindingData(
                brand="bhxh-binh-duong",
                platform="youtube",
                identity="youtube:@bhxhbd",
                url="https://www.youtube.com/@bhxhbd",
                name="BHXH Bình Dương hỗ trợ",
                score=80,
                verdict="impersonation",
                page_state="too_large",
                page_note=note,
            ),
            None,
        )
        assert finding is not None
        shown_id = str(finding.id)
    engine.dispose()
    detail = invoke(config, db_url, "findings", "show", shown_id)
    assert "Trang: quá lớn — too_large: https://www.youtube.com/@bhxhbd" in detail
    assert "\x1b" not in detail
    english = CliRunner().invoke(
        cli,
        ["--config", str(config), "findings", "show", shown_id],
        env={"MONITOR_DATABASE__URL": db_url, "MONITOR_LANG": "en"},
        catch_exceptions=False,
    )
    assert "Page: too large — too_large: https://www.youtube.com/@bhxhbd" in english.output
    data = json.loads(invoke(config, db_url, "findings", "show", shown_id, "--json"))
    assert (data["page_state"], data["page_note"]) == ("too_large", note)
    rows = json.loads(invoke(config, db_url, "findings", "list", "--json"))
    assert [row["page_state"] for row in rows] == ["too_large"]


def test_show_of_a_finding_without_a_page_check_has_no_page_line(config: Path, db_url: str) -> None:
    seed(db_url)
    detail = invoke(config, db_url, "findings", "show", "1")
    assert "Trang:" not in detail


PEOPLE_TIME = re.compile(r"^\d\d/\d\d/\d{4} \d\d:\d\d$")


def vietnam_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(timezone(timedelta(hours=7))).strftime("%d/%m/%Y %H:%M")


def test_list_has_a_header_and_words_not_codes(config: Path, db_url: str) -> None:
    seed(db_url)
    lines = invoke(config, db_url, "findings", "list").splitlines()
    header = lines[0]
    for word in ("Đánh giá", "Điểm", "Trạng thái", "Xử lý", "Nền tảng", "Thấy lần cuối", "Tên hiển thị"):
        assert word in header
    assert set(lines[1].replace(" ", "")) == {"-"}
    body = "\n".join(lines[2:])
    for words in ("mạo danh", "nghi vấn", "đang hoạt động", "chưa xử lý"):
        assert words in body
    for code in ("impersonation", "suspect", "active", "untriaged"):
        assert code not in body
    rows = json.loads(invoke(config, db_url, "findings", "list", "--json"))
    assert vietnam_time(rows[1]["last_seen_at"]) in lines[3]
    english = invoke(config, db_url, "--lang", "en", "findings", "list").splitlines()
    assert "Verdict" in english[0]
    assert "Triage" in english[0]
    assert "impersonation" in english[2]
    assert "untriaged" in english[2]
    assert "mạo danh" not in "\n".join(english)


def test_json_keeps_codes_and_iso_times_with_offset(config: Path, db_url: str) -> None:
    seed(db_url)
    rows = json.loads(invoke(config, db_url, "findings", "list", "--json"))
    assert (rows[0]["verdict"], rows[0]["status"], rows[0]["triage"]) == (
        "impersonation",
        "active",
        "untriaged",
    )
    for key in ("first_seen_at", "last_seen_at"):
        assert datetime.fromisoformat(rows[0][key]).utcoffset() == timedelta(0)


def test_csv_opens_in_excel_with_vietnam_times(config: Path, db_url: str) -> None:
    seed(db_url)
    raw = run(config, db_url, "findings", "list", "--csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\xef\xbb\xbf") == 1
    rows = json.loads(invoke(config, db_url, "findings", "list", "--json"))
    parsed = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    first_seen = "Phát hiện lần đầu (giờ Việt Nam)"
    assert list(parsed[0])[:2] == ["Mã phát hiện", "Cơ quan"]
    assert PEOPLE_TIME.match(parsed[0][first_seen])
    assert parsed[0][first_seen] == vietnam_time(rows[0]["first_seen_at"])
    assert (parsed[1]["Đánh giá"], parsed[1]["Trạng thái"], parsed[1]["Xử lý"]) == (
        "nghi vấn",
        "đang hoạt động",
        "chưa xử lý",
    )
    assert parsed[1]["Tên hiển thị"] == "BHXH Bình Dương hỗ trợ"


def test_csv_neutralises_formulas_in_every_text_cell(config: Path, db_url: str) -> None:
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        FindingRepository(session).apply_sighting(
            Change("web:evil.example", "new"),
            FindingData(
                brand="bhxh-binh-duong",
                platform="web",
                identity="web:evil.example",
                url="@SUM(1+1)",
                name="+cmd|' /C calc'!A0",
                score=70,
                verdict="impersonation",
            ),
            None,
        )
    engine.dispose()
    parsed = list(
        csv.DictReader(io.StringIO(run(config, db_url, "findings", "list", "--csv").decode("utf-8-sig")))
    )
    assert parsed[0]["Tên hiển thị"] == "'+cmd|' /C calc'!A0"
    assert parsed[0]["Liên kết"] == "'@SUM(1+1)"


def test_mark_by_records_the_officer_and_show_tells_who_and_why(config: Path, db_url: str) -> None:
    seed(db_url)
    said = invoke(
        config,
        db_url,
        "findings",
        "mark",
        "1",
        "reported",
        "--note",
        "đã báo Facebook",
        "--by",
        "Nguyễn Văn An",
    )
    assert said.strip() == "Đã ghi nhận #1: đã báo cáo (cán bộ: Nguyễn Văn An)."
    invoke(config, db_url, "findings", "mark", "1", "confirmed")
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        events = session.scalars(select(TriageEvent).order_by(TriageEvent.id)).all()
        assert [(t.action, t.actor, t.note) for t in events] == [
            ("reported", "Nguyễn Văn An", "đã báo Facebook"),
            ("confirmed", default_officer(), None),
        ]
    engine.dispose()
    detail = invoke(config, db_url, "findings", "show", "1")
    assert "Quyết định của cán bộ:" in detail
    assert "đã báo cáo  Cán bộ: Nguyễn Văn An" in detail
    assert "Ghi chú: đã báo Facebook" in detail
    assert "Xử lý: đã xác nhận" in detail
    assert "Tên có tên cơ quan: BHXH" in detail  # the reason's sentence, not its code
    assert "organization_match" not in detail
    assert "Lịch sử:" in detail
    assert "  mới  " in detail
    data = json.loads(invoke(config, db_url, "findings", "show", "1", "--json"))
    assert [(t["action"], t["by"]) for t in data["triage_events"]] == [
        ("reported", "Nguyễn Văn An"),
        ("confirmed", default_officer()),
    ]
    assert [t["actor"] for t in data["triage_events"]] == ["Nguyễn Văn An", default_officer()]
    english = invoke(config, db_url, "--lang", "en", "findings", "show", "1")
    assert "reported  Officer: Nguyễn Văn An" in english
    assert "The name contains the office's name: BHXH" in english


def test_mark_refuses_an_overlong_officer_name(config: Path, db_url: str) -> None:
    seed(db_url)
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "findings", "mark", "1", "reported", "--by", "x" * 129],
        env={"MONITOR_DATABASE__URL": db_url},
    )
    assert result.exit_code == 2
    assert "tối đa 128 ký tự" in result.output
