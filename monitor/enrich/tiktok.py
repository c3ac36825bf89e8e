"""TikTok: profile and video pages (og tags and the embedded user JSON) and oEmbed answers for videos."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from monitor.enrich.markup import (
    absolute,
    as_dict,
    canonical_url,
    dig,
    favicon_url,
    find_dict,
    meta_tags,
    og_tags,
    page_title,
    parse_html,
    script_json,
    visible_text,
)
from monitor.enrich.page import (
    MAX_DESCRIPTION,
    MAX_EXCERPT,
    MAX_NAME,
    PageInfo,
    optional,
    parse_count,
)

PLATFORM = "tiktok"
_TITLE = re.compile(r"^(?P<name>.*?)\s*\(@(?P<handle>[\w.]{1,64})\)\s*(?:\|\s*TikTok)?", re.DOTALL)
_FOLLOWERS = re.compile(r"([\d.,\s\u00a0]+[KMB]?)\s*(?:Followers|Người theo dõi|follower)", re.IGNORECASE)
_VIDEO_PATH = re.compile(r"^/@[^/]+/(?:video|photo)/\d+")
_HANDLE = re.compile(r"^[\w.]{1,64}$")


def is_video_url(url: str) -> bool:
    """True for a single video (or photo post) URL, including the vm./vt. short links."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if host in ("vm.tiktok.com", "vt.tiktok.com"):
        return True
    return bool(_VIDEO_PATH.match(parts.path)) or parts.path.startswith("/t/")


def extract(html: str, url: str) -> PageInfo:
    """The account (or video) a TikTok page shows: structured data first, og tags as fallback."""
    tree = parse_html(html)
    meta = meta_tags(tree)
    data = _page_data(
        script_json(tree, "script#__UNIVERSAL_DATA_FOR_REHYDRATION__"),
        script_json(tree, "script#SIGI_STATE"),
        script_json(tree, "script#__NEXT_DATA__"),
    )
    title_text = meta.get("og:title") or page_title(tree, MAX_NAME)
    from_title = _TITLE.match(title_text)
    video = as_dict(data.get("video"))
    user = as_dict(data.get("user"))
    stats = as_dict(data.get("stats"))
    handle = _text(user.get("uniqueId"), 64) or (from_title.group("handle") if from_title else None)
    description = (
        _text(video.get("desc"), MAX_DESCRIPTION, multiline=True)
        if video
        else _text(user.get("signature"), MAX_DESCRIPTION, multiline=True)
    )
    links = [link for link in (_bio_link(user, url),) if link]
    labels = ("private",) if user.get("privateAccount") is True else ()
    return PageInfo(
        platform=PLATFORM,
        url=url,
        kind="video" if video or is_video_url(url) else "profile",
        title=_text(user.get("nickname"), MAX_NAME)
        or (optional(from_title.group("name")) if from_title else optional(title_text)),
        handle=handle if handle and _HANDLE.match(handle) else None,
        external_id=_text(user.get("id"), 40),
        description=description or optional(meta.get("og:description"), MAX_DESCRIPTION, multiline=True),
        followers=_followers(stats, meta),
        verified=user.get("verified") if isinstance(user.get("verified"), bool) else None,
        links=tuple(links),
        labels=labels,
        og=og_tags(meta),
        canonical_url=canonical_url(tree, meta, url),
        image_url=_url(user.get("avatarLarger"), url) or absolute(url, meta.get("og:image", "")),
        favicon_url=favicon_url(tree, url),
        text_excerpt=visible_text(tree, MAX_EXCERPT),
    )


def _page_data(universal: Any, sigi: Any, next_data: Any) -> dict[str, Any]:
    """{"user", "stats", "video"} from whichever JSON vintage the page carries (2020-2025)."""
    scope = dig(universal, "__DEFAULT_SCOPE__")
    detail = dig(scope, "webapp.user-detail", "userInfo")
    item = dig(scope, "webapp.video-detail", "itemInfo", "itemStruct")
    if isinstance(item, dict):
        return {
            "user": item.get("author"),
            "stats": item.get("authorStatsV2") or item.get("authorStats"),
            "video": item,
        }
    if isinstance(detail, dict):
        return {"user": detail.get("user"), "stats": detail.get("statsV2") or detail.get("stats")}
    users = dig(sigi, "UserModule", "users")
    if isinstance(users, dict) and users:
        key, user = next(iter(users.items()))
        return {"user": user, "stats": dig(sigi, "UserModule", "stats", key)}
    found = find_dict(dig(next_data, "props", "pageProps") or sigi or universal, "user", "stats")
    if found is not None:
        return {"user": found.get("user"), "stats": found.get("stats")}
    return {}


def _followers(stats: dict[str, Any], meta: dict[str, str]) -> int | None:
    # statsV2 carries the exact count as a string, stats a rounded int; either is accepted.
    exact = parse_count(stats.get("followerCount"))
    if exact is not None:
        return exact
    found = _FOLLOWERS.search(meta.get("og:description", "") or meta.get("description", ""))
    return parse_count(found.group(1)) if found else None


def _bio_link(user: dict[str, Any], base: str) -> str | None:
    link = dig(user, "bioLink", "link")
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    return absolute(base, link if "://" in link else "https://" + link)


def _text(value: object, limit: int, *, multiline: bool = False) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return optional(value, limit, multiline=multiline)


def _url(value: object, base: str) -> str | None:
    return absolute(base, value) if isinstance(value, str) else None


def parse_oembed(data: Any, url: str) -> PageInfo:
    """A TikTok oEmbed answer for the video at `url` (title, author, thumbnail)."""
    if not isinstance(data, dict):
        data = {}
    author_url = _url(data.get("author_url"), url)
    handle = _text(data.get("author_unique_id"), 64)
    if handle is None and author_url:
        match = re.search(r"/@([\w.]{1,64})", author_url)
        handle = match.group(1) if match else None
    return PageInfo(
        platform=PLATFORM,
        url=url,
        kind="video",
        title=_text(data.get("author_name"), MAX_NAME),
        handle=handle if handle and _HANDLE.match(handle) else None,
        external_id=_text(data.get("embed_product_id"), 40),
        description=_text(data.get("title"), MAX_DESCRIPTION, multiline=True),
        links=tuple(link for link in (author_url,) if link),
        canonical_url=url,
        image_url=_url(data.get("thumbnail_url"), url),
    )
