"""A queued scan's report, read back from the store: what `monitor scan` prints when jobs did it."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.orm import Session

from monitor.diff import EVENT_KINDS
from monitor.report import ScanReport, SourceReport
from monitor.store.scan_parts import JUDGE, ScanParts
from monitor.store.scans import ScanRepository


def stored_report(session: Session, scan_id: int) -> ScanReport:
    """Sources from the scan's runs; events, candidates and pages from its brands' judgements."""
    repo = ScanRepository(session)
    scan = repo.get(scan_id)
    if scan is None:
        raise LookupError(f"no scan {scan_id}")
    report = ScanReport(scan_id=scan.id, started_at=scan.started_at, finished_at=scan.finished_at)
    report.status = scan.status
    report.sources = [
        SourceReport(run.source, run.brand, run.status, run.requests, run.results, run.error)
        for run in repo.runs(scan_id)
    ]
    pages: Counter[str] = Counter()
    for part in ScanParts(session).parts(scan_id):
        if part.part != JUDGE:
            continue
        outcome = part.outcome
        for kind in EVENT_KINDS:
            report.events[kind].extend(outcome.get("events", {}).get(kind, []))
        report.candidates += int(outcome.get("candidates", 0))
        pages.update({str(k): int(v) for k, v in outcome.get("pages", {}).items()})
    report.pages = pages
    return report


def failed_judgements(session: Session, scan_id: int) -> tuple[int, int]:
    """(failed, all) judgements of the scan: a brand whose judgement failed was not recorded."""
    judged = [p for p in ScanParts(session).parts(scan_id) if p.part == JUDGE]
    return sum(1 for p in judged if "error" in p.outcome), len(judged)
