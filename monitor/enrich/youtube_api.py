"""YouTube Data API v3: channel search by brand name (a discovery source) and channel metadata."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from monitor.enrich.markup import as_dict, dig
from monitor.enrich.page import MAX_DESCRIPTION, MAX_NAME, MAX_URL, PageInfo, optional, parse_count
from monitor.enrich.youtube import CHANNEL_ID, PLATFORM
from monitor.errors import ParseError
from monitor.net.client import HttpClient

DEFAULT_API_URL = "https://www.googleapis.com/youtube/v3"
# search.list accepts 0-50 results per page.
MAX_RESULTS = 50


def channel_url(channel_id: str) -> str:
    return f"https://www.youtube.com/channel/{channel_id}"


def parse_channel(item: Any) -> PageInfo | None:
    """One channels.list or search.list item as a PageInfo; None when it names no channel."""
    if not isinstance(item, dict):
        return None
    item_id = item.get("id")
    channel_id = item_id if isinstance(item_id, str) else dig(item, "id", "channelId")
    if not isinstance(channel_id, str):
        channel_id = dig(item, "snippet", "channelId")
    if not isinstance(channel_id, str) or not CHANNEL_ID.fullmatch(channel_id):
        return None
    snippet = as_dict(item.get("snippet"))
    statistics = as_dict(item.get("statistics"))
    hidden = statistics.get("hiddenSubscriberCount") is True
    custom = optional(snippet.get("customUrl"), 110)
    url = channel_url(channel_id)
    return PageInfo(
        platform=PLATFORM,
        url=url,
        kind="channel",
        title=optional(snippet.get("title") or snippet.get("channelTitle"), MAX_NAME),
        handle=custom if custom and " " not in custom else None,
        external_id=channel_id,
        description=optional(snippet.get("description"), MAX_DESCRIPTION, multiline=True),
        followers=None if hidden else parse_count(statistics.get("subscriberCount")),
        canonical_url=url,
        image_url=_thumbnail(snippet),
    )


def parse_channels(data: Any) -> list[PageInfo]:
    """Every channel in a channels.list or search.list answer, without repeats."""
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        if isinstance(data, dict) and "kind" in data:
            return []  # a valid answer without matches carries no "items"
        raise ParseError("YouTube Data API answer without items")
    found: dict[str, PageInfo] = {}
    for item in items:
        info = parse_channel(item)
        if info is not None and info.external_id and info.external_id not in found:
            found[info.external_id] = info
    return list(found.values())


async def channel_metadata(
    client: HttpClient, url: str, *, api_key: str, api_url: str = DEFAULT_API_URL
) -> PageInfo | None:
    """channels.list for the channel of `url` (/channel/UC... or /@handle); None when it does not exist."""
    params = lookup_params(url)
    if params is None:
        return None
    response = await client.get(
        f"{api_url.rstrip('/')}/channels",
        params={"part": "snippet,statistics", **params, "key": api_key},
        robots=False,
    )
    response.raise_for_status()
    channels = parse_channels(response.json())
    return channels[0] if channels else None


def lookup_params(url: str) -> dict[str, str] | None:
    """channels.list parameters naming the channel of `url`, None for other YouTube URLs."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    parts = [part for part in path.split("/") if part]
    if len(parts) >= 2 and parts[0] == "channel" and CHANNEL_ID.fullmatch(parts[1]):
        return {"id": parts[1]}
    if parts and parts[0].startswith("@") and len(parts[0]) > 1:
        return {"forHandle": parts[0]}
    if len(parts) >= 2 and parts[0] == "user":
        return {"forUsername": parts[1]}
    return None


def _thumbnail(snippet: dict[str, Any]) -> str | None:
    for size in ("high", "medium", "default"):
        url = dig(snippet, "thumbnails", size, "url")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            return optional(url, MAX_URL)
    return None
