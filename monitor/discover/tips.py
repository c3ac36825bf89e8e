"""Officers' tips as a discoverer: every tip of the brand, read again each scan, judged like a result."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from monitor.candidates import Sighting, canonical
from monitor.discover.base import Discovery, Found, Lead
from monitor.log import get_logger
from monitor.sources.base import SourceResult
from monitor.store.tips import TipRecord, TipRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.settings import Settings

log = get_logger(__name__)

KEY = "tip"


class TipDiscoverer:
    """Tips are URLs people pointed at: canonicalised, their pages read whatever the pre-score."""

    keys: tuple[str, ...] = (KEY,)
    later = False
    always = False
    separable = False
    local = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._tips: dict[str, list[int]] = {}

    @classmethod
    def from_settings(cls, settings: Settings, keys: Sequence[str]) -> TipDiscoverer:
        return cls(settings)

    def api_endpoints(self) -> list[str]:
        return []  # a tip's page is a public page like any other

    def idle(self) -> list[SourceResult] | None:
        return None

    async def discover(self, run: Discovery) -> Found:
        self._tips = {}
        if self.settings.sources.tip.enabled is False:
            return Found()
        tips = await asyncio.to_thread(_read, run)
        if not tips:
            return Found()
        for rank, tip in enumerate(tips, start=1):
            ident = canonical(tip.url)
            if ident is None:
                log.info("tip_url_unusable", brand=run.brand.slug, tip=tip.id)
                continue
            self._tips.setdefault(ident.identity, []).append(tip.id)
            sighting = Sighting(KEY, "", rank, tip.name or "", tip.url, tip.note or "", tip.submitted_at)
            await run.emit(Lead(sighting=sighting, vouched=True))
        run.finished(SourceResult(KEY, "ok", 0, len(self._tips)))
        return Found()

    def recorded(self, session: Session, findings: Mapping[str, int]) -> None:
        repo = TipRepository(session)
        for identity, tip_ids in self._tips.items():
            finding_id = findings.get(identity)
            if finding_id is not None:
                repo.link(tip_ids, finding_id)


def _read(run: Discovery) -> list[TipRecord]:
    session = run.factory()
    try:
        return TipRepository(session).for_brand(run.brand.slug)
    finally:
        session.close()
