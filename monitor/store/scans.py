"""Scans and their per-source runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.store.schema import Scan, SourceRun, utcnow


@dataclass(frozen=True)
class SourceHealth:
    """How a source has been doing lately, for one brand."""

    brand: str
    source: str
    last_status: str
    last_run_at: datetime
    last_results: int
    last_error: str | None
    last_ok_at: datetime | None
    # Runs in a row, newest first, that were not ok/partial; `since` is the first of them.
    consecutive_failures: int
    failing_since: datetime | None


class ScanRepository:
    """Reads and writes scans in the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start(self, brands: Sequence[str], trigger: str, now: datetime | None = None) -> Scan:
        scan = Scan(started_at=now or utcnow(), brands=list(brands), trigger=trigger, status="running")
        self.session.add(scan)
        self.session.flush()
        return scan

    def get(self, scan_id: int) -> Scan | None:
        return self.session.get(Scan, scan_id)

    def interrupt_stale(self, now: datetime | None = None) -> int:
        """Scans still `running` from a process that died: mark them `interrupted`."""
        result = self.session.execute(
            update(Scan)
            .where(Scan.status == "running")
            .values(status="interrupted", finished_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            update(SourceRun)
            .where(SourceRun.status == "running")
            .values(status="failed", error="interrupted", finished_at=now or utcnow())
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def record_run(
        self,
        scan_id: int,
        brand: str,
        source: str,
        status: str,
        requests: int,
        results: int,
        error: str | None,
        started_at: datetime,
        finished_at: datetime | None = None,
    ) -> SourceRun:
        run = self.session.scalars(
            select(SourceRun).where(
                SourceRun.scan_id == scan_id, SourceRun.brand == brand, SourceRun.source == source
            )
        ).one_or_none()
        if run is None:
            run = SourceRun(scan_id=scan_id, brand=brand, source=source, started_at=started_at)
            self.session.add(run)
        run.status, run.requests, run.results, run.error = status, requests, results, error
        run.finished_at = finished_at or utcnow()
        self.session.flush()
        return run

    def finish(self, scan: Scan, status: str, counts: dict[str, Any], error: str | None = None) -> None:
        scan.status, scan.counts, scan.error = status, counts, error
        scan.finished_at = utcnow()
        self.session.flush()

    def runs(self, scan_id: int) -> Sequence[SourceRun]:
        return self.session.scalars(
            select(SourceRun).where(SourceRun.scan_id == scan_id).order_by(SourceRun.id)
        ).all()

    def recent(self, limit: int = 10) -> Sequence[Scan]:
        return self.session.scalars(select(Scan).order_by(Scan.id.desc()).limit(limit)).all()

    def first_started_at(self) -> datetime | None:
        return self.session.scalars(select(Scan.started_at).order_by(Scan.id).limit(1)).one_or_none()

    def runs_since(self, since: datetime) -> Sequence[SourceRun]:
        return self.session.scalars(
            select(SourceRun).where(SourceRun.started_at >= since).order_by(SourceRun.id)
        ).all()

    def health(self, window: int = 50) -> list[SourceHealth]:
        """Per brand × source: the latest run, the last good one, and the current failure streak."""
        runs = self.session.scalars(
            select(SourceRun)
            .where(SourceRun.status != "running")
            .order_by(SourceRun.id.desc())
            .limit(window * 20)
        ).all()
        grouped: dict[tuple[str, str], list[SourceRun]] = {}
        for run in runs:
            bucket = grouped.setdefault((run.brand, run.source), [])
            if len(bucket) < window:
                bucket.append(run)
        health: list[SourceHealth] = []
        for (brand, source), history in sorted(grouped.items()):
            latest = history[0]
            streak: list[SourceRun] = []
            for run in history:
                if run.status in ("ok", "partial", "skipped"):
                    break
                streak.append(run)
            last_ok = next((run.started_at for run in history if run.status == "ok"), None)
            health.append(
                SourceHealth(
                    brand=brand,
                    source=source,
                    last_status=latest.status,
                    last_run_at=latest.started_at,
                    last_results=latest.results,
                    last_error=latest.error,
                    last_ok_at=last_ok,
                    consecutive_failures=len(streak),
                    failing_since=streak[-1].started_at if streak else None,
                )
            )
        return health
