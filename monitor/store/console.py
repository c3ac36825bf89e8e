"""Read models of the web console: the queue, bulk selections, a finding's page and the sources page.

Each view is a few set-based queries whatever the number of rows: nothing is loaded row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from monitor.store.heartbeat import LEASE_NAME
from monitor.store.scans import ScanRepository, SourceHealth
from monitor.store.schema import (
    Capture,
    DaemonState,
    EvidenceBlob,
    Finding,
    Observation,
    Tip,
    TriageEvent,
)
from monitor.store.schema_reports import EvidenceFile, Report, ReportEvent
from monitor.store.views import FINDING_VIEW_COLUMNS, FindingView

Sort = Literal["score", "first_seen", "last_seen"]
SORTS: tuple[Sort, ...] = ("score", "first_seen", "last_seen")
MAX_BULK = 10_000


@dataclass(frozen=True)
class QueueFilter:
    """What an officer narrowed the queue to; None means "any"."""

    brand: str | None = None
    platform: str | None = None
    verdict: str | None = None
    status: str | None = None
    triage: str | None = None
    # A report status (monitor.reports.words.STATUS_WORDS), or "none": never reported.
    report: str | None = None
    text: str | None = None
    # First seen within [since, until) (UTC).
    since: datetime | None = None
    until: datetime | None = None
    sort: Sort = "score"


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue: each row the finding view every other surface shows."""

    rows: list[FindingView]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(spec: QueueFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for column, value in (
        (Finding.brand, spec.brand),
        (Finding.platform, spec.platform),
        (Finding.verdict, spec.verdict),
        (Finding.status, spec.status),
        (Finding.triage, spec.triage),
    ):
        if value:
            conditions.append(column == value)
    if spec.report == "none":
        conditions.append(~exists().where(Report.finding_id == Finding.id))
    elif spec.report:
        conditions.append(exists().where(Report.finding_id == Finding.id, Report.status == spec.report))
    text = (spec.text or "").strip()
    if text:
        pattern = _like(text)
        matches: list[ColumnElement[bool]] = [
            Finding.name.ilike(pattern, escape="\\"),
            Finding.identity.ilike(pattern, escape="\\"),
            Finding.url.ilike(pattern, escape="\\"),
        ]
        number = text.removeprefix("#")
        if number.isdigit() and len(number) < 10:
            matches.append(Finding.id == int(number))
        conditions.append(or_(*matches))
    if spec.since is not None:
        conditions.append(Finding.first_seen_at >= spec.since)
    if spec.until is not None:
        conditions.append(Finding.first_seen_at < spec.until)
    return conditions


def _order(sort: Sort) -> tuple[ColumnElement[Any], ...]:
    if sort == "first_seen":
        return (Finding.first_seen_at.desc(), Finding.id.desc())
    if sort == "last_seen":
        return (Finding.last_seen_at.desc(), Finding.id.desc())
    return (Finding.score.desc(), Finding.id.desc())


class ConsoleViews:
    """The console's read queries, in the caller's session; never writes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # The queue and its selections

    def count(self, spec: QueueFilter) -> int:
        query = select(func.count()).select_from(Finding).where(and_(True, *_conditions(spec)))
        return int(self.session.scalar(query) or 0)

    def queue(self, spec: QueueFilter, page: int = 1, per_page: int = 50) -> QueuePage:
        total = self.count(spec)
        page = max(1, page)
        query = (
            select(*FINDING_VIEW_COLUMNS).where(and_(True, *_conditions(spec))).order_by(*_order(spec.sort))
        )
        rows = self.session.execute(query.limit(per_page).offset((page - 1) * per_page))
        return QueuePage([FindingView.from_row(row) for row in rows], total, page, per_page)

    def matching_ids(self, spec: QueueFilter, limit: int = MAX_BULK + 1) -> list[int]:
        """The ids of every finding the filter selects, in queue order (at most `limit`)."""
        query = select(Finding.id).where(and_(True, *_conditions(spec))).order_by(*_order(spec.sort))
        return list(self.session.scalars(query.limit(limit)))

    def existing_ids(self, ids: Sequence[int]) -> list[int]:
        """Which of `ids` are findings, in the order given."""
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            found.update(self.session.scalars(select(Finding.id).where(Finding.id.in_(chunk))))
        return [finding_id for finding_id in ids if finding_id in found]

    def findings_for_update(self, ids: Sequence[int]) -> list[Finding]:
        """The findings behind a confirmed bulk action, loaded in chunks (not one query each)."""
        loaded: dict[int, Finding] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            for finding in self.session.scalars(select(Finding).where(Finding.id.in_(chunk))):
                loaded[finding.id] = finding
        return [loaded[finding_id] for finding_id in ids if finding_id in loaded]

    def brands(self) -> list[str]:
        return list(self.session.scalars(select(Finding.brand).distinct().order_by(Finding.brand)))

    # One finding

    def finding(self, finding_id: int) -> FindingPage | None:
        finding = self.session.get(Finding, finding_id)
        if finding is None:
            return None
        observations = [
            ObservationView(*row)
            for row in self.session.execute(
                select(
                    Observation.id,
                    Observation.event,
                    Observation.observed_at,
                    Observation.name,
                    Observation.url,
                    Observation.score,
                    Observation.verdict,
                    Observation.scan_id,
                    Observation.evidence_sha256,
                )
                .where(Observation.finding_id == finding_id)
                .order_by(Observation.observed_at, Observation.id)
            )
        ]
        captures = [
            CaptureView(*row)
            for row in self.session.execute(
                select(
                    Capture.id,
                    Capture.sha256,
                    Capture.url,
                    Capture.final_url,
                    Capture.status,
                    Capture.first_fetched_at,
                    Capture.last_fetched_at,
                    EvidenceBlob.media_type,
                    EvidenceBlob.size,
                )
                .join(EvidenceBlob, EvidenceBlob.sha256 == Capture.sha256)
                .where(Capture.finding_id == finding_id)
                .order_by(Capture.last_fetched_at.desc(), Capture.id.desc())
            )
        ]
        files = list(
            self.session.scalars(
                select(EvidenceFile).where(EvidenceFile.finding_id == finding_id).order_by(EvidenceFile.id)
            )
        )
        tips = list(self.session.scalars(select(Tip).where(Tip.finding_id == finding_id).order_by(Tip.id)))
        timeline: list[TimelineEntry] = []
        for part in TIMELINE_PARTS:
            timeline.extend(part(self.session, finding_id, observations))
        timeline.sort(key=lambda entry: (entry.at, entry.order))
        return FindingPage(
            finding=finding,
            names=_names_over_time(observations, finding),
            observations=observations,
            captures=captures,
            files=files,
            tips=tips,
            timeline=timeline,
        )

    # Sources and scans

    def sources(self, scans: int = 20) -> SourcesPage:
        repo = ScanRepository(self.session)
        daemon = self.session.scalars(select(DaemonState).where(DaemonState.name == LEASE_NAME)).one_or_none()
        return SourcesPage(health=repo.health(), scans=list(repo.recent(scans)), daemon=daemon)


@dataclass(frozen=True)
class ObservationView:
    id: int
    event: str
    observed_at: datetime
    name: str
    url: str
    score: int
    verdict: str
    scan_id: int | None
    evidence_sha256: str | None


@dataclass(frozen=True)
class CaptureView:
    id: int
    sha256: str
    url: str
    final_url: str
    status: int
    first_fetched_at: datetime
    last_fetched_at: datetime
    media_type: str | None
    size: int


@dataclass(frozen=True)
class NameSpan:
    """A name the finding went by, from its first to its last sighting under it."""

    name: str
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class TimelineEntry:
    """One step of a finding's story; `kind` + `code` choose the words, `actor` who did it."""

    at: datetime
    kind: str  # sighting | lifecycle | triage | tip | evidence (more kinds register their own parts)
    code: str
    actor: str | None = None
    note: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    order: int = 0


@dataclass(frozen=True)
class FindingPage:
    finding: Finding
    names: list[NameSpan]
    observations: list[ObservationView]
    captures: list[CaptureView]
    files: list[EvidenceFile]
    tips: list[Tip]
    timeline: list[TimelineEntry]


@dataclass(frozen=True)
class SourcesPage:
    health: list[SourceHealth]
    scans: list[Any]
    daemon: DaemonState | None


def _names_over_time(observations: Sequence[ObservationView], finding: Finding) -> list[NameSpan]:
    spans: dict[str, NameSpan] = {}
    for seen in observations:
        span = spans.get(seen.name)
        spans[seen.name] = (
            NameSpan(seen.name, seen.observed_at, seen.observed_at)
            if span is None
            else NameSpan(seen.name, span.first_at, max(span.last_at, seen.observed_at))
        )
    if finding.name not in spans:
        spans[finding.name] = NameSpan(finding.name, finding.first_seen_at, finding.last_seen_at)
    return sorted(spans.values(), key=lambda span: span.first_at)


# The parts a timeline is merged from: (session, finding id, its observations) -> entries.
TimelinePart = Callable[[Session, int, Sequence[ObservationView]], list[TimelineEntry]]
LIFECYCLE_EVENTS = frozenset({"gone", "taken_down", "reappeared"})


def _sightings(
    _session: Session, _finding_id: int, observations: Sequence[ObservationView]
) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=seen.observed_at,
            kind="lifecycle" if seen.event in LIFECYCLE_EVENTS else "sighting",
            code=seen.event,
            detail={"name": seen.name, "score": seen.score, "verdict": seen.verdict, "scan": seen.scan_id},
            order=1,
        )
        for seen in observations
    ]


