"""Search sources, registered by the key of their `[sources.<key>]` config section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from monitor.sources.base import Hit, Page, SearchSource, SourceResult, SourceStatus
from monitor.sources.brave import BraveSource
from monitor.sources.duckduckgo import DuckDuckGoSource
from monitor.sources.google_cse import GoogleCseSource
from monitor.sources.searxng import SearxngSource
from monitor.sources.youtube import YoutubeSource

if TYPE_CHECKING:
    from monitor.i18n import Language
    from monitor.net.client import HttpClient
    from monitor.settings import SourcesSettings

SOURCES: dict[str, type[SearchSource[Any]]] = {
    "duckduckgo": DuckDuckGoSource,
    "brave": BraveSource,
    "searxng": SearxngSource,
    "google_cse": GoogleCseSource,
    "youtube": YoutubeSource,
}


def build_sources(
    settings: SourcesSettings, client: HttpClient, *, lang: Language | None = None
) -> list[SearchSource[Any]]:
    """Every registered search source built from its settings (skipped ones included: they report it)."""
    return [cls.from_settings(getattr(settings, key), client, lang=lang) for key, cls in SOURCES.items()]


__all__ = ["SOURCES", "Hit", "Page", "SearchSource", "SourceResult", "SourceStatus", "build_sources"]
