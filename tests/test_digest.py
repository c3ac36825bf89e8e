"""The digest end to end: store -> sections -> one e-mail per period through a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.digest import DigestResult, build_digest, send_digests
from monitor.errors import NotifyError
from monitor.store.db import make_engine, open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.reports import ReportRepository
from monitor.store.schema import Notification
from tests.notify.helpers import BRAND, T0, data, scan, settings, smtp_server
from tests.support.loopback import free_port

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# NUL is left out: PostgreSQL text cannot hold it, and candidates.clean_text removes it before the store.
HOSTILE = "<script>alert('x')</script><b>BHXH</b> Bình\x07Dương\x1b[2J\u202e " + "Đ" * 10_000


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(db_url)
    yield session_factory(engine)
    engine.dispose()


def digests(factory: sessionmaker[Session]) -> list[Notification]:
    with session_scope(factory) as session:
        return list(
            session.scalars(
                select(Notification).where(Notification.kind == "digest").order_by(Notification.id)
            )
        )


def seed_day(factory: sessionmaker[Session]) -> None:
    scan(factory, [data(), data("facebook:page:evil", HOSTILE)], T0)
    scan(
        factory,
        [
            data(),
            data("facebook:page:evil", HOSTILE),
            data("web:bhxh-bd.top", "BHXH BD", platform="web", url="https://bhxh-bd.top/"),
        ],
        T0 + 6 * HOUR,
    )


def test_digest_arrives_once_with_both_parts(factory: sessionmaker[Session], db_url: str) -> None:
    seed_day(factory)
    now = T0 + DAY
    with smtp_server() as server:
        config = settings(db_url, port=server.port)
        [first] = send_digests(factory, config, now=now)
        [second] = send_digests(factory, config, now=now + 5 * timedelta(minutes=1))
    assert (first.status, first.new_count) == ("sent", 3)
    assert second.status == "empty"
    [received] = server.mailbox.messages
    message = received.message
    subject = str(message["Subject"])
    assert subject == "[Bảo hiểm xã hội tỉnh Bình Dương] 3 trang/tài khoản mạo danh mới — bản tin 02/11/2026"
    plain = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert plain is not None
    assert html_part is not None
    text, html = plain.get_content(), html_part.get_content()
    assert "Kỳ báo cáo: từ 01/11/2026 07:30 đến 02/11/2026 07:30 (giờ Việt Nam)" in text
    assert "Trang/tài khoản mạo danh mới (3)" in text
    assert "https://www.facebook.com/help/contact/295309487309948" in text
    assert "https://safebrowsing.google.com/safebrowsing/report_phish/" in text
    assert "Cục An toàn thông tin" in text
    assert "1900 9068" in text
    assert "Tên có tên cơ quan: Bảo hiểm xã hội" in text
    assert "ab" * 32 in text
    # Hostile names: escaped in HTML, no control or bidi characters, cut to a readable length.
    assert "<script" not in html
    assert "<b>BHXH" not in html
    assert "&lt;script&gt;" in html
    for part in (text, html, subject):
        assert not any(ch in part for ch in "\x07\x1b\u202e")
    assert "Đ" * 300 not in text
    assert "Đ" * 100 + "…" in text
    assert 'style="' in html
    assert "<style" not in html
    [row] = digests(factory)
    assert (row.status, row.attempts, row.subject) == ("sent", 1, subject)
    assert (row.period_start, row.period_end) == (T0, now)
    assert row.dedupe_key == f"digest:{BRAND}:{T0.isoformat()}"


def test_smtp_down_keeps_the_digest_for_the_next_run(factory: sessionmaker[Session], db_url: str) -> None:
    seed_day(factory)
    port = free_port()
    config = settings(db_url, port=port)
    [failed] = send_digests(factory, config, now=T0 + DAY)
    assert failed.status == "failed"
    assert failed.error is not None
    assert failed.error.startswith("không kết nối được máy chủ thư")
    [row] = digests(factory)
    assert (row.status, row.attempts) == ("failed", 1)
    # Something new happens before the next run: the retried digest covers it too.
    scan(
        factory,
        [
            data(),
            data("tiktok:bhxhbd", "BHXH Bình Dương", platform="tiktok", url="https://www.tiktok.com/@bhxhbd"),
        ],
        T0 + DAY + HOUR,
    )
    with smtp_server(port=port) as server:
        [sent] = send_digests(factory, config, now=T0 + 2 * DAY)
        [again] = send_digests(factory, config, now=T0 + 2 * DAY + HOUR)
    assert (sent.status, sent.new_count) == ("sent", 4)
    assert again.status == "empty"
    [received] = server.mailbox.messages
    assert "4 trang/tài khoản mạo danh mới" in str(received.message["Subject"])
    [row] = digests(factory)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert (row.period_start, row.period_end) == (T0, T0 + 2 * DAY)


def test_two_daemons_send_one_digest(factory: sessionmaker[Session], db_url: str) -> None:
    seed_day(factory)
    start = threading.Barrier(2, timeout=30)
    results: list[DigestResult] = []
    with smtp_server() as server:
        config = settings(db_url, port=server.port)

        def daemon() -> None:
            engine = make_engine(db_url)
            try:
                start.wait()
                results.extend(send_digests(session_factory(engine), config, now=T0 + DAY))
            finally:
                engine.dispose()

        threads = [threading.Thread(target=daemon) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert len(server.mailbox.messages) == 1
    assert sorted(r.status for r in results).count("sent") == 1
    assert len(digests(factory)) == 1


def test_empty_period_sends_a_short_mail_unless_disabled(factory: sessionmaker[Session], db_url: str) -> None:
    scan(factory, [], T0)
    scan(factory, [], T0 + 12 * HOUR)
    with smtp_server() as server:
        config = settings(db_url, port=server.port)
        quiet = config.model_copy(update={"digest": config.digest.model_copy(update={"send_empty": False})})
        [skipped] = send_digests(factory, quiet, now=T0 + DAY)
        [sent] = send_digests(factory, config, now=T0 + DAY)
    assert skipped.status == "empty"
    assert sent.status == "sent"
    [received] = server.mailbox.messages
    assert str(received.message["Subject"]).startswith(
        "[Bảo hiểm xã hội tỉnh Bình Dương] Không có trang/tài khoản mạo danh mới"
    )
    body = received.message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Không có gì mới trong kỳ này." in text
    assert "Các nguồn dữ liệu hoạt động bình thường." in text
    assert "DuckDuckGo: bình thường, 2 lượt, 0 kết quả" in text


def test_unhealthy_sources_are_named(factory: sessionmaker[Session], db_url: str) -> None:
    # Blocked from the evening before the period: "since" is traced back past its start.
    scan(factory, [], T0 - 2 * HOUR, status="blocked", error="HTTP 403: captcha")
    for hours in (6, 12, 18):
        scan(factory, [], T0 + hours * HOUR, status="blocked", error="HTTP 403: captcha")
    with session_scope(factory) as session:
        digest = build_digest(session, settings(db_url), BRAND, T0, T0 + DAY, "vi")
    assert digest.is_empty
    assert not digest.healthy
    assert "Có nguồn dữ liệu gặp sự cố" in digest.text
    assert "! DuckDuckGo: bị chặn — 3/3 lượt trong kỳ thất bại, từ 01/11/2026 05:30; 0 kết quả" in digest.text
    assert "Lỗi gần nhất: HTTP 403: captcha" in digest.text
    with session_scope(factory) as session:
        english = build_digest(session, settings(db_url), BRAND, T0, T0 + DAY, "en")
    assert (
        "DuckDuckGo: blocked — 3 of 3 run(s) in this period failed, since 01/11/2026 05:30; 0 result(s)"
        in english.text
    )
    assert english.subject == "[Bảo hiểm xã hội tỉnh Bình Dương] No new impersonation — digest of 02/11/2026"
    with session_scope(factory) as session:
        nothing = build_digest(session, settings(db_url), BRAND, T0 + 2 * DAY, T0 + 3 * DAY, "vi")
    assert "Không có lượt quét nào trong kỳ này" in nothing.text


def test_one_bad_run_is_not_an_outage(factory: sessionmaker[Session], db_url: str) -> None:
    scan(factory, [], T0)
    scan(factory, [], T0 + 6 * HOUR, status="failed", error="timeout")
    with session_scope(factory) as session:
        digest = build_digest(session, settings(db_url), BRAND, T0, T0 + DAY, "vi")
    assert digest.healthy
    assert "* DuckDuckGo: bình thường, 2 lượt, 0 kết quả (1/2 lượt lỗi, lượt gần nhất: lỗi)" in digest.text
    assert "Các nguồn dữ liệu hoạt động bình thường." in digest.text


def test_a_source_that_failed_every_run_is_failing_whatever_the_threshold(
    factory: sessionmaker[Session], db_url: str
) -> None:
    # Two failed runs of two: below lifecycle.source_error_after (3), yet nothing came back at all.
    scan(factory, [], T0 + 6 * HOUR, status="failed", error="timeout")
    scan(factory, [], T0 + 12 * HOUR, status="failed", error="HTTP 502")
    config = settings(db_url)
    assert config.lifecycle.source_error_after == 3
    with session_scope(factory) as session:
        digest = build_digest(session, config, BRAND, T0, T0 + DAY, "vi")
        english = build_digest(session, config, BRAND, T0, T0 + DAY, "en")
    assert not digest.healthy
    assert "Các nguồn dữ liệu hoạt động bình thường." not in digest.text
    assert "Có nguồn dữ liệu gặp sự cố" in digest.text
    assert "! DuckDuckGo: lỗi — 2/2 lượt trong kỳ thất bại, từ 01/11/2026 13:30; 0 kết quả" in digest.text
    assert "Lỗi gần nhất: HTTP 502" in digest.text
    assert "DuckDuckGo: lỗi — 2/2 lượt trong kỳ thất bại" in digest.html
    assert "bình thường, 2 lượt" not in digest.text + digest.html
    assert not english.healthy
    assert (
        "! DuckDuckGo: failing — 2 of 2 run(s) in this period failed, since 01/11/2026 13:30; 0 result(s)"
        in english.text
    )
    assert "healthy, 2 run(s)" not in english.text + english.html


def test_one_good_run_keeps_a_source_healthy_and_counts_the_failures(
    factory: sessionmaker[Session], db_url: str
) -> None:
    scan(factory, [], T0 + 6 * HOUR, status="failed", error="timeout")
    scan(factory, [], T0 + 12 * HOUR)
    with session_scope(factory) as session:
        digest = build_digest(session, settings(db_url), BRAND, T0, T0 + DAY, "vi")
    assert digest.healthy
    assert "* DuckDuckGo: bình thường, 2 lượt, 0 kết quả (1/2 lượt lỗi)" in digest.text


def cards(digest_text: str, finding_id: int) -> int:
    return digest_text.count(f"Mã phát hiện #{finding_id} ")


def test_a_finding_new_and_renamed_in_the_period_is_on_one_card(
    factory: sessionmaker[Session], db_url: str
) -> None:
    first = data("facebook:page:hotro", "BHXH Bình Dương hỗ trợ")
    [(finding_id, _)] = scan(factory, [first], T0 + HOUR)
    scan(factory, [replace(first, name="BHXH tỉnh Bình Dương CSKH")], T0 + 7 * HOUR)
    with session_scope(factory) as session:
        digest = build_digest(session, settings(db_url), BRAND, T0, T0 + DAY, "vi")
        english = build_digest(session, settings(db_url), BRAND, T0, T0 + DAY, "en")
    totals = {section.key: section.total for section in digest.sections}
    assert totals == {
        "new": 1,
        "changed": 0,
        "ended": 0,
        "reappeared": 0,
        "reported_live": 0,
        "still_live": 0,
        "review": 0,
    }
    [card] = digest.section("new").items
    assert card.name == "BHXH tỉnh Bình Dương CSKH"  # its latest state
    assert card.notes == ("Diễn biến trong kỳ: Mới · đã đổi tên", "Đổi tên từ «BHXH Bình Dương hỗ trợ»")
    assert cards(digest.text, finding_id) == 1
    assert cards(digest.html, finding_id) == 1
    assert "Đổi tên / thay đổi" not in digest.text
    assert digest.subject.startswith("[Bảo hiểm xã hội tỉnh Bình Dương] 1 trang/tài khoản mạo danh mới")
    assert "In this period: New · renamed" in english.text


def test_a_finding_new_and_taken_down_in_the_period_is_on_one_card(
    factory: sessionmaker[Session], db_url: str
) -> None:
    first = data("facebook:page:hotro", "BHXH Bình Dương hỗ trợ")
    [(finding_id, _)] = scan(factory, [first], T0 + HOUR)
    scan(factory, [replace(first, page="unavailable")], T0 + 7 * HOUR)
    with session_scope(factory) as session:
        digest = build_digest(session, settings(db_url), BRAND, T0, T0 + DAY, "vi")
    totals = {section.key: section.total for section in digest.sections}
    assert totals == {
        "new": 0,
        "changed": 0,
        "ended": 1,
        "reappeared": 0,
        "reported_live": 0,
        "still_live": 0,
        "review": 0,
    }
    [card] = digest.section("ended").items
    assert card.notes[0] == "Diễn biến trong kỳ: Mới · đã bị gỡ"
    assert cards(digest.text, finding_id) == 1
    assert "== Đã bị gỡ / không còn thấy (1) ==" in digest.text


def test_every_section(factory: sessionmaker[Session], db_url: str) -> None:
    old, ended, back, renamed, suspect, dismissed = (
        data("facebook:page:old", "BHXH Bình Dương cũ"),
        data("facebook:page:ended", "BHXH BD hỗ trợ"),
        data("telegram:bhxhbd", "BHXH Bình Dương", platform="telegram", url="https://t.me/bhxhbd"),
        data("facebook:page:renamed", "BHXH Bình Dương 1"),
        data(
            "zalo:bhxh",
            "Bảo hiểm xã hội",
            platform="zalo",
            url="https://zalo.me/bhxh",
            verdict="suspect",
            score=50,
        ),
        data("facebook:page:fan", "Hội BHXH Bình Dương"),
    )
    scan(factory, [old, ended, back, renamed, dismissed], T0 - 10 * DAY)
    scan(factory, [old, ended, renamed, dismissed], T0 - 9 * DAY, gone_after=1)  # `back` is gone
    with session_scope(factory) as session:
        repo = FindingRepository(session)
        fan = repo.get(BRAND, "facebook:page:fan")
        assert fan is not None
        repo.mark(fan, "dismissed", None, None)
    period_start = T0
    scan(
        factory,
        [
            old,
            replace(ended, page="unavailable"),
            back,
            replace(renamed, name="BHXH Bình Dương CSKH"),
            suspect,
            replace(dismissed, content_hash="new"),
        ],
        T0 + HOUR,
    )
    with session_scope(factory) as session:
        digest = build_digest(session, settings(db_url), BRAND, period_start, T0 + DAY, "vi")
    totals = {section.key: section.total for section in digest.sections}
    # The renamed and the reappeared fakes are older than 7 days too, but each is told once, with its news.
    assert totals == {
        "new": 0,
        "changed": 1,
        "ended": 1,
        "reappeared": 1,
        "reported_live": 0,
        "still_live": 1,
        "review": 1,
    }
    text = digest.text
    assert "Đổi tên từ «BHXH Bình Dương 1»" in text
    assert "Diễn biến trong kỳ: Đã bị gỡ" in text
    assert "== Xuất hiện lại (1) ==" in text
    assert "https://t.me/bhxhbd" in text
    assert "Vẫn hoạt động sau 7 ngày, chưa báo cáo (1)" in text
    assert "đang hoạt động 11 ngày" in text
    assert "== Cần xem xét (nghi vấn) (1) ==" in text
    assert "https://zalo.me/bhxh" in text
    assert "Hội BHXH Bình Dương" not in text  # dismissed and not renamed
    assert not digest.is_empty


def test_dry_run_and_out_file_record_nothing(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    seed_day(factory)
    out = tmp_path / "digest.eml"
    with smtp_server() as server:
        config = settings(db_url, port=server.port)
        [dry] = send_digests(factory, config, dry_run=True, out=out, lang="en", now=T0 + DAY)
    assert dry.status == "dry_run"
    assert dry.path == out
    assert server.mailbox.messages == []
    assert digests(factory) == []
    parsed = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert str(parsed["Subject"]).endswith("3 new impersonation(s) — digest of 02/11/2026")
    # Without a mail server the file is still written.
    [written] = send_digests(factory, settings(db_url), out=out, now=T0 + DAY)
    assert written.status == "written"
    with pytest.raises(NotifyError, match="chưa cấu hình gửi thư"):
        send_digests(factory, settings(db_url), now=T0 + DAY)


def test_since_sends_again_and_caps_sections(factory: sessionmaker[Session], db_url: str) -> None:
    scan(factory, [data(f"facebook:page:f{i}", f"BHXH Bình Dương {i}") for i in range(5)], T0)
    with smtp_server() as server:
        config = settings(db_url, port=server.port)
        config = config.model_copy(
            update={"digest": config.digest.model_copy(update={"max_items_per_section": 2})}
        )
        [regular] = send_digests(factory, config, now=T0 + DAY)
        [manual] = send_digests(factory, config, since=T0 - HOUR, now=T0 + DAY + HOUR)
    assert (regular.status, manual.status) == ("sent", "sent")
    assert len(server.mailbox.messages) == 2
    assert regular.digest is not None
    assert regular.digest.section("new").total == 5
    assert len(regular.digest.section("new").items) == 2
    assert "… và 3 mục khác" in regular.digest.text
    assert len(digests(factory)) == 2


def test_no_scan_yet(factory: sessionmaker[Session], db_url: str) -> None:
    with smtp_server() as server:
        [result] = send_digests(factory, settings(db_url, port=server.port), now=datetime.now(T0.tzinfo))
    assert result.status == "no_scans"
    assert server.mailbox.messages == []


def report(
    factory: sessionmaker[Session], finding_id: int, when: datetime, channel: str = "netcraft"
) -> None:
    with session_scope(factory) as session:
        repo = ReportRepository(session)
        row = repo.ensure(finding_id, BRAND, channel, channel, actor="Lan", now=when)
        repo.mark_submitted(
            row, now=when, actor="Lan", destination="report@example.net", reference="NC-42", follow_up_days=7
        )


def test_reported_but_still_live_is_one_card_for_escalation(
    factory: sessionmaker[Session], db_url: str
) -> None:
    old, recent, gone = (
        data("facebook:page:old", "BHXH Bình Dương cũ"),
        data("facebook:page:recent", "BHXH BD hỗ trợ"),
        data("web:bhxh-bd.top", "BHXH BD", platform="web", url="https://bhxh-bd.top/"),
    )
    scan(factory, [old, recent, gone], T0 - 10 * DAY)
    found = {}
    with session_scope(factory) as session:
        for key, item in (("old", old), ("recent", recent), ("gone", gone)):
            finding = FindingRepository(session).get(BRAND, item.identity)
            assert finding is not None
            found[key] = finding.id
    end = T0 + DAY
    report(factory, found["old"], end - 8 * DAY)
    report(factory, found["recent"], end - 2 * DAY, channel="facebook")
    report(factory, found["gone"], end - 9 * DAY)
    scan(factory, [old, recent, replace(gone, page="unavailable")], T0 - DAY)
    config = settings(db_url)
    assert config.reports.follow_up_days == 7
    with session_scope(factory) as session:
        digest = build_digest(session, config, BRAND, T0, end, "vi")
        english = build_digest(session, config, BRAND, T0, end, "en")
    section = digest.section("reported_live")
    assert section.total == 1
    [card] = section.items
    assert card.finding_id == found["old"]
    assert "== Đã báo cáo nhưng vẫn hoạt động sau 7 ngày (1) ==" in digest.text
    line = "báo cáo ngày 25/10/2026 07:30 (8 ngày trước) qua netcraft"
    assert line in digest.text
    assert "NC-42" in digest.text
    assert "Đã báo cáo nhưng vẫn hoạt động sau 7 ngày (1)" in digest.html
    assert line in digest.html
    # One card each: the old one is not told again as "not yet reported"; the recent one still is.
    assert cards(digest.text, found["old"]) == 1
    assert [item.finding_id for item in digest.section("still_live").items] == [found["recent"]]
    assert cards(digest.text, found["gone"]) == 0
    assert "reported 25/10/2026 07:30 (8 days ago) to netcraft" in english.text
    assert "Reported but still live after 7 days (1)" in english.html
