"""Findings repository: load the state the diff needs, apply its changes with history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.diff import Change, Known, Seen, Verdict
from monitor.store.schema import AllowlistEntry, Finding, Observation, TriageEvent, utcnow


@dataclass(frozen=True)
class FindingData:
    """What one scan knows about a candidate after scoring (and enrichment)."""

    brand: str
    platform: str
    identity: str
    url: str
    name: str
    score: int
    verdict: Verdict
    reasons: list[dict[str, Any]] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    sources: frozenset[str] = frozenset()
    page: str = "not_fetched"
    content_hash: str | None = None
    evidence_sha256: str | None = None
    # monitor.page_state code of this scan's page check, and why the page was not read.
    page_state: str | None = None
    page_note: str | None = None

    def seen(self) -> Seen:
        return Seen(
            identity=self.identity,
            name=self.name,
            verdict=self.verdict,
            sources=self.sources,
            page=self.page,  # type: ignore[arg-type]
            content_hash=self.content_hash,
        )


def as_known(finding: Finding) -> Known:
    return Known(
        identity=finding.identity,
        name=finding.name,
        verdict=finding.verdict,  # type: ignore[arg-type]
        status=finding.status,  # type: ignore[arg-type]
        sources=frozenset(finding.sources),
        misses=finding.misses,
        content_hash=finding.content_hash,
    )


def snapshot(finding: Finding) -> FindingData:
    """The finding's current state as FindingData (for a re-check of its page)."""
    return FindingData(
        brand=finding.brand,
        platform=finding.platform,
        identity=finding.identity,
        url=finding.url,
        name=finding.name,
        score=finding.score,
        verdict=finding.verdict,  # type: ignore[arg-type]
        reasons=list(finding.reasons),
        signals=list(finding.signals),
        sources=frozenset(finding.sources),
        content_hash=finding.content_hash,
        page_state=finding.page_state,
        page_note=finding.page_note,
    )


# Identities per query when a batch is read ahead (well under every driver's parameter limit).
PRELOAD_CHUNK = 500


