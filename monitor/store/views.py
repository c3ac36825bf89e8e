"""Read models of findings: the one finding view every surface shows, lists, and one finding's file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from monitor.diff import Status, Triage, Verdict
from monitor.display import machine_time
from monitor.store.schema import Capture, Finding, Observation, TriageEvent


@dataclass(frozen=True)
class FindingView:
    """One finding as the CLI, the e-mails, JSON, CSV and the web console show it.

    Codes stay codes (their words are in monitor.notify.texts) and moments stay UTC datetimes
    (people read them through monitor.display.local_time); `to_json` is the F object of JSON outputs.
    """

    id: int
    brand: str
    platform: str
    identity: str
    url: str
    name: str
    score: int
    verdict: Verdict
    reasons: tuple[Any, ...]
    status: Status
    triage: Triage
    first_seen_at: datetime
    last_seen_at: datetime
    page_state: str | None
    page_note: str | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> FindingView:
        """The view from a row selected with FINDING_VIEW_COLUMNS (no ORM object loaded)."""
        values = dict(zip(_FIELDS, row, strict=True))
        values["reasons"] = tuple(values["reasons"] or ())
        return cls(**values)

    @classmethod
    def of(cls, finding: Finding) -> FindingView:
        return cls(
            id=finding.id,
            brand=finding.brand,
            platform=finding.platform,
            identity=finding.identity,
            url=finding.url,
            name=finding.name,
            score=finding.score,
            verdict=cast(Verdict, finding.verdict),
            reasons=tuple(finding.reasons or ()),
            status=cast(Status, finding.status),
            triage=cast(Triage, finding.triage),
            first_seen_at=finding.first_seen_at,
            last_seen_at=finding.last_seen_at,
            page_state=finding.page_state,
            page_note=finding.page_note,
        )

    def as_seen(self, observation: Observation) -> FindingView:
        """The finding as one event saw it: that moment's name, link, score, verdict and reasons."""
        return replace(
            self,
            url=observation.url,
            name=observation.name,
            score=observation.score,
            verdict=cast(Verdict, observation.verdict),
            reasons=tuple(observation.reasons or ()),
        )

    def to_json(self) -> dict[str, Any]:
        """The F object of the JSON outputs: codes and ISO 8601 times, for programs."""
        return {
            "id": self.id,
            "brand": self.brand,
            "platform": self.platform,
            "identity": self.identity,
            "url": self.url,
            "name": self.name,
            "score": self.score,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "status": self.status,
            "triage": self.triage,
            "first_seen_at": machine_time(self.first_seen_at),
            "last_seen_at": machine_time(self.last_seen_at),
            "page_state": self.page_state,
            "page_note": self.page_note,
        }


_FIELDS = tuple(item.name for item in fields(FindingView))
# Select these to build views straight from rows: `FindingView.from_row(row)`.
FINDING_VIEW_COLUMNS = tuple(getattr(Finding, name) for name in _FIELDS)


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded event of a finding (new, changed, gone, taken down, reappeared, triage)."""

    event: str
    observed_at: datetime
    name: str
    url: str
    score: int
    verdict: Verdict
    evidence_sha256: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "observed_at": machine_time(self.observed_at),
            "name": self.name,
            "url": self.url,
            "score": self.score,
            "verdict": self.verdict,
            "evidence_sha256": self.evidence_sha256,
        }


@dataclass(frozen=True)
class Decision:
    """An officer's triage decision; `by` is None when nobody could be named."""

    action: Triage
    note: str | None
    by: str | None
    at: datetime

    def to_json(self) -> dict[str, Any]:
        # `actor` names the officer as the console and the API do; `by` is kept for earlier scripts.
        return {
            "action": self.action,
            "note": self.note,
            "actor": self.by,
            "by": self.by,
            "at": machine_time(self.at),
        }


@dataclass(frozen=True)
class EvidenceEntry:
    """An archived fetch of the finding's page."""

    sha256: str
    url: str
    status: int
    first_fetched_at: datetime
    last_fetched_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "url": self.url,
            "status": self.status,
            "first_fetched_at": machine_time(self.first_fetched_at),
            "last_fetched_at": machine_time(self.last_fetched_at),
        }


