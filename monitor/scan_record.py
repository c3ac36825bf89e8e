"""Judging and recording one brand's candidates: each in its own unit of work, then the absences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from monitor.diff import Change, Known, absent, observe
from monitor.enrich.enricher import Enrichment
from monitor.evidence import EvidenceArchive, Fetched, Stored
from monitor.followups import FindingChange
from monitor.page_state import is_failed_check, keeps_state, page_note, page_state
from monitor.report import ScanReport, finding_view
from monitor.scan_flow import Gathered
from monitor.scoring import Scores, content_hash, judge
from monitor.store.findings import FindingData, FindingRepository, as_known, snapshot
from monitor.store.schema import Capture, Finding, Observation

# One unit of work (a context manager yielding a Session); a dry run rolls it back.
Unit = Callable[[], Any]
QueueAlerts = Callable[[Any, Finding, Observation], None]
# Sightings are written this many to a unit of work. Each unit holds whole sightings (evidence,
# finding, history, queued alerts), so a crash loses a unit entirely: the next scan records those
# candidates again, neither duplicating nor losing an event or an alert.
BATCH = 100


@dataclass(frozen=True)
class _Sighting:
    change: Change
    data: FindingData
    enrichment: Enrichment | None
    documents: Sequence[Fetched]
    archived: Sequence[Stored]


@dataclass
class BrandState:
    """The brand's findings as stored before this scan."""

    known: dict[str, Known]
    current: dict[str, FindingData]
    allowlisted: set[str]


@dataclass
class Recorded:
    """What recording one brand produced: finding ids by identity, and this scan's events."""

    findings: dict[str, int] = field(default_factory=dict)
    changes: dict[int, FindingChange] = field(default_factory=dict)


