"""What a scan reports: per-source outcomes, the events it produced, and live progress hooks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from monitor.diff import EVENT_KINDS
from monitor.followups import FollowUpReport
from monitor.i18n import Language
from monitor.notify.texts import PAGE_STATES, label, text
from monitor.page_state import UNREADABLE
from monitor.sources import SourceResult
from monitor.store.findings import FindingData
from monitor.store.schema import Finding


class Progress(Protocol):
    """Live progress of a scan (the terminal display implements it)."""

    def source_done(self, brand: str, result: SourceResult) -> None: ...
    def candidates(self, brand: str, count: int) -> None: ...
    def enriched(self, brand: str, done: int, total: int) -> None: ...
    def names_resolved(self, brand: str, done: int, total: int) -> None: ...


@dataclass
class SourceReport:
    name: str
    brand: str
    status: str
    requests: int
    results: int
    error: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "brand": self.brand,
            "status": self.status,
            "requests": self.requests,
            "results": self.results,
            "error": self.error,
        }


@dataclass
class ScanReport:
    scan_id: int | None
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "running"
    sources: list[SourceReport] = field(default_factory=list)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {k: [] for k in EVENT_KINDS})
    candidates: int = 0
    dry_run: bool = False
    # Pages this scan tried to read, by monitor.page_state code.
    pages: Counter[str] = field(default_factory=Counter)
    # Follow-up steps run after each brand was recorded (monitor.followups).
    followups: list[FollowUpReport] = field(default_factory=list)

    def page_checked(self, state: str) -> None:
        self.pages[state] += 1

    def counts(self) -> dict[str, int]:
        counts = {kind: len(items) for kind, items in self.events.items()}
        counts["candidates"] = self.candidates
        counts["requests"] = sum(s.requests for s in self.sources)
        counts["pages"] = sum(self.pages.values())
        counts["pages_unreadable"] = sum(self.pages[state] for state in UNREADABLE)
        counts.update({f"page_{state}": self.pages[state] for state in UNREADABLE})
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "status": self.status,
            "dry_run": self.dry_run,
            "sources": [s.to_dict() for s in self.sources],
            **self.events,
            "counts": self.counts(),
            **({"followups": [f.to_dict() for f in self.followups]} if self.followups else {}),
        }


def finding_view(finding: Finding | FindingData, finding_id: int | None) -> dict[str, Any]:
    """The F object of `monitor scan --json`."""
    return {
        "id": finding_id,
        "brand": finding.brand,
        "platform": finding.platform,
        "identity": finding.identity,
        "url": finding.url,
        "name": finding.name,
        "score": finding.score,
        "verdict": finding.verdict,
        "reasons": finding.reasons,
        "page_state": finding.page_state,
        "page_note": finding.page_note,
    }


def unreadable_pages(counts: Mapping[str, Any], lang: Language) -> str | None:
    """The line "Trang không đọc được: 3 (quá thời gian 2, quá lớn 1)" of a scan's counts, or None."""
    parts = []
    for state in UNREADABLE:
        value = counts.get(f"page_{state}")
        if isinstance(value, int) and value > 0:
            parts.append(f"{label(PAGE_STATES, state, lang)} {value}")
    if not parts:
        return None
    total = counts.get("pages_unreadable")
    if not isinstance(total, int) or total <= 0:
        total = sum(int(counts[f"page_{state}"]) for state in UNREADABLE if counts.get(f"page_{state}"))
    return text("scan.unreadable_pages", lang, count=total, detail=", ".join(parts))


class NullProgress:
    def source_done(self, brand: str, result: SourceResult) -> None:
        return None

    def candidates(self, brand: str, count: int) -> None:
        return None

    def enriched(self, brand: str, done: int, total: int) -> None:
        return None

    def names_resolved(self, brand: str, done: int, total: int) -> None:
        return None
