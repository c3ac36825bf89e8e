"""YouTube Data API calls through the real HttpClient against a loopback stand-in of the API."""

from __future__ import annotations

import asyncio

from monitor.enrich.page import PageInfo
from monitor.enrich.youtube_api import channel_metadata
from monitor.net.client import HttpClient
from tests.enrich.site import Site, settings


def test_channel_metadata_for_urls_it_cannot_name(site: tuple[Site, str]) -> None:
    web, base = site

    async def go() -> PageInfo | None:
        async with HttpClient(settings()) as client:
            return await channel_metadata(
                client, "https://www.youtube.com/watch?v=abc", api_key="k", api_url=f"{base}/youtube/v3"
            )

    assert asyncio.run(go()) is None
    assert web.asked == []
