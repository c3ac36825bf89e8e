"""Takedown dates on reports: a reported fake whose page now answers 404/410 was taken down."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from monitor.store.reports import ReportRepository
from monitor.store.schema import Finding

# Page states that mean the page is gone (404/410 and the platforms' "no such account"), and the finding
# status set when it was. A finding only unseen for a few scans (`gone`) proves nothing about a takedown.
GONE_PAGE_STATES = frozenset({"gone"})
GONE_STATUSES = frozenset({"taken_down"})


def record_takedowns(session: Session, finding_ids: Sequence[int], when: datetime) -> int:
    """Open reports of the findings whose page is gone become taken_down on `when`; how many did.

    Called after a brand's findings are recorded; a page that could not be read (timeout, blocked)
    proves nothing and changes no report. Never commits.
    """
    gone = []
    for finding_id in dict.fromkeys(finding_ids):
        finding = session.get(Finding, finding_id)
        if finding is None:
            continue
        if finding.page_state in GONE_PAGE_STATES or finding.status in GONE_STATUSES:
            gone.append(finding_id)
    return ReportRepository(session).taken_down(gone, when)
