"""The console's pages over HTTP: queue, bulk decisions, finding page, captures, sources, tips, language."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.scans import ScanRepository
from monitor.store.schema import Finding, Tip, TriageEvent
from monitor.store.schema_reports import Report, ReportEvent
from tests.web.conftest import T0, Console, csrf_of


def _ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'name="ids" value="(\d+)"', html)]


def _triage(console: Console) -> dict[int, tuple[str, list[tuple[str, str | None]]]]:
    engine = open_database(console.settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            events: dict[int, list[tuple[str, str | None]]] = {}
            for event in session.scalars(select(TriageEvent).order_by(TriageEvent.id)):
                events.setdefault(event.finding_id, []).append((event.action, event.actor))
            return {f.id: (f.triage, events.get(f.id, [])) for f in session.scalars(select(Finding))}
    finally:
        engine.dispose()


def test_queue_filters_sort_and_paginate(console: Console) -> None:
    seeded = console.seeded
    with console.login("oanh") as client:
        everything = client.get("/findings").text
        assert "7 phát hiện" in everything
        assert _ids(everything)[0] == seeded.hostile  # highest score first
        assert _ids(client.get("/findings?platform=web").text) == list(reversed(seeded.suspects))
        assert sorted(_ids(client.get("/findings?brand=bhxh-hcm").text)) == seeded.hcm
        assert _ids(client.get("/findings?verdict=suspect&sort=first_seen").text) == list(
            reversed(seeded.suspects)
        )
        assert _ids(client.get("/findings?q=CSKH").text) == [seeded.renamed]
        assert _ids(client.get(f"/findings?q=%23{seeded.renamed}").text) == [seeded.renamed]
        day = (T0 + timedelta(days=5)).date().isoformat()
        assert sorted(_ids(client.get(f"/findings?from={day}&to={day}").text)) == seeded.hcm
        assert _ids(client.get("/findings?triage=confirmed").text) == []
        # Unknown codes are ignored rather than failing.
        assert len(_ids(client.get("/findings?verdict=<script>&platform=zz").text)) == 7
        api = client.get("/api/findings?platform=facebook").json()
        assert api["total"] == 3
        assert {row["platform"] for row in api["findings"]} == {"facebook"}
        assert client.get("/findings?page=2").status_code == 200


def test_a_triage_is_recorded_with_its_officer_and_shown_on_the_timeline(console: Console) -> None:
    finding = console.seeded.renamed
    with console.login("oanh") as client:
        page = client.get(f"/findings/{finding}")
        done = client.post(
            f"/findings/{finding}/triage",
            data={"action": "confirmed", "note": "Đã kiểm tra <b>thật</b>", "csrf_token": csrf_of(page.text)},
        )
        assert done.status_code == 303
        shown = client.get(done.headers["location"]).text
    assert "Quyết định: đã xác nhận" in shown
    assert "bởi oanh" in shown
    assert "Đã kiểm tra &lt;b&gt;thật&lt;/b&gt;" in shown
    assert _triage(console)[finding] == ("confirmed", [("confirmed", "oanh")])


def test_the_finding_page_tells_its_story_in_words(console: Console) -> None:
    finding = console.seeded.renamed
    with console.login("oanh") as client:
        html = client.get(f"/findings/{finding}").text
        data = client.get(f"/api/findings/{finding}").json()
    # Names over time, reasons in sentences, signals, sources, evidence and the timeline.
    assert "BHXH Bình Dương hỗ trợ" in html
    assert "BHXH Bình Dương CSKH" in html
    assert "Tên có tên cơ quan: bhxh" in html
    assert "Điện thoại:</b>" in html
    assert "Tài khoản ngân hàng:</b>" in html
    assert "DuckDuckGo" in html
    assert "Ghi nhận khi quét: mới" in html
    assert "Ghi nhận khi quét: thay đổi" in html
    assert "Thêm bằng chứng: ảnh chụp màn hình" in html
    assert "20/11/2026 10:00" in html  # 03:00 UTC in Asia/Ho_Chi_Minh
    assert data["evidence"][0]["sha256"] in html
    assert [n["name"] for n in data["names"]] == ["BHXH Bình Dương hỗ trợ", "BHXH Bình Dương CSKH"]
    assert [e["code"] for e in data["timeline"]][:2] == ["new", "changed"]
    assert ">impersonation<" not in html  # codes are shown as words
    assert ">mạo danh<" in html


def test_hostile_names_are_text_on_every_page(console: Console) -> None:
    hostile = console.seeded.hostile
    with console.login("oanh") as client:
        pages = [
            client.get("/findings").text,
            client.get(f"/findings/{hostile}").text,
            client.get("/findings?q=onerror").text,
        ]
        token = csrf_of(pages[0])
        confirm = client.post(
            "/findings/bulk",
            data={"ids": str(hostile), "action": "dismissed", "scope": "selected", "csrf_token": token},
        )
        pages.append(confirm.text)
    for html in pages:
        assert "<script>document.title" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;" in html
        assert "\x1b" not in html
        assert "\u202e" not in html
        assert "\\u202e" in html  # shown as a visible escape
        assert "Ж" * 10_000 not in html  # cut to a readable length


def test_bulk_dismiss_applies_to_exactly_the_filtered_set(console: Console) -> None:
    seeded = console.seeded
    before = _triage(console)
    with console.login("oanh") as client:
        queue = client.get("/findings?verdict=suspect")
        form = {
            "verdict": "suspect",
            "action": "dismissed",
            "scope": "filtered",
            "csrf_token": csrf_of(queue.text),
        }
        confirm = client.post("/findings/bulk", data=form)
        assert confirm.status_code == 200
        assert "Ghi nhận «đã bỏ qua» cho đúng 3 phát hiện dưới đây?" in confirm.text
        assert "Xác nhận (3 phát hiện)" in confirm.text
        ids = re.search(r'name="ids" value="([\d,]+)"', confirm.text)
        assert ids is not None
        assert sorted(map(int, ids.group(1).split(","))) == seeded.suspects
        apply = {
            "action": "dismissed",
            "ids": ids.group(1),
            "csrf_token": csrf_of(confirm.text),
            "back": "/findings",
        }
        done = client.post("/findings/bulk/apply", data=apply)
        assert done.status_code == 303
        assert "Đã ghi nhận «đã bỏ qua» cho 3 phát hiện." in client.get(done.headers["location"]).text
    after = _triage(console)
    for finding_id, (triage, events) in after.items():
        if finding_id in seeded.suspects:
            assert (triage, events) == ("dismissed", [("dismissed", "oanh")])
        else:
            assert (triage, events) == before[finding_id]


def test_bulk_on_selected_rows_only(console: Console) -> None:
    seeded = console.seeded
    with console.login("oanh") as client:
        token = csrf_of(client.get("/findings").text)
        confirm = client.post(
            "/findings/bulk",
            data={
                "ids": [str(i) for i in seeded.hcm],
                "action": "reported",
                "scope": "selected",
                "csrf_token": token,
            },
        )
        assert "cho đúng 2 phát hiện" in confirm.text
        ids = re.search(r'name="ids" value="([\d,]+)"', confirm.text)
        assert ids is not None
        client.post(
            "/findings/bulk/apply",
            data={"action": "reported", "ids": ids.group(1), "csrf_token": csrf_of(confirm.text)},
        )
        nothing = client.post(
            "/findings/bulk", data={"action": "reported", "scope": "selected", "csrf_token": token}
        )
        assert nothing.status_code == 400
    changed = {fid for fid, (triage, _) in _triage(console).items() if triage != "untriaged"}
    assert changed == set(seeded.hcm)


def test_captured_pages_are_text_or_sandboxed(console: Console) -> None:
    seeded = console.seeded
    with console.login("vy") as client:
        page = client.get(f"/findings/{seeded.renamed}/captures/{seeded.capture}")
        frame = client.get(f"/findings/{seeded.renamed}/captures/{seeded.capture}/frame")
        other = client.get(f"/findings/{seeded.hostile}/captures/{seeded.capture}")
    assert page.status_code == 200
    assert "&lt;script&gt;document.getElementById" in page.text
    assert "<script>" not in page.text
    assert 'sandbox=""' in page.text
    assert frame.headers["content-security-policy"].startswith("sandbox;")
    assert "default-src 'none'" in frame.headers["content-security-policy"]
    assert "allow-scripts" not in frame.headers["content-security-policy"]
    assert other.status_code == 404  # a capture is only shown under its own finding


def test_screenshots_are_served_as_images(console: Console) -> None:
    with console.login("vy") as client:
        html = client.get(f"/findings/{console.seeded.renamed}").text
        src = re.search(r'<img src="(/findings/\d+/files/\d+)"', html)
        assert src is not None
        image = client.get(src.group(1))
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")


def test_tips_from_the_form_and_the_api(console: Console) -> None:
    with console.login("oanh") as client:
        page = client.get("/tips")
        token = csrf_of(page.text)
        bad = client.post(
            "/tips", data={"url": "javascript:alert(1)", "brand": "bhxh-hcm", "csrf_token": token}
        )
        assert bad.status_code == 400
        done = client.post(
            "/tips",
            data={
                "url": "https://zalo.me/0912000111",
                "name": "BHXH <i>hỗ trợ</i>",
                "brand": "bhxh-hcm",
                "csrf_token": token,
            },
        )
        assert done.status_code == 303
        listed = client.get("/tips").text
        api = client.post(
            "/api/tips",
            json={"url": "https://t.me/bhxh_fake", "brand": "bhxh-binh-duong"},
            headers={"X-CSRF-Token": client.get("/api/me").json()["csrf_token"]},
        )
        assert api.status_code == 201
    assert "BHXH &lt;i&gt;hỗ trợ&lt;/i&gt;" in listed
    engine = open_database(console.settings.database.url)
    with session_scope(session_factory(engine)) as session:
        tips = [
            (t.brand, t.url, t.submitted_by, t.via) for t in session.scalars(select(Tip).order_by(Tip.id))
        ]
    engine.dispose()
    assert tips == [
        ("bhxh-hcm", "https://zalo.me/0912000111", "oanh", "web"),
        ("bhxh-binh-duong", "https://t.me/bhxh_fake", "oanh", "api"),
    ]


def test_sources_page_shows_health_scans_and_heartbeat(console: Console) -> None:
    engine = open_database(console.settings.database.url)
    with session_scope(session_factory(engine)) as session:
        repo = ScanRepository(session)
        scan = repo.start(["bhxh-binh-duong"], "cli")
        repo.record_run(scan.id, "bhxh-binh-duong", "brave", "blocked", 3, 0, "HTTP 403 <b>blocked</b>", T0)
        repo.record_run(scan.id, "bhxh-binh-duong", "duckduckgo", "ok", 2, 9, None, T0)
        repo.finish(scan, "partial", {"candidates": 9, "new": 2})
    engine.dispose()
    with console.login("vy") as client:
        html = client.get("/sources").text
        api = client.get("/api/sources").json()
    assert "Brave Search" in html
    assert "bị chặn" in html
    assert "HTTP 403 &lt;b&gt;blocked&lt;/b&gt;" in html
    assert "chưa từng chạy" in html  # no daemon heartbeat yet
    assert "9 ứng viên" in html
    assert {row["source"]: row["status"] for row in api["sources"]} == {
        "brave": "blocked",
        "duckduckgo": "ok",
    }


def test_english_per_user_and_switchable(console: Console) -> None:
    with console.login("olga") as client:
        html = client.get(f"/findings/{console.seeded.renamed}").text
        assert "The name contains the office&#39;s name: bhxh" in html
        assert "Timeline" in html
        token = csrf_of(html)
        client.post("/account/language", data={"lang": "vi", "csrf_token": token, "next": "/findings"})
        assert "Hàng đợi phát hiện" in client.get("/findings").text


def test_admin_sees_the_accounts(console: Console) -> None:
    with console.login("an") as client:
        html = client.get("/users").text
    assert "cán bộ xử lý" in html
    assert "oanh" in html


def test_unknown_finding_is_404(console: Console) -> None:
    with console.login("vy") as client:
        assert client.get("/findings/999999").status_code == 404
        assert client.get("/api/findings/999999").status_code == 404
        assert client.get("/findings/abc").status_code == 404


def test_healthz_answers_without_login(console: Console) -> None:
    assert httpx.get(f"{console.url}/healthz").json() == {"status": "ok"}


def test_reports_show_on_the_timeline_and_filter_the_queue(console: Console) -> None:
    finding = console.seeded.renamed
    engine = open_database(console.settings.database.url)
    with session_scope(session_factory(engine)) as session:
        report = Report(
            finding_id=finding,
            brand="bhxh-binh-duong",
            channel="pa05",
            channel_kind="authority",
            status="waiting",
        )
        session.add(report)
        session.flush()
        session.add(ReportEvent(report_id=report.id, action="status", new_status="waiting", actor="oanh"))
    engine.dispose()
    with console.login("vy") as client:
        html = client.get(f"/findings/{finding}").text
        assert _ids(client.get("/findings?report=waiting").text) == []  # a viewer has no checkboxes
        api = client.get("/api/findings?report=waiting").json()
        unreported = client.get("/api/findings?report=none").json()
    assert "Báo cáo qua pa05: đổi trạng thái → đang chờ trả lời" in html
    assert [row["id"] for row in api["findings"]] == [finding]
    assert unreported["total"] == 6
