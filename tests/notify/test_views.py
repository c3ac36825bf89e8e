"""One finding view for every surface: e-mail items and people's words come from the same FindingView."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.notify.views import finding_words, make_item
from monitor.store.schema import Finding, Observation
from monitor.store.views import FindingView

T0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def finding() -> Finding:
    return Finding(
        id=5,
        brand="bhxh-binh-duong",
        platform="facebook",
        identity="facebook:page:bhxh.bd",
        url="https://www.facebook.com/bhxh.bd",
        name="BHXH Bình Dương",
        score=91,
        verdict="impersonation",
        reasons=[{"code": "organization_match", "detail": "BHXH", "weight": 40}],
        signals=[],
        status="active",
        triage="reported",
        sources=["brave"],
        page_state="robots",
        page_note=None,
        first_seen_at=T0,
        last_seen_at=T0,
    )


def renamed() -> Observation:
    return Observation(
        id=9,
        finding_id=5,
        event="changed",
        name="BHXH Bình Dương (mới)",
        url="https://www.facebook.com/bhxh.bd2",
        score=95,
        verdict="impersonation",
        reasons=[],
        observed_at=T0,
        evidence_sha256=None,
    )


def test_mail_items_are_the_same_from_a_row_or_its_view() -> None:
    row = finding()
    view = FindingView.of(row)
    for observation in (None, renamed()):
        from_row = make_item(row, observation, zone_name="Asia/Ho_Chi_Minh", lang="vi")
        from_view = make_item(view, observation, zone_name="Asia/Ho_Chi_Minh", lang="vi")
        assert from_row == from_view
    item = make_item(view, renamed(), zone_name="Asia/Ho_Chi_Minh", lang="en")
    # The card shows the event's snapshot, the finding's own decision and first sighting.
    assert (item.name, item.score, item.triage, item.first_seen) == (
        "BHXH Bình Dương (mới)",
        95,
        "reported",
        "01/12/2026 08:00",
    )


def test_a_views_fields_in_words() -> None:
    view = FindingView.of(finding())
    zone = "Asia/Ho_Chi_Minh"
    assert finding_words(view, "verdict", "vi", zone) == "mạo danh"
    assert finding_words(view, "triage", "en", zone) == "reported"
    assert finding_words(view, "status", "vi", zone) == "đang hoạt động"
    assert finding_words(view, "page_state", "en", zone) == "disallowed by robots.txt"
    assert finding_words(view, "platform", "vi", zone) == "Facebook"
    assert finding_words(view, "first_seen_at", "en", zone) == "01/12/2026 08:00"
    assert finding_words(view, "page_note", "vi", zone) == ""
    assert finding_words(view, "score", "vi", zone) == "91"
    assert view.as_seen(renamed()).url == "https://www.facebook.com/bhxh.bd2"
    assert view.as_seen(renamed()).triage == "reported"