@dataclass
class Recorder:
    """Judges and records one brand's gathered candidates into the store."""

    unit: Unit
    archive: EvidenceArchive
    report: ScanReport
    dry_run: bool
    queue_alerts: QueueAlerts | None
    stopped: Callable[[], bool]
    out: Recorded = field(default_factory=Recorded)
    _pending: list[_Sighting] = field(default_factory=list)

    def record(
        self, brand: str, matcher: Scores, state: BrandState, gathered: Gathered, gone_after: int
    ) -> Recorded:
        known, current = state.known, state.current
        for candidate, lead in gathered.candidates:
            if candidate.identity in gathered.unread:
                continue  # its read was cut short: judged with its page next scan
            enrichment = gathered.enrichments.get(candidate.identity)
            other = lead.other_names if lead is not None else ()
            judged = judge(matcher, candidate, enrichment, state.allowlisted, other).data
            before = current.get(candidate.identity)
            if before is not None and is_failed_check(judged.page_state) and judged.score < before.score:
                # An unreadable page hid what it said last time: the stored judgement stands.
                judged = replace(
                    judged,
                    score=before.score,
                    verdict=before.verdict,
                    reasons=before.reasons,
                    signals=before.signals or judged.signals,
                )
            documents = lead.documents if lead is not None else ()
            archived = gathered.archived.get(candidate.identity, ())
            self.apply(known.get(candidate.identity), judged, enrichment, documents, archived)
        alive, unread = self._rechecks(gathered, known, current)
        self._flush()
        if unread:
            with self.unit() as session:
                repo = FindingRepository(session)
                for identity, enrichment in unread.items():
                    repo.note_page(brand, identity, page_state(enrichment), page_note(enrichment))
        if self.stopped():
            # What was read is recorded; a stopped scan did not look everywhere, so nothing is absent.
            return self.out
        clean = {r.key for r in gathered.results if r.status == "ok"} | gathered.clean
        seen = {c.identity for c, _ in gathered.candidates}
        checked = seen | alive | gathered.unchecked | set(unread)
        self.absences(brand, known, checked, frozenset(clean), gone_after)
        return self.out

    def _rechecks(
        self, gathered: Gathered, known: dict[str, Known], current: dict[str, FindingData]
    ) -> tuple[set[str], dict[str, Enrichment]]:
        alive: set[str] = set()
        unread: dict[str, Enrichment] = {}
        for recheck in gathered.rechecks:
            enrichment = gathered.enrichments.get(recheck.identity)
            if enrichment is not None and keeps_state(recheck.platform, page_state(enrichment)):
                unread[recheck.identity] = enrichment  # a failed check keeps the old state
                continue
            if enrichment is None or enrichment.outcome not in ("content", "unavailable"):
                continue  # not read: the absence rules decide
            alive.add(recheck.identity)
            data = replace(
                current[recheck.identity],
                page=enrichment.outcome,
                sources=frozenset(),
                content_hash=content_hash(enrichment),
                signals=enrichment.signals or current[recheck.identity].signals,
                page_state=page_state(enrichment),
                page_note=page_note(enrichment),
            )
            archived = gathered.archived.get(recheck.identity, ())
            self.apply(known[recheck.identity], data, enrichment, archived=archived)
        return alive, unread

    def apply(
        self,
        known: Known | None,
        data: FindingData,
        enrichment: Enrichment | None,
        documents: Sequence[Fetched] = (),
        archived: Sequence[Stored] = (),
    ) -> None:
        """Queue one sighting for the next unit of work (evidence, finding, history, alerts).

        `archived`: the page's answers, stored while it was read; `documents` are stored here."""
        change = observe(known, data.seen())
        if change.outcome == "kept" and known is None:
            return
        self._pending.append(_Sighting(change, data, enrichment, documents, archived))
        if len(self._pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        with self.unit() as session:
            repo = FindingRepository(session)
            for brand in {sighting.data.brand for sighting in pending}:
                repo.preload(brand, [s.data.identity for s in pending if s.data.brand == brand])
            captures = self.archive.preload_captures(
                session, [item.capture_id for sighting in pending for item in sighting.archived]
            )
            # The batch's findings and history are written together, then linked and announced.
            written = [self._write(session, repo, sighting) for sighting in pending]
            session.flush()
            for data, stored, finding, observation in written:
                if finding is not None:
                    self._linked(session, data, stored, finding, observation, captures)

    def _write(
        self, session: Any, repo: FindingRepository, sighting: _Sighting
    ) -> tuple[FindingData, list[Stored], Finding | None, Observation | None]:
        data, enrichment = sighting.data, sighting.enrichment
        stored = list(sighting.archived)
        if not self.dry_run:
            fetched = [*(enrichment.responses if enrichment is not None else ()), *sighting.documents]
            stored += [self.archive.store(session, response) for response in fetched]
        if stored:
            data = replace(data, evidence_sha256=stored[0].sha256)
        finding, observation = repo.apply_sighting(sighting.change, data, self.report.scan_id, flush=False)
        return data, stored, finding, observation

    def _linked(
        self,
        session: Any,
        data: FindingData,
        stored: list[Stored],
        finding: Finding,
        observation: Observation | None,
        captures: dict[int, Capture],
    ) -> None:
        self.out.findings[data.identity] = finding.id
        for item in stored:
            self.archive.link(session, item.capture_id, finding.id, captures)
        if observation is not None:
            self._event(finding, observation.event, data.page_state)
            if self.queue_alerts is not None and not self.dry_run:
                self.queue_alerts(session, finding, observation)

    def absences(
        self, brand: str, known: dict[str, Known], seen: set[str], clean: frozenset[str], gone_after: int
    ) -> None:
        with self.unit() as session:
            repo = FindingRepository(session)
            for identity, state in known.items():
                if identity in seen:
                    continue
                finding, observation = repo.apply_absence(
                    brand, absent(state, clean, gone_after), self.report.scan_id
                )
                if finding is not None and observation is not None:
                    self._event(finding, "gone", finding.page_state)

    def _event(self, finding: Finding, event: str, state: str | None) -> None:
        self.report.events[event].append(finding_view(finding, finding.id))
        self.out.changes[finding.id] = FindingChange(
            event, finding.platform, finding.url, finding.verdict, state
        )


def brand_state(unit: Unit, brand: str) -> BrandState:
    """The brand's stored findings and allowlist, read in one unit of work."""
    with unit() as session:
        repo = FindingRepository(session)
        rows = repo.all_for(brand)
        return BrandState(
            known={row.identity: as_known(row) for row in rows},
            current={row.identity: snapshot(row) for row in rows},
            allowlisted=repo.allowlisted(brand),
        )
