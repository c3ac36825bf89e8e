"""Reports repository: one report per finding and channel, its approval, submission and history."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.store.schema import Finding
from monitor.store.schema_reports import Report, ReportEvent

STATUSES = ("not_submitted", "submitted", "waiting", "refused", "taken_down")
# Reports that went out and have no final answer yet, or were refused: the fake may still be live.
OPEN = ("submitted", "waiting", "refused")


@dataclass(frozen=True)
class StillLive:
    """A finding reported some time ago whose page still answers, with its open reports."""

    finding: Finding
    reports: tuple[Report, ...]
    first_submitted_at: datetime


class ReportRepository:
    """Report rows and their events in the caller's session (never commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure(
        self, finding_id: int, brand: str, channel: str, kind: str, *, actor: str | None, now: datetime
    ) -> Report:
        """The report of a finding through a channel, created (not submitted) the first time."""
        report = self.session.scalars(
            select(Report).where(Report.finding_id == finding_id, Report.channel == channel)
        ).one_or_none()
        if report is not None:
            return report
        report = Report(
            finding_id=finding_id,
            brand=brand,
            channel=channel,
            channel_kind=kind,
            status="not_submitted",
            created_at=now,
            updated_at=now,
        )
        self.session.add(report)
        self.session.flush()
        self._event(report, "created", None, report.status, actor, None, now)
        return report

    create = ensure

    def get(self, report_id: int) -> Report | None:
        return self.session.get(Report, report_id)

    def list(
        self,
        *,
        brand: str | None = None,
        status: str | None = None,
        channel: str | None = None,
        finding_ids: Iterable[int] | None = None,
        limit: int = 500,
    ) -> builtins.list[Report]:
        """Reports, newest change first."""
        query = select(Report)
        if brand is not None:
            query = query.where(Report.brand == brand)
        if status is not None:
            query = query.where(Report.status == status)
        if channel is not None:
            query = query.where(Report.channel == channel)
        if finding_ids is not None:
            query = query.where(Report.finding_id.in_(list(finding_ids)))
        return list(
            self.session.scalars(query.order_by(Report.updated_at.desc(), Report.id.desc()).limit(limit))
        )

    def for_finding(self, finding_id: int) -> builtins.list[Report]:
        return list(
            self.session.scalars(select(Report).where(Report.finding_id == finding_id).order_by(Report.id))
        )

    def events(self, report_id: int) -> builtins.list[ReportEvent]:
        return list(
            self.session.scalars(
                select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id)
            )
        )

    def update(
        self,
        report: Report,
        *,
        now: datetime,
        actor: str | None,
        status: str | None = None,
        reference: str | None = None,
        answer: str | None = None,
        next_follow_up_at: datetime | None = None,
        note: str | None = None,
    ) -> Report:
        """An officer's update; every change leaves an event with who and when."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown report status {status!r}")
        if status is not None and status != report.status:
            old = report.status
            report.status = status
            if status in OPEN and report.submitted_at is None:
                report.submitted_at = now
                report.submitted_by = actor
            if status == "taken_down" and report.taken_down_at is None:
                report.taken_down_at = now
            self._event(report, "status", old, status, actor, note, now)
        if reference is not None and reference != report.reference:
            report.reference = reference
            self._event(report, "reference", None, None, actor, reference, now)
        if answer is not None:
            report.answer = answer
            self._event(report, "answer", None, None, actor, answer, now)
        if next_follow_up_at is not None:
            report.next_follow_up_at = next_follow_up_at
            self._event(report, "follow_up", None, None, actor, None, now)
        if status is None and note and reference is None and answer is None:
            self._event(report, "note", None, None, actor, note, now)
        report.updated_at = now
        self.session.flush()
        return report

    def approve(self, report: Report, *, actor: str, now: datetime) -> bool:
        """Record an officer's approval; False when it was approved already."""
        if report.approved_at is not None:
            return False
        report.approved_at = now
        report.approved_by = actor
        report.updated_at = now
        self._event(report, "approved", None, None, actor, None, now)
        self.session.flush()
        return True

    def begin_sending(self, report: Report, *, now: datetime) -> bool:
        """Claim an approved, never-sent report for sending; False when it must not be sent (again)."""
        if report.approved_at is None or report.status != "not_submitted" or report.sending_at is not None:
            return False
        report.sending_at = now
        report.updated_at = now
        self.session.flush()
        return True

    def mark_submitted(
        self,
        report: Report,
        *,
        now: datetime,
        actor: str | None,
        destination: str | None,
        reference: str | None,
        follow_up_days: int,
    ) -> Report:
        old = report.status
        report.status = "submitted"
        report.submitted_at = now
        report.submitted_by = actor
        report.destination = destination
        report.reference = reference
        report.next_follow_up_at = now + timedelta(days=follow_up_days)
        report.updated_at = now
        self._event(report, "submitted", old, "submitted", actor, destination, now)
        self.session.flush()
        return report

    def note_remote_state(self, report: Report, state: str, *, now: datetime) -> bool:
        """Keep the channel's own state word; True when it changed."""
        state = state[:64]
        if state == report.remote_state:
            return False
        report.remote_state = state
        report.updated_at = now
        if report.status == "submitted":
            report.status = "waiting"
            self._event(report, "polled", "submitted", "waiting", None, state, now)
        else:
            self._event(report, "polled", None, None, None, state, now)
        self.session.flush()
        return True

    def taken_down(self, finding_ids: Sequence[int], when: datetime) -> int:
        """Open reports of these findings become taken_down on `when`; how many changed."""
        if not finding_ids:
            return 0
        reports = self.session.scalars(
            select(Report).where(Report.finding_id.in_(list(finding_ids)), Report.status.in_(OPEN))
        ).all()
        for report in reports:
            old = report.status
            report.status = "taken_down"
            report.taken_down_at = when
            report.updated_at = when
            self._event(report, "taken_down", old, "taken_down", None, None, when)
        self.session.flush()
        return len(reports)

    def reported_still_live(
        self, brand: str, older_than_days: int, now: datetime
    ) -> builtins.list[StillLive]:
        """Active findings of `brand` reported at least `older_than_days` ago whose reports are still open."""
        cutoff = now - timedelta(days=older_than_days)
        rows = self.session.execute(
            select(Finding, Report)
            .join(Report, Report.finding_id == Finding.id)
            .where(
                Finding.brand == brand,
                Finding.status == "active",
                Report.status.in_(OPEN),
                Report.submitted_at.is_not(None),
            )
            .order_by(Finding.id, Report.id)
        ).all()
        grouped: dict[int, tuple[Finding, list[Report]]] = {}
        for finding, report in rows:
            grouped.setdefault(finding.id, (finding, []))[1].append(report)
        out = []
        for finding, reports in grouped.values():
            first = min(r.submitted_at for r in reports if r.submitted_at is not None)
            if first <= cutoff:
                out.append(StillLive(finding=finding, reports=tuple(reports), first_submitted_at=first))
        return sorted(out, key=lambda item: (item.first_submitted_at, item.finding.id))

    def findings_with_triage(self, brand: str, triage: str) -> builtins.list[Finding]:
        """A brand's findings with this triage word, oldest first."""
        return list(
            self.session.scalars(
                select(Finding).where(Finding.brand == brand, Finding.triage == triage).order_by(Finding.id)
            )
        )

    def _event(
        self,
        report: Report,
        action: str,
        old: str | None,
        new: str | None,
        actor: str | None,
        note: str | None,
        now: datetime,
    ) -> None:
        self.session.add(
            ReportEvent(
                report_id=report.id,
                action=action,
                old_status=old,
                new_status=new,
                actor=actor[:128] if actor else None,
                note=note,
                created_at=now,
            )
        )
