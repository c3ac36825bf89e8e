"""The scan's takedown step: reports of fakes whose page is now gone get the date it went down."""

from __future__ import annotations

from monitor.followups import FollowUpContext
from monitor.reports.takedowns import record_takedowns
from monitor.store.db import session_scope
from monitor.store.schema import utcnow

# A page that answered 404/410 makes the finding taken_down (being unseen for a few scans proves nothing).
ENDED_EVENTS = frozenset({"taken_down"})


class TakedownStep:
    """Registered as `takedowns`."""

    key = "takedowns"

    async def run(self, context: FollowUpContext) -> str:
        ids = [finding_id for finding_id, change in context.changes.items() if change.event in ENDED_EVENTS]
        if not ids:
            return "reports_taken_down=0"
        with session_scope(context.session_factory) as session:
            count = record_takedowns(session, ids, utcnow())
        return f"reports_taken_down={count}"
