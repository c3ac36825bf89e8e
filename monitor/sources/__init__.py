"""Search engines, registered by the key of their `[sources.<key>]` config section.

The scan reaches them through monitor.discover (one discoverer protocol for everything that
yields candidates); this registry is what that discoverer runs.
"""

from __future__ import annotations

from typing import Any

from monitor.sources.base import Hit, Page, SearchSource, SourceResult, SourceStatus
from monitor.sources.brave import BraveSource
from monitor.sources.duckduckgo import DuckDuckGoSource
from monitor.sources.google_cse import GoogleCseSource
from monitor.sources.searxng import SearxngSource
from monitor.sources.youtube import YoutubeSource

SOURCES: dict[str, type[SearchSource[Any]]] = {
    "duckduckgo": DuckDuckGoSource,
    "brave": BraveSource,
    "searxng": SearxngSource,
    "google_cse": GoogleCseSource,
    "youtube": YoutubeSource,
}

__all__ = ["SOURCES", "Hit", "Page", "SearchSource", "SourceResult", "SourceStatus"]
