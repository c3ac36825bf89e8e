"""`monitor findings` on a seeded database: filters, JSON/CSV, hostile names, triage."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.cli import cli
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
    parsed = list(csv.DictReader(io.StringIO(invoke(config, db_url, "findings", "list", "--csv"))))
    assert parsed[0]["name"].startswith("'=HYPERLINK")
    assert "\x1b" not in parsed[0]["name"]


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
