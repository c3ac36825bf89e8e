"""Telegram extraction on the real t.me captures (2021, 2026) and on small own pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.enrich import telegram
from monitor.enrich.pages import extract_page
from tests.enrich import samples


def _real(realworld: Path, name: str) -> str:
    return (realworld / "telegram" / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "url", "kind", "title", "handle", "followers", "verified"),
    [
        (
            "tme_channel_2026-08_sherlock-telegram.html",
            "https://t.me/durov",
            "channel",
            "Pavel Durov",
            "durov",
            11_286_994,
            True,
        ),
        (
            "tme_channel_2021-02_metascraper.html",
            "https://t.me/unlimitedhangout",
            "channel",
            "Unlimited Hangout",
            "unlimitedhangout",
            2_805,
            False,
        ),
        (
            "tme_user_2026-08_sherlock-telegram.html",
            "https://t.me/nikolai",
            "user",
            "Nikolai",
            "nikolai",
            None,
            False,
        ),
        (
            "tme_group_2026-08_sherlock-telegram.html",
            "https://t.me/python",
            "group",
            "Python",
            "python",
            97_957,
            False,
        ),
        (
            "tme_bot_2026-08_sherlock-telegram.html",
            "https://t.me/BotFather",
            "bot",
            "BotFather",
            "BotFather",
            8_122_955,
            True,
        ),
    ],
)
def test_real_profile_pages(
    realworld: Path,
    name: str,
    url: str,
    kind: str,
    title: str,
    handle: str,
    followers: int | None,
    verified: bool,
) -> None:
    info = extract_page("telegram", url, 200, _real(realworld, name))
    assert (info.kind, info.title, info.handle, info.followers, info.verified) == (
        kind,
        title,
        handle,
        followers,
        verified,
    )
    assert info.outcome == "content"
    assert info.og["og:title"] == title
    assert info.favicon_url is not None
    assert info.favicon_url.startswith("https://telegram.org/")


def test_real_descriptions_keep_line_breaks_and_links(realworld: Path) -> None:
    group = extract_page(
        "telegram", "https://t.me/python", 200, _real(realworld, "tme_group_2026-08_sherlock-telegram.html")
    )
    assert group.description is not None
    assert group.description.startswith(
        "You will be muted until you read the rules. Read them! @Rules_for_Python\n"
    )
    assert "https://t.me/Rules_for_Python" in group.links
    old = extract_page(
        "telegram",
        "https://t.me/unlimitedhangout",
        200,
        _real(realworld, "tme_channel_2021-02_metascraper.html"),
    )
    assert old.description == "Investigative Journalist Whitney Webb\nhttps://unlimitedhangout.com/"
    assert old.image_url is not None
    assert old.image_url.startswith("https://cdn1.telesco.pe/file/")


def test_real_unused_name_is_unavailable(realworld: Path) -> None:
    info = extract_page(
        "telegram",
        "https://t.me/zzq9x7v2knot44",
        200,
        _real(realworld, "tme_free_2026-08_sherlock-telegram.html"),
    )
    assert (info.kind, info.outcome, info.reason) == ("unused", "unavailable", "telegram_unused_name")
    assert info.handle == "zzq9x7v2knot44"
    assert info.title is None
    assert info.description is None


def test_real_preview_page_has_recent_posts_newest_first(realworld: Path) -> None:
    info = extract_page(
        "telegram",
        "https://t.me/s/durov",
        200,
        _real(realworld, "tme_s_durov_2026-08_sherlock-telegram.html"),
    )
    assert (info.kind, info.title, info.handle, info.verified) == ("channel", "Pavel Durov", "durov", True)
    assert info.followers == 11_300_000
    assert info.canonical_url == "https://t.me/s/durov?before=540"
    assert len(info.posts) == 19  # 20 messages, one is a video without text
    assert info.posts[-1].startswith("🤖 Your Telegram inbox can now run itself.")
    assert all(0 < len(post) <= 1_000 for post in info.posts)
    assert info.description == "Founder of Telegram."


def test_own_channel_with_contacts() -> None:
    info = telegram.extract(samples.TG_CHANNEL, "https://t.me/bhxhbinhduong_hotro")
    assert info.kind == "channel"
    assert info.title == "BHXH Tỉnh Bình Dương - Hỗ Trợ"
    assert info.handle == "bhxhbinhduong_hotro"
    assert info.followers == 12_345
    assert info.description == "Hỗ trợ rút BHXH 1 lần nhanh\nZalo: 0901.234.567\nLiên hệ zalo.me/0901234567"
    assert info.links == ("https://zalo.me/0901234567",)


def test_own_preview_posts() -> None:
    info = telegram.extract(samples.TG_PREVIEW, "https://t.me/s/bhxhbinhduong_hotro")
    assert info.posts[0].startswith("Rút BHXH 1 lần chỉ 3 ngày.\nPhí 500.000đ")
    assert info.posts[1] == "Bài cũ: nhận hồ sơ tại nhà"
    assert info.followers == 12_300
    assert info.verified is False
    assert "https://zalo.me/0912345678" in info.links


def test_own_unused_name() -> None:
    info = extract_page("telegram", "https://t.me/bhxh_binhduong_vn", 200, samples.TG_UNUSED)
    assert (info.kind, info.outcome, info.handle) == ("unused", "unavailable", "bhxh_binhduong_vn")


def test_scam_label_and_handle_from_url() -> None:
    html = (
        '<div class="tgme_page"><div class="tgme_page_title"><span dir="auto">BHXH</span>'
        '<span class="tgme_page_title_label scam">SCAM</span></div>'
        '<div class="tgme_page_extra">3 members</div></div>'
    )
    info = telegram.extract(html, "https://t.me/bhxh_fake_group")
    assert info.labels == ("scam",)
    assert info.handle == "bhxh_fake_group"
    assert (info.kind, info.followers) == ("group", 3)


def test_hostile_title_is_capped_and_cleaned() -> None:
    name = "\u202e" + "Ư" * 10_000 + "\x00"
    html = f'<div class="tgme_page"><div class="tgme_page_title"><span>{name}</span></div></div>'
    info = telegram.extract(html, "https://t.me/x")
    assert info.title is not None
    assert len(info.title) == 300
    assert "\u202e" not in info.title
