"""YouTube channel and video pages: og tags, channel id, handle, and the ytInitialData channel metadata."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.enrich.markup import (
    absolute,
    canonical_url,
    dig,
    favicon_url,
    json_after,
    meta_tags,
    og_tags,
    page_title,
    parse_html,
    visible_text,
    walk,
)
from monitor.enrich.page import (
    MAX_DESCRIPTION,
    MAX_EXCERPT,
    MAX_LINKS,
    MAX_NAME,
    PageInfo,
    optional,
    parse_count,
)

PLATFORM = "youtube"
_INITIAL_DATA = re.compile(
    r"""(?:var\s+ytInitialData|window\[["']ytInitialData["']\]|ytInitialData)\s*=\s*"""
)
CHANNEL_ID = re.compile(r"\bUC[\w-]{22}\b")
_HANDLE_PATH = re.compile(r"^/(?:@|user/|c/)([\w.\-·]{1,100})")
_SUBSCRIBERS = re.compile(r"subscriber|người đăng ký|suscriptor|abonn|inscrit", re.IGNORECASE)
_TITLE_SUFFIX = re.compile(r"(?:\s+-\s+YouTube)+$")
_OWN_HOSTS = ("youtube.com", "googleusercontent.com", "ggpht.com", "gstatic.com")
_VERIFIED = ("BADGE_STYLE_TYPE_VERIFIED", "CHECK_CIRCLE_FILLED", "CHECK_CIRCLE_THICK")


def extract(html: str, url: str) -> PageInfo:
    """Name, channel id, handle, description, subscribers and verified badge of a YouTube page."""
    tree = parse_html(html)
    meta = meta_tags(tree)
    data = json_after(html, _INITIAL_DATA) if isinstance(html, str) else None
    channel = dig(data, "metadata", "channelMetadataRenderer")
    channel = channel if isinstance(channel, dict) else {}
    header = _header(data)
    canonical = canonical_url(tree, meta, url)
    is_video = meta.get("og:type", "").startswith("video") or "/watch" in (canonical or url)
    title = optional(channel.get("title")) or optional(
        _TITLE_SUFFIX.sub("", meta.get("og:title") or page_title(tree, MAX_NAME))
    )
    return PageInfo(
        platform=PLATFORM,
        url=url,
        kind="video" if is_video else "channel",
        title=title,
        handle=_handle(channel, header),
        external_id=_channel_id(channel, meta, canonical, url),
        description=optional(channel.get("description"), MAX_DESCRIPTION, multiline=True)
        or optional(meta.get("og:description") or meta.get("description"), MAX_DESCRIPTION, multiline=True),
        followers=_subscribers(header),
        verified=_verified(header),
        links=tuple(_links(header, url)),
        og=og_tags(meta),
        canonical_url=canonical,
        image_url=absolute(url, meta.get("og:image", "")),
        favicon_url=favicon_url(tree, url),
        text_excerpt=visible_text(tree, MAX_EXCERPT),
    )


def _header(data: Any) -> dict[str, Any] | None:
    header = dig(data, "header")
    if not isinstance(header, dict):
        return None
    for name in ("c4TabbedHeaderRenderer", "pageHeaderRenderer", "carouselHeaderRenderer"):
        value = header.get(name)
        if isinstance(value, dict):
            return value
    return None


def _strings(value: Any) -> list[tuple[str | None, str]]:
    return [(key, item) for key, item in walk(value, 20_000) if isinstance(item, str)]


def _handle(channel: dict[str, Any], header: dict[str, Any] | None) -> str | None:
    for candidate in (
        channel.get("vanityChannelUrl"),
        dig(header, "navigationEndpoint", "browseEndpoint", "canonicalBaseUrl"),
    ):
        if isinstance(candidate, str):
            try:
                path = urlsplit(candidate).path
            except ValueError:
                continue
            match = _HANDLE_PATH.match(path)
            if match:
                return ("@" if path.startswith("/@") else "") + match.group(1)
    for _, text in _strings(header):
        if text.startswith("@") and 3 <= len(text) <= 101 and " " not in text:
            return text
    return None


def _channel_id(channel: dict[str, Any], meta: dict[str, str], canonical: str | None, url: str) -> str | None:
    for candidate in (
        channel.get("externalId"),
        meta.get("identifier"),
        meta.get("channelid"),
        meta.get("og:url"),
        canonical,
        url,
    ):
        if isinstance(candidate, str):
            match = CHANNEL_ID.search(candidate)
            if match:
                return match.group(0)
    return None


def _subscribers(header: dict[str, Any] | None) -> int | None:
    if header is None:
        return None
    text = dig(header, "subscriberCountText", "simpleText")
    if isinstance(text, str):
        return parse_count(text)
    for _, value in _strings(header):
        if _SUBSCRIBERS.search(value):
            return parse_count(value)
    return None


def _verified(header: dict[str, Any] | None) -> bool | None:
    if header is None:
        return None
    dumped = json.dumps(header)
    return any(marker in dumped for marker in _VERIFIED)


def _links(header: dict[str, Any] | None, base: str) -> list[str]:
    """The links an owner put on the channel header, unwrapped from YouTube's redirect."""
    found: list[str] = []
    # Only the owner's links: the rest of the header holds sign-in and subscribe URLs.
    scope = header.get("headerLinks") if header and "headerLinks" in header else header
    for key, value in _strings(scope):
        if key != "url" or not value.startswith(("http://", "https://")):
            continue
        target = _unredirect(value)
        try:
            host = (urlsplit(target).hostname or "").lower()
        except ValueError:
            continue
        if not host or host == "accounts.google.com" or host.endswith(_OWN_HOSTS):
            continue
        link = absolute(base, target)
        if link and link not in found:
            found.append(link)
        if len(found) >= MAX_LINKS:
            break
    return found


def _unredirect(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if (parts.hostname or "").endswith("youtube.com") and parts.path == "/redirect":
        return parse_qs(parts.query).get("q", [""])[0]
    return url
