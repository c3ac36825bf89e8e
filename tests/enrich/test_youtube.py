"""YouTube: the real channel captures (2018, 2024), an own page, and Data API answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.enrich import youtube
from monitor.enrich.pages import extract_page
from monitor.enrich.youtube_api import lookup_params, parse_channels
from monitor.errors import ParseError
from tests.enrich import samples

ONE_MEDIA = "UCzcRQ3vRNr6fJ1A9rqFn7QA"


def _real(realworld: Path, year: str) -> str:
    return (realworld / "youtube" / f"youtube_channel_{year}_metascraper.html").read_text(encoding="utf-8")


def test_real_channel_2018(realworld: Path) -> None:
    info = extract_page(
        "youtube", f"https://www.youtube.com/channel/{ONE_MEDIA}", 200, _real(realworld, "2018-01")
    )
    assert (info.kind, info.outcome, info.title, info.external_id) == (
        "channel",
        "content",
        "ONE Media",
        ONE_MEDIA,
    )
    assert info.handle == "movietrailers"  # the legacy /user/ name; no @handle existed yet
    assert info.verified is True
    assert info.followers is None  # the 2018 header carries no subscriber count
    assert info.og["og:title"] == "ONE Media - YouTube"
    assert info.canonical_url == f"https://www.youtube.com/channel/{ONE_MEDIA}"
    assert info.description is not None
    assert info.description.startswith("Thor 3, Star Wars")
    assert "https://twitter.com/Fresh_Trailers" in info.links
    assert not any("accounts.google.com" in link for link in info.links)


def test_real_channel_2024(realworld: Path) -> None:
    info = extract_page("youtube", "https://www.youtube.com/@OneMedia.", 200, _real(realworld, "2024-01"))
    assert (info.title, info.handle, info.external_id, info.verified) == (
        "ONE Media",
        "@OneMedia.",
        ONE_MEDIA,
        True,
    )
    assert info.followers == 4_690_000  # "4,69 M de suscriptores"
    assert info.links == ("https://www.facebook.com/204568612956950",)
    assert info.image_url is not None
    assert info.image_url.startswith("https://yt3.googleusercontent.com/")
    assert info.favicon_url == "https://www.youtube.com/s/desktop/375de707/img/favicon.ico"


def test_own_channel_page() -> None:
    info = youtube.extract(samples.YOUTUBE_CHANNEL, "https://www.youtube.com/@bhxhbinhduong")
    assert (info.title, info.handle, info.external_id) == (
        "BHXH Bình Dương",
        "@bhxhbinhduong",
        "UCabcdefghijklmnopqrstuv",
    )
    assert info.followers == 1_200
    assert info.verified is False
    assert info.links == ("https://zalo.me/0901234567",)
    assert info.description == "Hỗ trợ rút BHXH 1 lần, hotline 1900 1234"


def test_page_without_initial_data_uses_og_tags() -> None:
    html = (
        '<title>Kênh BHXH - YouTube</title><meta property="og:title" content="Kênh BHXH - YouTube">'
        f'<meta property="og:url" content="https://www.youtube.com/channel/{ONE_MEDIA}">'
        "<script>var ytInitialData = {broken</script>"
    )
    info = youtube.extract(html, "https://www.youtube.com/c/kenhbhxh")
    assert (info.title, info.external_id, info.verified, info.followers) == (
        "Kênh BHXH",
        ONE_MEDIA,
        None,
        None,
    )


def test_api_channels_answer() -> None:
    answer = {
        "kind": "youtube#channelListResponse",
        "items": [
            {
                "kind": "youtube#channel",
                "id": "UCabcdefghijklmnopqrstuv",
                "snippet": {
                    "title": "BHXH Bình Dương",
                    "description": "Zalo 0901234567",
                    "customUrl": "@bhxhbd",
                    "thumbnails": {"high": {"url": "https://yt3.ggpht.com/a.jpg"}},
                },
                "statistics": {"subscriberCount": "1520", "hiddenSubscriberCount": False},
            },
            {"kind": "youtube#channel", "id": "not-a-channel-id"},
        ],
    }
    (info,) = parse_channels(answer)
    assert (info.title, info.handle, info.external_id, info.followers) == (
        "BHXH Bình Dương",
        "@bhxhbd",
        "UCabcdefghijklmnopqrstuv",
        1_520,
    )
    assert info.url == "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv"
    assert info.image_url == "https://yt3.ggpht.com/a.jpg"


def test_api_search_answer_and_hidden_counts() -> None:
    answer = {
        "kind": "youtube#searchListResponse",
        "items": [
            {
                "id": {"kind": "youtube#channel", "channelId": "UCabcdefghijklmnopqrstuv"},
                "snippet": {"channelTitle": "BHXH BD", "description": ""},
            },
            {"id": {"kind": "youtube#channel", "channelId": "UCabcdefghijklmnopqrstuv"}, "snippet": {}},
            {
                "id": "UCbbbbbbbbbbbbbbbbbbbbbb",
                "statistics": {"subscriberCount": "9", "hiddenSubscriberCount": True},
            },
        ],
    }
    first, second = parse_channels(answer)
    assert (first.title, first.description, first.external_id) == (
        "BHXH BD",
        None,
        "UCabcdefghijklmnopqrstuv",
    )
    assert second.followers is None
    assert parse_channels({"kind": "youtube#searchListResponse"}) == []
    with pytest.raises(ParseError):
        parse_channels({"error": {"code": 403}})


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (f"https://www.youtube.com/channel/{ONE_MEDIA}/videos", {"id": ONE_MEDIA}),
        ("https://www.youtube.com/@OneMedia.", {"forHandle": "@OneMedia."}),
        ("https://www.youtube.com/user/movietrailers", {"forUsername": "movietrailers"}),
        ("https://www.youtube.com/watch?v=abc", None),
        ("https://www.youtube.com/channel/short", None),
    ],
)
def test_lookup_params(url: str, params: dict[str, str] | None) -> None:
    assert lookup_params(url) == params
