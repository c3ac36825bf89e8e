"""YouTube Data API calls through the real HttpClient against a loopback stand-in of the API."""

from __future__ import annotations

import asyncio

import pytest
from starlette.responses import JSONResponse, PlainTextResponse

from monitor.enrich.page import PageInfo
from monitor.enrich.youtube_api import channel_metadata, search_channels
from monitor.errors import BlockedError, ParseError
from monitor.net.client import HttpClient
from tests.enrich.site import Site, settings

SEARCH = {
    "kind": "youtube#searchListResponse",
    "items": [
        {
            "id": {"kind": "youtube#channel", "channelId": "UCabcdefghijklmnopqrstuv"},
            "snippet": {"channelTitle": "BHXH tỉnh Bình Dương", "description": "Hỗ trợ rút BHXH 1 lần"},
        },
        {
            "id": {"kind": "youtube#channel", "channelId": "UCbbbbbbbbbbbbbbbbbbbbbb"},
            "snippet": {"title": "BHXH"},
        },
    ],
}


def _search(base: str, max_results: int = 25) -> list[PageInfo]:
    async def go() -> list[PageInfo]:
        async with HttpClient(settings()) as client:
            return await search_channels(
                client,
                "BHXH Bình Dương",
                api_key="secret-key",
                api_url=f"{base}/youtube/v3",
                max_results=max_results,
            )

    return asyncio.run(go())


def test_search_channels(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/youtube/v3/search"] = JSONResponse(SEARCH)
    found = _search(base, max_results=500)
    assert [(info.external_id, info.title) for info in found] == [
        ("UCabcdefghijklmnopqrstuv", "BHXH tỉnh Bình Dương"),
        ("UCbbbbbbbbbbbbbbbbbbbbbb", "BHXH"),
    ]
    assert found[0].url == "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv"
    assert web.queries[-1] == {
        "part": "snippet",
        "type": "channel",
        "q": "BHXH Bình Dương",
        "maxResults": "50",
        "regionCode": "VN",
        "relevanceLanguage": "vi",
        "key": "secret-key",
    }
    assert web.asked == ["/youtube/v3/search"]  # an API: robots.txt is not asked


def test_search_quota_exceeded_is_a_block(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/youtube/v3/search"] = JSONResponse(
        {"error": {"code": 403, "errors": [{"reason": "quotaExceeded"}]}}, status_code=403
    )
    with pytest.raises(BlockedError):
        _search(base)


def test_search_answer_that_is_not_json(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/youtube/v3/search"] = PlainTextResponse("<html>oops</html>")
    with pytest.raises(ParseError):
        _search(base)


def test_channel_metadata_for_urls_it_cannot_name(site: tuple[Site, str]) -> None:
    web, base = site

    async def go() -> PageInfo | None:
        async with HttpClient(settings()) as client:
            return await channel_metadata(
                client, "https://www.youtube.com/watch?v=abc", api_key="k", api_url=f"{base}/youtube/v3"
            )

    assert asyncio.run(go()) is None
    assert web.asked == []
