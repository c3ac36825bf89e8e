"""Sources and scans: each source's health, the recent scans with their counts, the daemon's heartbeat."""

from __future__ import annotations

from datetime import timedelta

from starlette.responses import Response

from monitor.store.console import ConsoleViews
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
    return ctx.render(
        "sources.html",
        view=view,
        daemon=daemon,
        daemon_state=_daemon_state(daemon.state if daemon else None, alive),
        alive=alive,
        offices=offices,
        count_keys=COUNT_KEYS,
    )


def _daemon_state(state: str | None, alive: bool) -> str:
    if state is None:
        return "never_started"
    if state == "running" and not alive:
        return "heartbeat_lost"
    return state
