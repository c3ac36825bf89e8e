"""The leads a scan's discovery jobs gathered for a brand, handed to the brand's judgement.

When scans run as jobs, each discoverer runs in a job of its own and keeps its leads in the
store; the judgement emits them again through this discoverer, with the source runs and the
absences those jobs proved, so the judgement sees exactly what an in-process scan would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.discover.base import Discovery, Found
from monitor.discover.wire import lead_from_json
from monitor.sources.base import SourceResult

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass
class StoredLeads:
    """Emits stored leads and reports the stored source runs of the brand's discovery parts."""

    keys: tuple[str, ...]
    # Read when the judgement starts: the leads, in the order they were gathered.
    read: Callable[[], list[dict[str, Any]]]
    runs: Sequence[SourceResult]
    unchecked: frozenset[str] = frozenset()
    clean: frozenset[str] = frozenset()
    later = False
    always = True
    separable = False
    local = True

    def api_endpoints(self) -> list[str]:
        return []

    def idle(self) -> list[SourceResult] | None:
        return None

    async def discover(self, run: Discovery) -> Found:
        for result in self.runs:
            run.finished(result)
        for payload in await asyncio.to_thread(self.read):
            await run.emit(lead_from_json(payload))
        return Found(self.unchecked, self.clean)

    def recorded(self, session: Session, findings: Mapping[str, int]) -> None:
        return None
