"""extract_page: walls first, then the extractor registered for the platform; never raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from monitor.enrich import telegram, tiktok, website, youtube
from monitor.enrich.page import PageInfo
from monitor.enrich.walls import classify_wall
from monitor.errors import ParseLimitExceeded
from monitor.log import get_logger

log = get_logger(__name__)

Extractor = Callable[[str, str], PageInfo]

# Platform keys are those of monitor.candidates.PLATFORMS; anything else is read as a website.
EXTRACTORS: dict[str, Extractor] = {
    "telegram": telegram.extract,
    "tiktok": tiktok.extract,
    "youtube": youtube.extract,
    "facebook": partial(website.extract, platform="facebook"),
    "instagram": partial(website.extract, platform="instagram"),
    "web": website.extract,
}


def extract_page(platform: str, url: str, status: int, html: str) -> PageInfo:
    """What the page at final `url` (answered with `status`) says, or which wall it is."""
    try:
        verdict = classify_wall(status, url, html)
        if verdict is not None and verdict.outcome == "blocked":
            return website.wall_page(html, url, platform, verdict)
        extractor = EXTRACTORS.get(platform) or partial(website.extract, platform=platform)
        info = extractor(html, url)
        if verdict is not None:
            info = replace(info, outcome=verdict.outcome, reason=verdict.reason)
        return info
    except ParseLimitExceeded as exc:  # hostile or absurd markup: refused before lexbor sees it
        log.warning(
            "page_parse_refused",
            platform=platform,
            url=url[:200],
            limit=exc.limit,
            value=exc.value,
            maximum=exc.maximum,
        )
        return PageInfo(platform=platform, url=url, reason="parse_limit")
    except Exception as exc:  # a parser bug must not lose the candidate; it is logged and kept
        log.warning("page_extract_failed", platform=platform, url=url[:200], error=type(exc).__name__)
        return PageInfo(platform=platform, url=url, reason="extract_failed")
