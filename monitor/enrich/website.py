"""Any website (and Facebook/Instagram pages, when fetched with permission): title, og tags, text, icon."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from monitor.enrich.markup import (
    absolute,
    canonical_url,
    favicon_url,
    meta_tags,
    og_tags,
    page_title,
    parse_html,
    visible_text,
)
from monitor.enrich.page import MAX_DESCRIPTION, MAX_EXCERPT, MAX_NAME, PageInfo, optional
from monitor.enrich.walls import WallVerdict

_SITE_SUFFIX = re.compile(r"\s*[|\-–—]\s*(?:Facebook|Instagram)\s*$")
_FB_GROUP = re.compile(r"^fb://group/")
_RESERVED_FIRST = frozenset({"groups", "pages", "profile.php", "people", "p", "reel", "watch", "story.php"})


def extract(html: str, url: str, platform: str = "web") -> PageInfo:
    """Title, description, og tags, canonical URL, image, favicon and a visible-text excerpt."""
    tree = parse_html(html)
    meta = meta_tags(tree)
    title = optional(meta.get("og:title")) or optional(page_title(tree, MAX_NAME))
    if platform in ("facebook", "instagram") and title:
        title = optional(_SITE_SUFFIX.sub("", title))
    canonical = canonical_url(tree, meta, url)
    return PageInfo(
        platform=platform,
        url=url,
        kind=_kind(platform, meta),
        title=title,
        handle=_handle(platform, canonical or url),
        description=optional(
            meta.get("og:description") or meta.get("description") or meta.get("twitter:description"),
            MAX_DESCRIPTION,
            multiline=True,
        ),
        og=og_tags(meta),
        canonical_url=canonical,
        image_url=absolute(url, meta.get("og:image") or meta.get("twitter:image") or ""),
        favicon_url=favicon_url(tree, url),
        text_excerpt=visible_text(tree, MAX_EXCERPT),
    )


def wall_page(html: str, url: str, platform: str, verdict: WallVerdict) -> PageInfo:
    """A wall keeps only what identifies it (title, og tags) for the evidence, never as content."""
    tree = parse_html(html)
    meta = meta_tags(tree)
    return PageInfo(
        platform=platform,
        url=url,
        kind="wall",
        outcome=verdict.outcome,
        reason=verdict.reason,
        title=optional(page_title(tree, MAX_NAME)),
        og=og_tags(meta),
        canonical_url=canonical_url(tree, meta, url),
        text_excerpt=visible_text(tree, 500),
    )


def _kind(platform: str, meta: dict[str, str]) -> str:
    if platform == "facebook":
        return "group" if _FB_GROUP.match(meta.get("al:android:url", "")) else "page"
    if platform == "instagram":
        return "profile"
    return "page"


def _handle(platform: str, url: str) -> str | None:
    if platform not in ("facebook", "instagram"):
        return None
    try:
        parts = [part for part in urlsplit(url).path.split("/") if part]
    except ValueError:
        return None
    if not parts:
        return None
    if parts[0] == "groups" and len(parts) > 1:
        return optional(parts[1], 100)
    return None if parts[0] in _RESERVED_FIRST else optional(parts[0], 100)
