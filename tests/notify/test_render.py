"""Display text, links and times in mails: hostile input never becomes markup, headers or garbage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.display import NO_TIME, local_date, local_time
from monitor.notify.render import MAX_DISPLAY_CHARS, display, json_safe, render, safe_href


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BHXH  Bình\tDương\r\nCSKH", "BHXH Bình Dương CSKH"),
        ("bell\x07 and nul\x00 gone", "bell and nul gone"),
        ("\u202emoc.koobecaf", "moc.koobecaf"),
        ("lone \ud800 surrogate", "lone \ufffd surrogate"),
        ("Bảo hiểm xã hội", "Bảo hiểm xã hội"),
        # NFD input (as some pages send it) comes out composed.
        ("Ba\u0309o hie\u0302\u0309m", "Bảo hiểm"),
        ("", ""),
        (None, ""),
    ],
)
def test_display_cleans_one_line(raw: object, expected: str) -> None:
    assert display(raw) == expected


def test_display_cuts_long_names() -> None:
    shown = display("x" * 10_000)
    assert len(shown) == MAX_DISPLAY_CHARS
    assert shown.endswith("…")


def test_json_safe_replaces_only_surrogates() -> None:
    assert json_safe("a\ud83db\x01") == "a\ufffdb\x01"
    json_safe("a\udfff").encode("utf-8")


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://www.facebook.com/bhxhbd", True),
        ("http://bhxh-binhduong.com/rut-1-lan", True),
        ("javascript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("https://exa mple.com/", False),
        ("https://example.com/\x00", False),
        ("https:///no-host", False),
        ("", False),
        (None, False),
    ],
)
def test_safe_href(url: str | None, linked: bool) -> None:
    assert safe_href(url) == (url if linked else None)


def test_local_time_in_vietnam() -> None:
    moment = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    assert local_time(moment, "Asia/Ho_Chi_Minh") == "01/12/2026 07:30"
    assert local_time(None, "Asia/Ho_Chi_Minh", NO_TIME) == "—"
    # 17:30 UTC is already the next day in Vietnam.
    assert local_date(moment.replace(hour=17), "Asia/Ho_Chi_Minh") == "02/12/2026"


def test_templates_escape_html_but_not_text() -> None:
    from monitor.notify.views import Item

    item = Item(
        finding_id=7,
        event="new",
        platform="Facebook",
        name='<script>alert("x")</script> & <b>BHXH</b>',
        url="javascript:alert(1)",
        href=None,
        score=90,
        verdict="mạo danh",
        reasons=("<img src=x onerror=alert(1)>",),
        first_seen="01/12/2026 07:30",
        observed="01/12/2026 07:30",
        evidence=None,
        triage="chưa xử lý",
    )
    context = {"title": "T", "brand_name": "<i>B</i>", "item": item, "authorities": []}
    html = render("alert.html", "vi", **context)
    assert "<script" not in html
    assert "<img" not in html
    assert "<i>B" not in html
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    plain = render("alert.txt", "vi", **context)
    assert '<script>alert("x")</script> & <b>BHXH</b>' in plain
