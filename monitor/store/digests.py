"""Read models of the digest: a brand's period of events, its fakes still live, source runs, digest rows."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.diff import EVENT_KINDS, NOT_REPORTED
from monitor.store.outbox import OPEN
from monitor.store.schema import Finding, Notification, Observation, SourceRun
from monitor.store.views import FINDING_VIEW_COLUMNS, FindingView


@dataclass(frozen=True)
class UnsentDigest:
    """A digest row that was claimed or failed and not sent: its period is retried."""

    id: int
    period_start: datetime
    status: str
    attempts: int


class DigestReads:
    """What one brand's digest period reads from the store; never writes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def events(
        self, brand: str, start: datetime, end: datetime, kinds: Collection[str] = EVENT_KINDS
    ) -> list[tuple[Observation, FindingView]]:
        """The brand's lifecycle events observed in [start, end), in the order they were recorded."""
        rows = self.session.execute(
            select(Observation, *FINDING_VIEW_COLUMNS)
            .join(Finding, Observation.finding_id == Finding.id)
            .where(
                Finding.brand == brand,
                Observation.observed_at >= start,
                Observation.observed_at < end,
                Observation.event.in_(list(kinds)),
            )
            .order_by(Observation.id)
        ).all()
        return [(row[0], FindingView.from_row(row[1:])) for row in rows]

    def still_live(self, brand: str, first_seen_by: datetime) -> list[FindingView]:
        """Active impersonations first seen by then and not yet reported, oldest first."""
        rows = self.session.execute(
            select(*FINDING_VIEW_COLUMNS)
            .where(
                Finding.brand == brand,
                Finding.status == "active",
                Finding.verdict == "impersonation",
                Finding.triage.in_(sorted(NOT_REPORTED)),
                Finding.first_seen_at <= first_seen_by,
            )
            .order_by(Finding.first_seen_at, Finding.id)
        )
        return [FindingView.from_row(row) for row in rows]

    def source_runs(self, brand: str, start: datetime, end: datetime) -> list[SourceRun]:
        """The brand's source runs started in [start, end)."""
        return list(
            self.session.scalars(
                select(SourceRun).where(
                    SourceRun.brand == brand,
                    SourceRun.started_at >= start,
                    SourceRun.started_at < end,
                )
            )
        )

    def unsent(self, brand: str) -> UnsentDigest | None:
        """The brand's oldest digest row still pending or failed, if any."""
        row = self.session.execute(
            select(Notification.id, Notification.period_start, Notification.status, Notification.attempts)
            .where(Notification.kind == "digest", Notification.brand == brand, Notification.status.in_(OPEN))
            .order_by(Notification.period_start, Notification.id)
            .limit(1)
        ).first()
        if row is None or row.period_start is None:
            return None
        return UnsentDigest(int(row.id), _aware(row.period_start), str(row.status), int(row.attempts))

    def last_sent_end(self, brand: str) -> datetime | None:
        """Where the brand's last sent digest period ended."""
        last_end = self.session.scalar(
            select(func.max(Notification.period_end)).where(
                Notification.kind == "digest", Notification.brand == brand, Notification.status == "sent"
            )
        )
        # func.max skips the column type on some backends: normalise to aware UTC.
        return _aware(last_end) if last_end is not None else None


def _aware(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
