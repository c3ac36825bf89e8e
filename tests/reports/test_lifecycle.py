"""A report's life: created, approved, submitted, then taken down when the page answers 404/410."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.reports.still_live import still_live_lines, still_live_title
from monitor.reports.takedowns import record_takedowns
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.reports import ReportRepository
from monitor.store.schema import Finding
from tests.reports.helpers import T0, RunCli, add_finding


def test_submitted_report_becomes_taken_down_with_both_dates(db_url: str) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        gone = add_finding(session, "web", "web:fake-a.example", "https://fake-a.example/", "A")
        live = add_finding(session, "web", "web:fake-b.example", "https://fake-b.example/", "B")
        unread = add_finding(session, "web", "web:fake-c.example", "https://fake-c.example/", "C")
        never = add_finding(session, "web", "web:fake-d.example", "https://fake-d.example/", "D")
        repo = ReportRepository(session)
        reports = {}
        for finding in (gone, live, unread, never):
            report = repo.ensure(finding.id, finding.brand, "pa05", "authority", actor="An", now=T0)
            assert repo.ensure(finding.id, finding.brand, "pa05", "authority", actor="An", now=T0) is report
            reports[finding.name] = report.id
            if finding is not never:
                repo.update(report, now=T0, actor="An", status="submitted", reference="CV-12")
        ids = [gone.id, live.id, unread.id, never.id]

    # The next scan: A answers 404 (page state `gone`), C timed out, B and D are still there.
    with session_scope(factory) as session:
        session.get(Finding, ids[0]).page_state = "gone"
        session.get(Finding, ids[2]).page_state = "timeout"
        session.get(Finding, ids[3]).page_state = "gone"
    when = T0 + timedelta(days=5)
    with session_scope(factory) as session:
        assert record_takedowns(session, ids, when) == 1
    with session_scope(factory) as session:
        assert record_takedowns(session, ids, when + timedelta(days=1)) == 0  # once only
        repo = ReportRepository(session)
        taken = repo.get(reports["A"])
        assert taken is not None
        assert taken.status == "taken_down"
        assert taken.submitted_at == T0
        assert taken.taken_down_at == when
        assert [e.action for e in repo.events(taken.id)] == ["created", "status", "reference", "taken_down"]
        assert repo.events(taken.id)[-1].old_status == "submitted"
        assert repo.get(reports["B"]).status == "submitted"  # type: ignore[union-attr]
        assert repo.get(reports["C"]).status == "submitted"  # type: ignore[union-attr]
        assert repo.get(reports["D"]).status == "not_submitted"  # never reported: nothing to record
        assert {r.finding_id for r in repo.list(status="taken_down")} == {ids[0]}
        assert [r.id for r in repo.for_finding(ids[1])] == [reports["B"]]
    engine.dispose()


def test_reported_still_live_lists_old_open_reports_of_active_findings(db_url: str) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        old = add_finding(
            session, "tiktok", "tiktok:@bhxh.bd", "https://www.tiktok.com/@bhxh.bd", "<i>BHXH</i>\x1b"
        )
        fresh = add_finding(session, "web", "web:fresh.example", "https://fresh.example/", "Fresh")
        down = add_finding(session, "web", "web:down.example", "https://down.example/", "Down")
        repo = ReportRepository(session)
        for finding, when in ((old, T0), (fresh, T0 + timedelta(days=9)), (down, T0)):
            report = repo.ensure(finding.id, finding.brand, "tiktok", "platform", actor="An", now=when)
            repo.update(report, now=when, actor="An", status="submitted", reference="TT-1")
        down.status = "gone"
    now = T0 + timedelta(days=10)
    with session_scope(factory) as session:
        items = ReportRepository(session).reported_still_live("bhxh-binh-duong", 7, now)
        assert [item.finding.id for item in items] == [old.id]
        assert items[0].first_submitted_at == T0
        lines = still_live_lines(items, now, "vi")
        assert lines[0].startswith(f"#{old.id} <i>BHXH</i>")  # plain text: escaped by the digest's HTML
        assert "\x1b" not in lines[0]
        assert "(10 ngày trước)" in lines[0]
        assert "tiktok (đã gửi, TT-1)" in lines[0]
        assert "(10 days ago)" in still_live_lines(items, now, "en")[0]
        assert still_live_title(7, "vi") == "Đã báo cáo nhưng vẫn hoạt động sau 7 ngày"
        assert ReportRepository(session).reported_still_live("other", 7, now) == []
    engine.dispose()


def test_update_records_who_and_when_and_refuses_unknown_status(db_url: str) -> None:
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        finding = add_finding(session, "web", "web:x.example", "https://x.example/", "X")
        repo = ReportRepository(session)
        report = repo.ensure(finding.id, finding.brand, "ncsc", "authority", actor=None, now=T0)
        with pytest.raises(ValueError, match="unknown report status"):
            repo.update(report, now=T0, actor="An", status="lost")
        assert repo.approve(report, actor="Bình", now=T0) is True
        assert repo.approve(report, actor="Chi", now=T0) is False
        repo.update(
            report, now=T0 + timedelta(hours=1), actor="Dũng", status="refused", answer="Không đủ căn cứ"
        )
        assert report.approved_by == "Bình"
        assert report.status == "refused"
        assert report.answer == "Không đủ căn cứ"
        events = repo.events(report.id)
        assert [(e.action, e.actor) for e in events] == [
            ("created", None),
            ("approved", "Bình"),
            ("status", "Dũng"),
            ("answer", "Dũng"),
        ]
    engine.dispose()


def test_cli_approve_form_block_update_and_show(db_url: str, tmp_path: Path, run_cli: RunCli) -> None:
    engine = open_database(db_url)
    with session_scope(session_factory(engine)) as session:
        finding = add_finding(
            session, "facebook", "facebook:page:fake", "https://www.facebook.com/fake", "BHXH BD"
        )
        finding_id = finding.id
    engine.dispose()
    env = {"MONITOR_DATABASE__URL": db_url, "MONITOR_EVIDENCE__DIR": str(tmp_path / "ev")}
    code, out, err = run_cli(env, "reports", "approve", str(finding_id), "--to", "meta", "--by", "Lan")
    assert code == 0, err
    assert "Sao chép các trường sau vào biểu mẫu của Meta" in out
    assert "https://www.facebook.com/help/contact/295309487309948" in out
    assert "https://www.facebook.com/fake" in out
    code, out, err = run_cli(
        env,
        "reports",
        "update",
        "1",
        "--status",
        "submitted",
        "--reference",
        "FB-9",
        "--follow-up",
        "15/12/2026",
    )
    assert code == 0, err
    code, out, err = run_cli(env, "reports", "show", "1", "--json")
    assert code == 0, err
    assert '"status": "submitted"' in out
    assert '"reference": "FB-9"' in out
    assert '"approved_by": "Lan"' in out
    assert '"next_follow_up_at": "2026-12-15T01:00:00+00:00"' in out  # 08:00 Vietnam time
    code, out, _ = run_cli(env, "reports", "show", "1")
    assert "đổi trạng thái chưa gửi → đã gửi" in out
    code, out, _ = run_cli(env, "findings", "show", str(finding_id), "--json")
    assert '"triage": "reported"' in out
    code, out, err = run_cli(env, "reports", "update", "99", "--status", "waiting")
    assert code == 1
    assert "không có báo cáo 99" in err
