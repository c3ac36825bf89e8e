"""The scan's screenshot step: pictures of the pages of this scan's new, renamed or returning fakes."""

from __future__ import annotations

import asyncio
import contextlib

from monitor.capture.screenshots import ScreenshotReport, capture_screenshots
from monitor.followups import FollowUpContext

# Events after which the page may look different from any screenshot already kept.
SHOT_EVENTS = frozenset({"new", "changed", "reappeared"})
SHOT_VERDICTS = frozenset({"impersonation", "suspect"})
# How often the scan's stop request is looked at while Chromium works.
STOP_POLL_SECONDS = 0.2


class ScreenshotStep:
    """Registered as `screenshots`; which findings are eligible is decided by capture_screenshots."""

    key = "screenshots"

    async def run(self, context: FollowUpContext) -> str:
        ids = [
            finding_id
            for finding_id, change in context.changes.items()
            if change.event in SHOT_EVENTS and change.verdict in SHOT_VERDICTS
        ]
        if not ids:
            return "stored=0 skipped=0 failed=0"
        stop = asyncio.Event()
        watcher = asyncio.create_task(_forward_stop(context, stop))
        try:
            report = await capture_screenshots(context.settings, context.session_factory, ids, stop=stop)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        return summary(report)


def summary(report: ScreenshotReport) -> str:
    return f"stored={report.stored} skipped={report.skipped} failed={report.failed}"


async def _forward_stop(context: FollowUpContext, stop: asyncio.Event) -> None:
    """The scan's stop is a thread event (signals, the daemon); Chromium's capture waits on an asyncio one."""
    while not context.stop.is_set():
        await asyncio.sleep(STOP_POLL_SECONDS)
    stop.set()
