"""Discoverers by config key: the only list of what a scan may ask for candidates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.discover.known import KnownPages
from monitor.discover.search import SearchDiscoverer
from monitor.discover.tips import TipDiscoverer
from monitor.domains.bridge import LookalikeDiscoverer
from monitor.sources import SOURCES

if TYPE_CHECKING:
    from monitor.discover.base import Discoverer, DiscovererFactory
    from monitor.settings import Settings

# `[sources.<key>]` -> the discoverer answering for it. Keys sharing a factory run as one
# discoverer (look-alike DNS and certificate logs share their names).
DISCOVERERS: dict[str, DiscovererFactory] = {
    **dict.fromkeys(SOURCES, SearchDiscoverer.from_settings),
    "domains": LookalikeDiscoverer.from_settings,
    "crtsh": LookalikeDiscoverer.from_settings,
    "tip": TipDiscoverer.from_settings,
    "known": KnownPages.from_settings,
}


def registered_keys() -> list[str]:
    """What `monitor scan --source` accepts."""
    return list(DISCOVERERS)


def build_discoverers(settings: Settings, only: Sequence[str] | None = None) -> list[Discoverer]:
    """The discoverers for the chosen keys (all when `only` is empty); unknown keys are ignored."""
    groups: dict[DiscovererFactory, list[str]] = {}
    for key, factory in DISCOVERERS.items():
        groups.setdefault(factory, []).append(key)
    built: list[Discoverer] = []
    for factory, keys in groups.items():
        chosen = [key for key in keys if not only or key in only]
        discoverer = factory(settings, chosen or keys)
        if chosen or discoverer.always:
            built.append(discoverer)
    return built
