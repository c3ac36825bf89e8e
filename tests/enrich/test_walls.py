"""Wall detection: own pages for every kind of wall, the real walls, and no false walls on real content."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.enrich.walls import WallVerdict, classify_wall
from tests.enrich import samples

FB = "https://www.facebook.com/bhxhbinhduong.hotro"

WALLS = [
    # (status, final URL, body, kind, reason)
    (
        200,
        "https://www.facebook.com/login/?next=https%3A%2F%2Fwww.facebook.com%2Fbhxh",
        "<title>Facebook</title>",
        "login",
        "facebook_login_redirect",
    ),
    (200, "https://m.facebook.com/login.php?next=x", "", "login", "facebook_login_redirect"),
    (200, "https://www.facebook.com/checkpoint/?next", "", "checkpoint", "facebook_checkpoint"),
    (
        200,
        FB,
        "<html><head><title>Log into Facebook</title></head><body><form id=login_form></form></body></html>",
        "login",
        "facebook_login_page",
    ),
    (200, FB, "<title>Đăng nhập Facebook</title>", "login", "facebook_login_page"),
    (200, FB, "<title>Facebook - Đăng nhập hoặc đăng ký</title>", "login", "facebook_login_page"),
    (200, FB, "<title>Security Check</title>", "checkpoint", "facebook_checkpoint_page"),
    (200, "https://www.instagram.com/accounts/login/?next=/bhxh/", "", "login", "instagram_login_redirect"),
    (
        200,
        "https://www.instagram.com/bhxh/",
        "<title>Login • Instagram</title>",
        "login",
        "instagram_login_page",
    ),
    (200, "https://www.instagram.com/challenge/?next=/bhxh/", "", "checkpoint", "instagram_challenge"),
    (
        200,
        "https://consent.youtube.com/m?continue=https://www.youtube.com/@bhxh",
        "<title>Before you continue</title>",
        "consent",
        "google_consent_redirect",
    ),
    (
        200,
        "https://www.youtube.com/@bhxh",
        '<title>Trước khi bạn tiếp tục truy cập YouTube</title><form action="https://consent.youtube.com/save">',
        "consent",
        "google_consent_page",
    ),
    (200, "https://consent.google.com/ml?continue=x", "", "consent", "google_consent_redirect"),
    (
        403,
        "https://bhxh-binhduong.online/",
        "<html><head><title>Just a moment...</title></head></html>",
        "challenge",
        "cloudflare_challenge",
    ),
    (
        503,
        "https://bhxh-binhduong.online/",
        "<script>window._cf_chl_opt={cvId: '3'};</script>",
        "challenge",
        "cloudflare_challenge",
    ),
    (
        200,
        "https://www.tiktok.com/@bhxh",
        '<div class="captcha-verify-container"></div>',
        "challenge",
        "tiktok_captcha",
    ),
    (200, "https://www.tiktok.com/login?redirect_url=x", "", "login", "tiktok_login_redirect"),
    (200, "https://www.google.com/sorry/index?continue=x", "", "challenge", "google_unusual_traffic"),
    (
        400,
        "https://www.facebook.com/bhxh",
        "<html><body>Your browser is not supported. Please update.</body></html>",
        "unsupported_browser",
        "http_400_unsupported_browser",
    ),
    (
        200,
        "https://www.facebook.com/unsupportedbrowser",
        "",
        "unsupported_browser",
        "unsupported_browser_redirect",
    ),
    (
        200,
        FB,
        "<title>Update Your Browser | Facebook</title>",
        "unsupported_browser",
        "unsupported_browser_page",
    ),
    (403, "https://bhxh-binhduong.online/", "Forbidden", "refused", "http_403"),
    (429, "https://t.me/bhxh", "", "refused", "http_429"),
    (451, "https://bhxh-binhduong.online/", "", "refused", "http_451"),
    # Content that is gone: the lifecycle calls these taken down.
    (
        200,
        FB,
        "<body><span>This content isn't available right now</span></body>",
        "unavailable",
        "meta_content_unavailable",
    ),
    (
        200,
        FB,
        "<body><h2>This content isn&#039;t available at the moment</h2></body>",
        "unavailable",
        "meta_content_unavailable",
    ),
    (
        200,
        FB,
        "<body><span>Nội dung này hiện không khả dụng</span></body>",
        "unavailable",
        "meta_content_unavailable",
    ),
    (
        200,
        "https://www.instagram.com/bhxh/",
        "<h2>Sorry, this page isn't available.</h2>",
        "unavailable",
        "meta_content_unavailable",
    ),
    (
        200,
        "https://www.tiktok.com/@bhxh",
        "<body><p>Couldn’t find this account</p></body>",
        "unavailable",
        "tiktok_account_not_found",
    ),
    (
        200,
        "https://www.tiktok.com/@bhxh",
        "<body><p>Không thể tìm thấy tài khoản này</p></body>",
        "unavailable",
        "tiktok_account_not_found",
    ),
    (
        200,
        "https://www.youtube.com/@bhxh",
        '<script>var ytInitialData = {"alerts":[{"alertRenderer":{"type":"ERROR","text":{"simpleText":'
        '"This account has been terminated for violating YouTube\'s Terms of Service."}}}]};</script>',
        "unavailable",
        "youtube_channel_unavailable",
    ),
    (200, "https://t.me/bhxh_binhduong_vn", samples.TG_UNUSED, "unavailable", "telegram_unused_name"),
]


@pytest.mark.parametrize(("status", "url", "html", "kind", "reason"), WALLS)
def test_walls(status: int, url: str, html: str, kind: str, reason: str) -> None:
    verdict = classify_wall(status, url, html)
    assert verdict == WallVerdict(kind, reason)  # type: ignore[arg-type]
    assert verdict.outcome == ("unavailable" if kind == "unavailable" else "blocked")


CONTENT = [
    (200, "https://bhxh-binhduong.online/", samples.WEBSITE),
    (200, "https://t.me/bhxhbinhduong_hotro", samples.TG_CHANNEL),
    (200, "https://t.me/s/bhxhbinhduong_hotro", samples.TG_PREVIEW),
    (200, "https://www.tiktok.com/@bhxh.binhduong.hotro", samples.tiktok_profile()),
    (200, "https://www.youtube.com/@bhxhbinhduong", samples.YOUTUBE_CHANNEL),
    # Words of walls in ordinary places are not walls.
    (
        200,
        "https://bhxh-binhduong.online/",
        "<title>Đăng nhập Facebook để nhận hỗ trợ</title><p>login, captcha</p>",
    ),
    (200, "https://bhxh-binhduong.online/", "<p>This content isn't available</p>"),
    (200, "https://www.tiktok.com/@bhxh", '<script>{"err_user":"Couldn\'t find this account"}</script>'),
    (200, "https://www.tiktok.com/@bhxh", '<script>{"statusCode":10222}</script>'),
    (
        200,
        "https://bhxh-binhduong.online/",
        '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script>',
    ),
    (400, "https://bhxh-binhduong.online/", "<p>Bad request</p>"),
    (404, "https://t.me/bhxh", ""),
    (200, "", ""),
    (200, "http://[::1", "\x00" * 10),
]


@pytest.mark.parametrize(("status", "url", "html"), CONTENT)
def test_content_is_not_a_wall(status: int, url: str, html: str) -> None:
    assert classify_wall(status, url, html) is None


REAL_WALLS = [
    (
        "facebook/fb_www_2018-04_unsupported-browser_metascraper.html",
        "https://www.facebook.com/x/videos/1/",
        WallVerdict("unsupported_browser", "unsupported_browser_page"),
    ),
    (
        "bing/bing_challenge_2026-04_sanguinary.html",
        "https://www.bing.com/search?q=x",
        WallVerdict("challenge", "bot_challenge"),
    ),
    (
        "duckduckgo/ddg_lite_challenge_2026-07_celina.html",
        "https://lite.duckduckgo.com/lite/",
        WallVerdict("challenge", "bot_challenge"),
    ),
    (
        "telegram/tme_free_2026-08_sherlock-telegram.html",
        "https://t.me/zzq9x7v2knot44",
        WallVerdict("unavailable", "telegram_unused_name"),
    ),
]


@pytest.mark.parametrize(("name", "url", "verdict"), REAL_WALLS)
def test_real_walls(realworld: Path, name: str, url: str, verdict: WallVerdict) -> None:
    html = (realworld / name).read_text(encoding="utf-8", errors="replace")
    assert classify_wall(200, url, html) == verdict


REAL_CONTENT = [
    ("telegram/tme_channel_2026-08_sherlock-telegram.html", "https://t.me/durov"),
    ("telegram/tme_channel_2021-02_metascraper.html", "https://t.me/unlimitedhangout"),
    ("telegram/tme_user_2026-08_sherlock-telegram.html", "https://t.me/nikolai"),
    ("telegram/tme_group_2026-08_sherlock-telegram.html", "https://t.me/python"),
    ("telegram/tme_bot_2026-08_sherlock-telegram.html", "https://t.me/BotFather"),
    ("telegram/tme_s_durov_2026-08_sherlock-telegram.html", "https://t.me/s/durov"),
    ("tiktok/tiktok_profile_2025-12_metascraper.html", "https://www.tiktok.com/@illojuan"),
    ("youtube/youtube_channel_2018-01_metascraper.html", "https://www.youtube.com/user/movietrailers"),
    ("youtube/youtube_channel_2024-01_metascraper.html", "https://www.youtube.com/@OneMedia."),
    ("facebook/fb_m_2020-05_kevinzg.i0.body.html", "https://m.facebook.com/Nintendo/posts/"),
    ("facebook/fb_m_2020-05_kevinzg.i2.body.html", "https://www.facebook.com/story.php?story_fbid=1&id=2"),
    ("facebook/fb_m_2021-06_kevinzg_group.i0.body.html", "https://m.facebook.com/groups/117507531664134/"),
    ("facebook/fb_m_2021-06_kevinzg_smoketest.i0.body.html", "https://m.facebook.com/Nintendo/posts/"),
    ("facebook/fb_mbasic_about_2021-02_granary.html", "https://mbasic.facebook.com/snarfed.org/about"),
    ("facebook/fb_mbasic_profile_2021-02_granary.html", "https://mbasic.facebook.com/profile.php"),
    ("facebook/fb_mbasic_feed_2022-07_granary.html", "https://mbasic.facebook.com/"),
    ("bing/bing_2026-07_celina.html", "https://www.bing.com/search?q=x"),
    ("duckduckgo/ddg_html_2026-07_celina.html", "https://html.duckduckgo.com/html/"),
    ("google/google_2025-10_starify.html", "https://www.google.com/search?q=x"),
]


@pytest.mark.parametrize(("name", "url"), REAL_CONTENT)
def test_real_content_is_not_a_wall(realworld: Path, name: str, url: str) -> None:
    html = (realworld / name).read_text(encoding="utf-8", errors="replace")
    assert classify_wall(200, url, html) is None