class FindingRepository:
    """Reads and writes findings in the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Findings read ahead by preload(), for a batch of sightings in one unit of work, and
        # the identities it found no finding for (until this repository adds one).
        self._loaded: dict[tuple[str, str], Finding] = {}
        self._absent: set[tuple[str, str]] = set()

    def preload(self, brand: str, identities: Sequence[str]) -> None:
        """Read these findings in a few queries, so a batch of sightings does not ask one by one.

        Until the unit of work ends, `get` answers these identities from what was read (and from
        the findings this repository adds): the caller adds no finding of them by other means."""
        wanted = list(dict.fromkeys(identities))
        for start in range(0, len(wanted), PRELOAD_CHUNK):
            chunk = wanted[start : start + PRELOAD_CHUNK]
            rows = self.session.scalars(
                select(Finding).where(Finding.brand == brand, Finding.identity.in_(chunk))
            )
            self._loaded.update({(brand, row.identity): row for row in rows})
            self._absent.update((brand, i) for i in chunk if (brand, i) not in self._loaded)

    def get(self, brand: str, identity: str) -> Finding | None:
        found = self._loaded.get((brand, identity))
        if found is not None or (brand, identity) in self._absent:
            return found
        return self.session.scalars(
            select(Finding).where(Finding.brand == brand, Finding.identity == identity)
        ).one_or_none()

    def by_id(self, finding_id: int) -> Finding | None:
        return self.session.get(Finding, finding_id)

    def all_for(self, brand: str) -> Sequence[Finding]:
        return self.session.scalars(select(Finding).where(Finding.brand == brand).order_by(Finding.id)).all()

    def known(self, brand: str) -> dict[str, Known]:
        return {finding.identity: as_known(finding) for finding in self.all_for(brand)}

    def allowlisted(self, brand: str) -> set[str]:
        rows = self.session.scalars(select(AllowlistEntry.identity).where(AllowlistEntry.brand == brand))
        return set(rows)

    def apply_sighting(
        self,
        change: Change,
        data: FindingData,
        scan_id: int | None,
        now: datetime | None = None,
        *,
        flush: bool = True,
    ) -> tuple[Finding | None, Observation | None]:
        """Record a sighting; returns the finding and the observation when it is an event.

        `flush=False` leaves the new rows unwritten (their ids unset) until the caller flushes the
        session, so a batch of sightings is written in a few statements."""
        now = now or utcnow()
        finding = self.get(data.brand, data.identity)
        if finding is None:
            if change.outcome != "new":
                return None, None
            finding = Finding(
                brand=data.brand,
                platform=data.platform,
                identity=data.identity,
                sources=sorted(data.sources),
                first_seen_at=now,
                last_changed_at=now,
                page_state=data.page_state,
                page_note=data.page_note,
                **self._current(data),
            )
            self.session.add(finding)
            self._loaded[(data.brand, data.identity)] = finding
            if flush:
                self.session.flush()
            return finding, self._observe(finding, "new", data, scan_id, now, flush)
        finding.last_seen_at = now
        finding.sources = sorted(set(finding.sources) | data.sources)
        self._note_page(finding, data.page_state, data.page_note)
        if change.outcome == "taken_down":
            finding.status = "taken_down"
            finding.last_changed_at = now
            return finding, self._observe(finding, "taken_down", data, scan_id, now, flush)
        if change.outcome == "kept":
            return finding, None
        finding.misses = 0
        for key, value in self._current(data).items():
            if value is not None or key != "content_hash":
                setattr(finding, key, value)
        if change.outcome in ("changed", "reappeared"):
            finding.status = "active"
            finding.last_changed_at = now
            return finding, self._observe(finding, change.outcome, data, scan_id, now, flush)
        return finding, None

    def note_page(self, brand: str, identity: str, state: str, note: str | None) -> Finding | None:
        """Record a page check that changes nothing else (a failed re-check keeps the old state)."""
        finding = self.get(brand, identity)
        if finding is not None:
            self._note_page(finding, state, note)
        return finding

    @staticmethod
    def _note_page(finding: Finding, state: str | None, note: str | None) -> None:
        # A scan that did not try the page leaves the last check's state in place.
        if state is None or (state == "not_fetched" and finding.page_state is not None):
            return
        finding.page_state, finding.page_note = state, note

    def apply_absence(
        self, brand: str, change: Change, scan_id: int | None, now: datetime | None = None
    ) -> tuple[Finding | None, Observation | None]:
        """Count a miss, or mark the finding gone."""
        if change.outcome not in ("missed", "gone"):
            return None, None
        finding = self.get(brand, change.identity)
        if finding is None:
            return None, None
        finding.misses = change.misses
        if change.outcome == "missed":
            return finding, None
        now = now or utcnow()
        finding.status = "gone"
        finding.last_changed_at = now
        observation = Observation(
            finding_id=finding.id,
            scan_id=scan_id,
            observed_at=now,
            event="gone",
            name=finding.name,
            url=finding.url,
            score=finding.score,
            verdict=finding.verdict,
            reasons=finding.reasons,
            signals=finding.signals,
            sources=finding.sources,
            content_hash=finding.content_hash,
        )
        self.session.add(observation)
        self.session.flush()
        return finding, observation

    def mark(self, finding: Finding, action: str, note: str | None, actor: str | None) -> TriageEvent:
        """An officer's decision; `official` also allowlists the identity for the brand."""
        event = TriageEvent(finding_id=finding.id, action=action, note=note, actor=actor)
        self.session.add(event)
        finding.triage = action
        if action == "taken_down":
            finding.status = "taken_down"
            finding.last_changed_at = utcnow()
        if action == "official" and finding.identity not in self.allowlisted(finding.brand):
            self.session.add(
                AllowlistEntry(
                    brand=finding.brand, platform=finding.platform, identity=finding.identity, note=note
                )
            )
        self.session.flush()
        return event

    @staticmethod
    def _current(data: FindingData) -> dict[str, Any]:
        return {
            "url": data.url,
            "name": data.name,
            "score": data.score,
            "verdict": data.verdict,
            "reasons": data.reasons,
            "signals": data.signals,
            "content_hash": data.content_hash,
        }

    def _observe(
        self,
        finding: Finding,
        event: str,
        data: FindingData,
        scan_id: int | None,
        now: datetime,
        flush: bool = True,
    ) -> Observation:
        observation = Observation(
            scan_id=scan_id,
            observed_at=now,
            event=event,
            name=data.name,
            url=data.url,
            score=data.score,
            verdict=data.verdict,
            reasons=data.reasons,
            signals=data.signals,
            sources=sorted(data.sources),
            content_hash=data.content_hash,
            evidence_sha256=data.evidence_sha256,
        )
        if finding.id is None:
            observation.finding = finding  # written after the finding, which gives it its id
        else:
            observation.finding_id = finding.id
        self.session.add(observation)
        if flush:
            self.session.flush()
        return observation
