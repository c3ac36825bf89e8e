"""extract_page: dispatch per platform, walls before extraction, and no crash on hostile markup."""

from __future__ import annotations

import pytest

from monitor.enrich import pages
from monitor.enrich.page import MAX_DESCRIPTION, MAX_EXCERPT, MAX_NAME, PageInfo
from monitor.enrich.pages import extract_page
from tests.enrich import samples

PLATFORMS = ["telegram", "tiktok", "youtube", "facebook", "instagram", "web", "zalo"]
URLS = {
    "telegram": "https://t.me/bhxh",
    "tiktok": "https://www.tiktok.com/@bhxh",
    "youtube": "https://www.youtube.com/@bhxh",
    "facebook": "https://www.facebook.com/bhxh",
    "instagram": "https://www.instagram.com/bhxh/",
    "web": "https://bhxh-binhduong.online/",
    "zalo": "https://zalo.me/0901234567",
}
LONG = "Bảo hiểm " * 1_200
HOSTILE = [
    "",
    "\x00" * 1_000,
    "\ud800\udc00\udfff<title>\ud83d</title>",
    f'<meta property="og:title" content="{LONG}"><meta property="og:description" content="{LONG * 3}">',
    f"<title>{LONG}</title><body>{LONG * 5}</body>",
    '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">{"__DEFAULT_SCOPE__": ' + "[" * 100_000 + "</script>",
    '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">{"__DEFAULT_SCOPE__": {"webapp.user-detail": '
    '{"userInfo": {"user": "x", "stats": [1, 2]}}}}</script>',
    '<script id="SIGI_STATE">{"UserModule": {"users": {"a": 5}, "stats": 7}}</script>',
    "<script>var ytInitialData = " + '{"a":' * 50_000 + "</script>",
    '<script>var ytInitialData = {"metadata": {"channelMetadataRenderer": [1]}, "header": 5};</script>',
    '<script>var ytInitialData = {"header": {"c4TabbedHeaderRenderer": {"subscriberCountText": 7, '
    '"headerLinks": {"x": {"url": "https://[::1"}}}}};</script>',
    "<script>" * 5_000,
    '<a href="javascript:alert(1)">x</a><link rel="canonical" href="http://[::1">'
    '<link rel="icon" href="%%%">',
    '<div class="tgme_page_title"></div><div class="tgme_page_extra">' + "9" * 500 + " members</div>",
    '<div class="tgme_channel_info"><div class="tgme_widget_message"><div class="tgme_widget_message_text">'
    + "<br>" * 5_000
    + "</div></div></div>",
    "<html" + " a" * 50_000,
    "\ufeff<title>\u202eBHXH\u200b</title>",
]


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("html", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_markup_never_raises_and_stays_capped(platform: str, html: str) -> None:
    info = extract_page(platform, URLS[platform], 200, html)
    assert isinstance(info, PageInfo)
    assert info.platform == platform
    assert len(info.title or "") <= MAX_NAME
    assert len(info.description or "") <= MAX_DESCRIPTION
    assert len(info.text_excerpt) <= MAX_EXCERPT
    assert all(len(value) <= 1_000 for value in info.og.values())
    assert info.reason != "extract_failed"


def test_walls_come_before_extraction() -> None:
    info = extract_page("telegram", "https://t.me/bhxh", 429, samples.TG_CHANNEL)
    assert (info.outcome, info.reason, info.kind, info.title) == (
        "blocked",
        "http_429",
        "wall",
        "Telegram: View @bhxhbinhduong_hotro",
    )
    assert info.followers is None


def test_unknown_platform_is_read_as_a_website() -> None:
    info = extract_page("zalo", "https://zalo.me/pc", 200, samples.WEBSITE)
    assert (info.platform, info.kind, info.title) == ("zalo", "page", "BHXH Bình Dương Online")


def test_a_failing_extractor_is_logged_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(html: str, url: str) -> PageInfo:
        raise RuntimeError("bug")

    monkeypatch.setitem(pages.EXTRACTORS, "web", broken)
    info = extract_page("web", "https://bhxh-binhduong.online/", 200, samples.WEBSITE)
    assert (info.outcome, info.reason, info.title) == ("content", "extract_failed", None)
