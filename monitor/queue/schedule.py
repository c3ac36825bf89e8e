"""When the queue's scheduler defers work: the tick (scans that are due) and the daily digest.

Procrastinate defers each periodic slot once, however many schedulers run. The tick asks the
store which scan groups are due — the main scan every `scan_every`, each source with its own
interval apart — so intervals of any length work with a tick of seconds or minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.queue.steps import Runtime
from monitor.settings import Settings, parse_duration
from monitor.store.db import session_scope
from monitor.store.scans import ScanRepository

MAIN = "schedule"


def groups(settings: Settings) -> list[tuple[list[str] | None, str, float]]:
    """(sources, trigger, interval in seconds) of each scan group, as the in-process daemon has them."""
    schedule = settings.schedule
    separate = dict(schedule.sources)
    main: list[str] | None = None
    if separate:
        from monitor.discover.registry import registered_keys

        main = [key for key in registered_keys() if key not in separate]
    found: list[tuple[list[str] | None, str, float]] = [(main, MAIN, schedule.scan_every_seconds)]
    for key, every in sorted(separate.items()):
        found.append(([key], f"every:{key}"[:16], parse_duration(every)))
    return found


def due_scans(
    rt: Runtime, now: datetime, quiet_since: datetime | None = None
) -> list[tuple[list[str] | None, str]]:
    """The groups whose last scan started at least their interval ago and none is running.

    A group never scanned is due at once, or one interval after `quiet_since` when given (the
    scheduler was started without an initial scan)."""
    half_tick = timedelta(seconds=rt.settings.queue.tick_seconds / 2)
    due: list[tuple[list[str] | None, str]] = []
    with session_scope(rt.factory) as session:
        repo = ScanRepository(session)
        for sources, trigger, every in groups(rt.settings):
            last = repo.latest(trigger)
            if last is not None and last.status == "running":
                continue
            since = last.started_at if last is not None else quiet_since
            if since is None or since + timedelta(seconds=every) <= now + half_tick:
                due.append((sources, trigger))
    return due


def tick_cron(settings: Settings) -> str:
    """Every tick_seconds: a seconds field under a minute, minutes above."""
    seconds = settings.queue.tick_seconds
    if seconds < 60:
        return f"* * * * * */{seconds}"
    return f"*/{max(1, seconds // 60)} * * * *"


def digest_cron(settings: Settings, today: datetime | None = None) -> str:
    """The digest's local time of day as a UTC cron line (procrastinate reads cron in UTC)."""
    schedule = settings.schedule
    zone = ZoneInfo(schedule.timezone)
    at = time.fromisoformat(schedule.digest_at)
    day = (today or datetime.now(zone)).astimezone(zone).date()
    utc = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    return f"{utc.minute} {utc.hour} * * *"
