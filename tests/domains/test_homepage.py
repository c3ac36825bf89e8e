"""Homepage head parsing: title and Open Graph tags from real-life and broken markup."""

from __future__ import annotations

import pytest

from monitor.domains.homepage import parse_head


def test_title_and_og_tags() -> None:
    markup = """<html><head><title>
      Cổng dịch vụ công &amp; BHXH   Bình Dương </title>
      <meta property="og:title" content="BHXH Bình Dương">
      <meta name="og:description" content="Đặt lịch &quot;rút BHXH&quot;">
      <meta property="OG:SITE_NAME" content="dichvucong">
      <meta property="og:title" content="second title is ignored">
      <meta property="twitter:title" content="not og">
    </head><body><title>not the head title</title></body></html>"""
    title, og = parse_head(markup)
    assert title == "Cổng dịch vụ công & BHXH Bình Dương"
    assert og == {
        "og:title": "BHXH Bình Dương",
        "og:description": 'Đặt lịch "rút BHXH"',
        "og:site_name": "dichvucong",
    }


@pytest.mark.parametrize(
    "markup",
    [
        "",
        "   ",
        "not html at all",
        "<title>",
        "<meta property=og:title>",
        "<title>\x00\x07\u202e\ufffd</title>",
        "<html><head><title>" + "x" * 100_000,
        '{"json": true}',
        "<" * 10_000,
    ],
)
def test_broken_markup_never_crashes(markup: str) -> None:
    title, og = parse_head(markup)
    assert len(title) <= 300
    assert all(len(value) <= 500 for value in og.values())
    assert "\x00" not in title
    assert "\u202e" not in title


def test_long_title_is_cut() -> None:
    title, _ = parse_head("<title>" + "Bảo hiểm " * 200 + "</title>")
    assert 0 < len(title) <= 300
    assert title.endswith("…")
