"""The discoverer protocol: what yields candidates for a brand, what it may call, what it reports."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from monitor.candidates import Candidate, Sighting

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from monitor.evidence import Fetched
    from monitor.i18n import Language
    from monitor.net.client import HttpClient
    from monitor.report import Progress
    from monitor.settings import BrandSettings, Settings
    from monitor.shared import SharedWork
    from monitor.sources.base import SourceResult
    from monitor.store.findings import FindingData


@dataclass(frozen=True)
class Lead:
    """One thing a discoverer found: a search result to canonicalise, or a ready candidate.

    `read=False`: the discoverer read the page itself (a look-alike's homepage), no page reader
    is asked. `vouched`: a person pointed at it, so its page is read whatever its pre-score.
    `recheck`: a known finding's page read again; its stored judgement stands unless the page
    says it is gone. `other_names` are further names it goes by; `documents` are evidence the
    discoverer produced (archived like page answers).
    """

    sighting: Sighting | None = None
    candidate: Candidate | None = None
    read: bool = True
    vouched: bool = False
    recheck: bool = False
    other_names: tuple[str, ...] = ()
    documents: tuple[Fetched, ...] = ()


@dataclass(frozen=True)
class Found:
    """What one discoverer's absences prove (its source runs went to `Discovery.finished`).

    `unchecked`: identities it could not check this time (never counted as misses).
    `clean`: source keys whose absences count although the run was not `ok`.
    """

    unchecked: frozenset[str] = frozenset()
    clean: frozenset[str] = frozenset()


Emit = Callable[[Lead], Awaitable[None]]


@dataclass
class Discovery:
    """One brand's discovery: what a discoverer may use, and where its leads go."""

    brand: BrandSettings
    client: HttpClient
    factory: sessionmaker[Session]
    emit: Emit
    # Called once per source run as it ends (recorded and shown at once).
    finished: Callable[[SourceResult], None]
    progress: Progress
    stop: threading.Event
    lang: Language | None = None
    # The brand's findings as stored before this scan, and which of them are active.
    known: Mapping[str, FindingData] = field(default_factory=dict)
    active: frozenset[str] = frozenset()
    # Filled before the later discoverers run: identities the earlier ones saw or could not check.
    seen: frozenset[str] = frozenset()
    unchecked: frozenset[str] = frozenset()
    # When scans run as jobs: answers other brands' parts of the scan already got (or are getting).
    shared: SharedWork | None = None


class Discoverer(Protocol):
    """Yields leads for a brand. Built from settings; never raises for a source failure."""

    # The `[sources.<key>]` sections this discoverer answers for.
    keys: tuple[str, ...]
    # Runs after the others, when what they saw is known (the re-check of known pages).
    later: bool
    # Runs whatever `--source` chose (it completes what the chosen ones saw).
    always: bool
    # When scans run as jobs: its keys may run as separate jobs (they share nothing) ...
    separable: bool
    # ... or it reads only the store and runs within the brand's judgement, not as a job of its own.
    local: bool

    def api_endpoints(self) -> list[str]:
        """Exact URLs of APIs it may call without robots.txt or the SSRF guard; never a public page."""
        ...

    def idle(self) -> list[SourceResult] | None:
        """When the settings switch all its keys off: the source runs to report (skipped) without
        running anything, so no job is spent on it; None when it has something to do."""
        ...

    async def discover(self, run: Discovery) -> Found:
        """Emit leads through `run.emit` as they are found; report the source runs."""
        ...

    def recorded(self, session: Session, findings: Mapping[str, int]) -> None:
        """After the brand's findings are recorded: finding ids by identity (tips link to them)."""
        ...


class DiscovererFactory(Protocol):
    def __call__(self, settings: Settings, keys: Sequence[str]) -> Discoverer: ...
