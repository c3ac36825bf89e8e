"""Sources and scans: each source's health, the recent scans with their counts, the daemon's heartbeat,
and the job queue (waiting, running, failed, retrying jobs and live workers) when scans run as jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.responses import Response

from monitor.queue_words import QUEUE_NAMES, TASK_NAMES, age_words, named, queue_word
from monitor.store.console import ConsoleViews
from monitor.store.queue_state import QueueState, queue_state
from monitor.store.schema import utcnow
from monitor.web.handling import Ctx, endpoint

# Counts of a scan shown on the page, in this order (events use the shared EVENTS words).
COUNT_KEYS = ("candidates", "new", "changed", "reappeared", "gone", "taken_down", "requests")


@endpoint(role="viewer")
def sources_page(ctx: Ctx) -> Response:
    view = ConsoleViews(ctx.session).sources()
    daemon = view.daemon
    lease = timedelta(seconds=ctx.console.settings.schedule.lease_seconds)
    alive = bool(
        daemon is not None
        and daemon.state == "running"
        and daemon.heartbeat_at is not None
        and utcnow() - daemon.heartbeat_at < lease
    )
    offices = {brand.slug: brand.name for brand in ctx.console.settings.brands}
    queue = ctx.console.settings.queue
    jobs: QueueState | None = None
    if queue.backend == "procrastinate":
        jobs = queue_state(ctx.session, alive_seconds=queue.stall_seconds)
    lang = ctx.lang

    def qw(key: str, **values: Any) -> str:
        return queue_word(key, lang, **values)

    return ctx.render(
        "sources.html",
        view=view,
        daemon=daemon,
        daemon_state=_daemon_state(daemon.state if daemon else None, alive),
        alive=alive,
        offices=offices,
        count_keys=COUNT_KEYS,
        jobs=jobs,
        qw=qw,
        age=lambda value: age_words(value, lang),
        queue_name=lambda code: named(QUEUE_NAMES, code, lang, 40),
        task_name=lambda code: named(TASK_NAMES, code, lang, 60),
    )


def _daemon_state(state: str | None, alive: bool) -> str:
    if state is None:
        return "never_started"
    if state == "running" and not alive:
        return "heartbeat_lost"
    return state
