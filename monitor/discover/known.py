"""The re-check of known pages: active findings nothing else returned this scan, read again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from monitor.candidates import Candidate
from monitor.discover.base import Discovery, Found, Lead

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.settings import Settings
    from monitor.sources.base import SourceResult

KEY = "known"


class KnownPages:
    """Runs after the other discoverers: a live account is never called gone because the searches
    missed it, and a removed one is seen as taken down."""

    keys: tuple[str, ...] = (KEY,)
    later = True
    always = True
    separable = False
    local = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Settings, keys: Sequence[str]) -> KnownPages:
        return cls(settings)

    def api_endpoints(self) -> list[str]:
        return []

    def idle(self) -> list[SourceResult] | None:
        return None

    async def discover(self, run: Discovery) -> Found:
        if self.settings.sources.known.enabled is False:
            return Found()
        skip = run.seen | run.unchecked
        for identity, data in run.known.items():
            if identity not in run.active or identity in skip:
                continue
            candidate = Candidate(
                brand=run.brand.slug, platform=data.platform, identity=identity, url=data.url, name=data.name
            )
            await run.emit(Lead(candidate=candidate, recheck=True))
        return Found()

    def recorded(self, session: Session, findings: Mapping[str, int]) -> None:
        return None