@dataclass(frozen=True)
class FindingDetail:
    """One finding's whole file: the view, what found it, its history, decisions and evidence."""

    finding: FindingView
    signals: tuple[Any, ...]
    sources: tuple[str, ...]
    history: tuple[HistoryEntry, ...]
    decisions: tuple[Decision, ...]
    evidence: tuple[EvidenceEntry, ...]

    def to_json(self) -> dict[str, Any]:
        """The F object plus signals, sources, history, triage_events and evidence."""
        return {
            **self.finding.to_json(),
            "signals": list(self.signals),
            "sources": list(self.sources),
            "history": [entry.to_json() for entry in self.history],
            "triage_events": [decision.to_json() for decision in self.decisions],
            "evidence": [entry.to_json() for entry in self.evidence],
        }


@dataclass(frozen=True)
class FindingFilter:
    """Which findings a list shows; None means any."""

    status: str | None = None
    verdict: str | None = None
    brand: str | None = None
    triage: str | None = None
    platform: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        wanted: Mapping[str, str | None] = {
            "status": self.status,
            "verdict": self.verdict,
            "brand": self.brand,
            "triage": self.triage,
            "platform": self.platform,
        }
        for column, value in wanted.items():
            if value is not None:
                query = query.where(getattr(Finding, column) == value)
        return query


class FindingViews:
    """Finding lists and files for people; reads only, never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find(
        self, where: FindingFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[FindingView]:
        """Findings in id order, filtered, optionally one page of them."""
        query = (where or FindingFilter()).apply(select(*FINDING_VIEW_COLUMNS))
        query = query.order_by(Finding.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [FindingView.from_row(row) for row in self.session.execute(query)]

    def count(self, where: FindingFilter | None = None) -> int:
        query = (where or FindingFilter()).apply(select(func.count()).select_from(Finding))
        return int(self.session.scalar(query) or 0)

    def get(self, finding_id: int) -> FindingView | None:
        row = self.session.execute(select(*FINDING_VIEW_COLUMNS).where(Finding.id == finding_id)).first()
        return FindingView.from_row(row) if row is not None else None

    def detail(self, finding_id: int) -> FindingDetail | None:
        """The finding's file, or None when there is no such finding."""
        finding = self.session.get(Finding, finding_id)
        if finding is None:
            return None
        observations = self.session.scalars(
            select(Observation).where(Observation.finding_id == finding_id).order_by(Observation.id)
        )
        decisions = self.session.scalars(
            select(TriageEvent).where(TriageEvent.finding_id == finding_id).order_by(TriageEvent.id)
        )
        captures = self.session.scalars(
            select(Capture).where(Capture.finding_id == finding_id).order_by(Capture.id)
        )
        return FindingDetail(
            finding=FindingView.of(finding),
            signals=tuple(finding.signals or ()),
            sources=tuple(finding.sources or ()),
            history=tuple(
                HistoryEntry(
                    event=o.event,
                    observed_at=o.observed_at,
                    name=o.name,
                    url=o.url,
                    score=o.score,
                    verdict=cast(Verdict, o.verdict),
                    evidence_sha256=o.evidence_sha256,
                )
                for o in observations
            ),
            decisions=tuple(
                Decision(action=cast(Triage, t.action), note=t.note, by=t.actor, at=t.created_at)
                for t in decisions
            ),
            evidence=tuple(
                EvidenceEntry(
                    sha256=c.sha256,
                    url=c.url,
                    status=c.status,
                    first_fetched_at=c.first_fetched_at,
                    last_fetched_at=c.last_fetched_at,
                )
                for c in captures
            ),
        )

    def latest_evidence(self, finding_id: int) -> str | None:
        """The SHA-256 of the finding's most recently fetched page, if any was archived."""
        return self.session.scalars(
            select(Capture.sha256)
            .where(Capture.finding_id == finding_id)
            .order_by(Capture.last_fetched_at.desc())
            .limit(1)
        ).first()

    def captures(self, finding_id: int) -> list[Capture]:
        """The archived fetches of a finding's pages, oldest first: its own, and those its history cites."""
        cited = select(Observation.evidence_sha256).where(
            Observation.finding_id == finding_id, Observation.evidence_sha256.is_not(None)
        )
        return list(
            self.session.scalars(
                select(Capture)
                .where((Capture.finding_id == finding_id) | Capture.sha256.in_(cited))
                .order_by(Capture.first_fetched_at, Capture.id)
            )
        )

    def first_with_evidence(self) -> int | None:
        """The lowest finding id with an archived page, if any."""
        return self.session.scalar(select(func.min(Capture.finding_id)))
