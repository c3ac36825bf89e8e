"""Search engines as discoverers: every chosen `monitor.sources` engine, its pages streamed on."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from monitor.candidates import Sighting
from monitor.discover.base import Discovery, Found, Lead
from monitor.sources import SOURCES, SearchSource, SourceResult

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.settings import Settings


class SearchDiscoverer:
    """The search engines chosen by key, run side by side; each answered page is emitted at once."""

    later = False
    always = False
    separable = True
    local = False

    def __init__(self, settings: Settings, keys: Sequence[str]) -> None:
        self.settings = settings
        self.keys = tuple(key for key in SOURCES if key in keys)

    @classmethod
    def from_settings(cls, settings: Settings, keys: Sequence[str]) -> SearchDiscoverer:
        return cls(settings, keys)

    def api_endpoints(self) -> list[str]:
        return [
            url for key in self.keys for url in SOURCES[key].endpoints(getattr(self.settings.sources, key))
        ]

    def idle(self) -> list[SourceResult] | None:
        sections = [(key, getattr(self.settings.sources, key)) for key in self.keys]
        if any(section.enabled is not False for _, section in sections):
            return None
        return [
            SourceResult(key, "skipped", reason=SearchSource.disabled_reason(None)) for key, _ in sections
        ]

    async def discover(self, run: Discovery) -> Found:
        sources = [
            SOURCES[key].from_settings(getattr(self.settings.sources, key), run.client, lang=run.lang)
            for key in self.keys
        ]
        for source in sources:
            source.shared = run.shared

        async def one(source: SearchSource[Any]) -> SourceResult:
            async def on_page(sightings: list[Sighting]) -> None:
                for sighting in sightings:
                    await run.emit(Lead(sighting=sighting))

            # A source that will not run (no key, turned off) is not planned.
            queries = source.plan(run.brand) if source.available() is None else []
            result = await source.run(queries, on_page)
            run.finished(result)
            return result

        await asyncio.gather(*(one(source) for source in sources))
        return Found()

    def recorded(self, session: Session, findings: Mapping[str, int]) -> None:
        return None
