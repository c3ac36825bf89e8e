"""TikTok extraction: the real 2025 profile capture, own pages of each JSON vintage, oEmbed answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.enrich import tiktok
from monitor.enrich.pages import extract_page
from tests.enrich import samples

PROFILE = "https://www.tiktok.com/@bhxh.binhduong.hotro"


def test_real_profile(realworld: Path) -> None:
    html = (realworld / "tiktok" / "tiktok_profile_2025-12_metascraper.html").read_text(encoding="utf-8")
    info = extract_page("tiktok", "https://www.tiktok.com/@illojuan", 200, html)
    assert info.outcome == "content"  # its translations say "Couldn't find this account": not a wall
    assert (info.kind, info.title, info.handle, info.external_id) == (
        "profile",
        "IlloJuan",
        "illojuan",
        "6781206617314018309",
    )
    assert info.description == "Timing, saludos desde Almería"
    assert info.verified is True
    assert info.followers == 783_427  # statsV2, exact; og:description rounds to 783.4K
    assert info.links == ("https://twitch.tv/illojuan",)
    assert info.canonical_url == "https://www.tiktok.com/@illojuan"
    assert info.og["og:title"] == "IlloJuan (@illojuan) | TikTok"
    assert info.image_url is not None
    assert info.image_url.startswith("https://p16-common-sign.tiktokcdn-eu.com/")
    assert info.favicon_url == "https://www.tiktok.com/favicon.ico"


def test_own_profile() -> None:
    info = extract_page("tiktok", PROFILE, 200, samples.tiktok_profile(verified=False))
    assert info.outcome == "content"
    assert (info.title, info.handle, info.verified, info.followers) == (
        "BHXH Bình Dương Hỗ Trợ",
        "bhxh.binhduong.hotro",
        False,
        1_234,
    )
    assert info.links == ("https://zalo.me/0987654321",)


@pytest.mark.parametrize(
    ("code", "reason"), [(10202, "tiktok_account_not_found"), (10221, "tiktok_account_banned")]
)
def test_status_codes_of_gone_accounts(code: int, reason: str) -> None:
    info = extract_page("tiktok", PROFILE, 200, samples.tiktok_profile(code))
    assert (info.outcome, info.reason) == ("unavailable", reason)


def test_sigi_state_vintage() -> None:
    state = {
        "UserModule": {
            "users": {
                "bhxh.bd": {
                    "id": "9",
                    "uniqueId": "bhxh.bd",
                    "nickname": "BHXH BD",
                    "verified": False,
                    "signature": "Hỗ trợ",
                }
            },
            "stats": {"bhxh.bd": {"followerCount": 5_000}},
        }
    }
    html = f'<script id="SIGI_STATE" type="application/json">{json.dumps(state)}</script>'
    info = tiktok.extract(html, "https://www.tiktok.com/@bhxh.bd")
    assert (info.title, info.handle, info.followers, info.description) == (
        "BHXH BD",
        "bhxh.bd",
        5_000,
        "Hỗ trợ",
    )


def test_broken_json_falls_back_to_og_tags() -> None:
    html = (
        '<meta property="og:title" content="BHXH Bình Dương (@bhxh_bd) | TikTok">'
        '<meta property="og:description" content="BHXH (@bhxh_bd) on TikTok | 10 Likes. 783.4K Followers.">'
        '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">{"__DEFAULT_SCOPE__": {'
        + "[" * 5_000
        + "</script>"
    )
    info = tiktok.extract(html, "https://www.tiktok.com/@bhxh_bd")
    assert (info.title, info.handle, info.followers, info.verified) == (
        "BHXH Bình Dương",
        "bhxh_bd",
        783_400,
        None,
    )


def test_video_detail_page() -> None:
    data = {
        "__DEFAULT_SCOPE__": {
            "webapp.video-detail": {
                "itemInfo": {
                    "itemStruct": {
                        "desc": "Rút BHXH 1 lần #bhxh",
                        "author": {"uniqueId": "bhxh_bd", "nickname": "BHXH", "verified": False},
                        "authorStats": {"followerCount": 10},
                    }
                }
            }
        }
    }
    html = f'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">{json.dumps(data)}</script>'
    info = tiktok.extract(html, "https://www.tiktok.com/@bhxh_bd/video/7300000000000000001")
    assert (info.kind, info.handle, info.description, info.followers) == (
        "video",
        "bhxh_bd",
        "Rút BHXH 1 lần #bhxh",
        10,
    )


@pytest.mark.parametrize(
    ("url", "video"),
    [
        ("https://www.tiktok.com/@bhxh/video/7300000000000000001", True),
        ("https://www.tiktok.com/@bhxh/photo/7300000000000000001", True),
        ("https://vm.tiktok.com/ZMabc123/", True),
        ("https://www.tiktok.com/@bhxh", False),
        ("https://www.tiktok.com/@bhxh?lang=vi", False),
        ("http://[::1", False),
    ],
)
def test_is_video_url(url: str, video: bool) -> None:
    assert tiktok.is_video_url(url) is video


def test_parse_oembed() -> None:
    answer = {
        "version": "1.0",
        "type": "video",
        "title": "Rút BHXH 1 lần, Zalo 0901234567",
        "author_url": "https://www.tiktok.com/@bhxh_bd",
        "author_name": "BHXH Bình Dương",
        "author_unique_id": "bhxh_bd",
        "thumbnail_url": "https://p16.tiktokcdn.com/x.jpeg",
        "embed_product_id": "7300000000000000001",
        "provider_name": "TikTok",
    }
    url = "https://www.tiktok.com/@bhxh_bd/video/7300000000000000001"
    info = tiktok.parse_oembed(answer, url)
    assert (info.kind, info.title, info.handle, info.external_id) == (
        "video",
        "BHXH Bình Dương",
        "bhxh_bd",
        "7300000000000000001",
    )
    assert info.description == "Rút BHXH 1 lần, Zalo 0901234567"
    assert info.image_url == "https://p16.tiktokcdn.com/x.jpeg"
    assert info.links == ("https://www.tiktok.com/@bhxh_bd",)


@pytest.mark.parametrize("answer", [None, [], "x", {"author_unique_id": "bad handle!", "title": 5}])
def test_parse_oembed_hostile(answer: object) -> None:
    info = tiktok.parse_oembed(answer, "https://www.tiktok.com/@a/video/1")
    assert info.kind == "video"
    assert info.handle is None