def _decisions(session: Session, finding_id: int, _obs: Sequence[ObservationView]) -> list[TimelineEntry]:
    rows = session.execute(
        select(TriageEvent.created_at, TriageEvent.action, TriageEvent.actor, TriageEvent.note)
        .where(TriageEvent.finding_id == finding_id)
        .order_by(TriageEvent.id)
    )
    return [
        TimelineEntry(at=at, kind="triage", code=action, actor=actor, note=note, order=3)
        for at, action, actor, note in rows
    ]


def _tips(session: Session, finding_id: int, _obs: Sequence[ObservationView]) -> list[TimelineEntry]:
    rows = session.execute(
        select(Tip.submitted_at, Tip.submitted_by, Tip.note, Tip.url, Tip.via)
        .where(Tip.finding_id == finding_id)
        .order_by(Tip.id)
    )
    return [
        TimelineEntry(at=at, kind="tip", code=via, actor=by, note=note, detail={"url": url}, order=0)
        for at, by, note, url, via in rows
    ]


def _files(session: Session, finding_id: int, _obs: Sequence[ObservationView]) -> list[TimelineEntry]:
    rows = session.execute(
        select(EvidenceFile.created_at, EvidenceFile.kind, EvidenceFile.added_by, EvidenceFile.note)
        .where(EvidenceFile.finding_id == finding_id)
        .order_by(EvidenceFile.id)
    )
    return [
        TimelineEntry(at=at, kind="evidence", code=kind, actor=by, note=note, order=2)
        for at, kind, by, note in rows
    ]


def _reports(session: Session, finding_id: int, _obs: Sequence[ObservationView]) -> list[TimelineEntry]:
    rows = session.execute(
        select(
            ReportEvent.created_at,
            ReportEvent.action,
            ReportEvent.actor,
            ReportEvent.note,
            ReportEvent.new_status,
            Report.channel,
        )
        .join(Report, Report.id == ReportEvent.report_id)
        .where(Report.finding_id == finding_id)
        .order_by(ReportEvent.id)
    )
    return [
        TimelineEntry(
            at=at,
            kind="report",
            code=action,
            actor=actor,
            note=note,
            detail={"channel": channel, "status": status},
            order=4,
        )
        for at, action, actor, note, status, channel in rows
    ]


TIMELINE_PARTS: list[TimelinePart] = [_sightings, _decisions, _tips, _files, _reports]
