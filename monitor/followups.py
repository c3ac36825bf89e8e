"""Follow-up steps, from a registry: run per recorded brand once the scan is finished and alerted.

A step gets what this scan changed, by finding id, and may open its own units of work. A step
that fails is logged and reported in the scan report; it never fails the scan. Steps are skipped
once the scan is asked to stop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from monitor.log import get_logger
from monitor.redact import scrub

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from monitor.settings import Settings

log = get_logger(__name__)


@dataclass(frozen=True)
class FindingChange:
    """One finding's event in this scan (new, changed, gone, taken_down, reappeared)."""

    event: str
    platform: str
    url: str
    verdict: str
    page_state: str | None


@dataclass(frozen=True)
class FollowUpContext:
    settings: Settings
    brand: str
    scan_id: int | None
    session_factory: sessionmaker[Session]
    changes: Mapping[int, FindingChange]
    stop: threading.Event = field(default_factory=threading.Event)


class FollowUp(Protocol):
    key: str

    async def run(self, context: FollowUpContext) -> object:
        """Do the step; the result is logged (and shown in the report when it has a summary)."""
        ...


@dataclass(frozen=True)
class FollowUpReport:
    key: str
    brand: str
    status: str  # ok | failed | skipped
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "brand": self.brand, "status": self.status, "detail": self.detail}


def _takedowns(settings: Settings) -> FollowUp:
    from monitor.reports.followup import TakedownStep

    return TakedownStep()


def _screenshots(settings: Settings) -> FollowUp:
    from monitor.capture.followup import ScreenshotStep

    return ScreenshotStep()


# Step key -> factory from settings. Order is the order the steps run: report dates first (quick),
# then screenshots (a browser per page). Each module is imported only when its step runs.
FOLLOWUPS: dict[str, Callable[[Settings], FollowUp]] = {
    "takedowns": _takedowns,
    "screenshots": _screenshots,
}


async def run_followups(
    context: FollowUpContext, steps: Mapping[str, Callable[[Settings], FollowUp]] | None = None
) -> list[FollowUpReport]:
    """Every registered step, in order; a failure is reported and the next step still runs."""
    reports: list[FollowUpReport] = []
    for key, factory in (FOLLOWUPS if steps is None else steps).items():
        if context.stop.is_set():
            reports.append(FollowUpReport(key, context.brand, "skipped", "stopped"))
            continue
        try:
            result = await factory(context.settings).run(context)
        except Exception as exc:
            log.exception("followup_failed", step=key, brand=context.brand, scan_id=context.scan_id)
            detail = scrub(f"{type(exc).__name__}: {exc}", context.settings.secret_values())[:300]
            reports.append(FollowUpReport(key, context.brand, "failed", detail))
            continue
        log.info("followup_done", step=key, brand=context.brand, scan_id=context.scan_id, result=str(result))
        reports.append(FollowUpReport(key, context.brand, "ok", str(result)[:300]))
    return reports
