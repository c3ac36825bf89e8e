"""Stopping a run: waits that end as soon as the run's stop event is set, and the error they raise.

A stop comes from another thread (a signal handler, the daemon losing its lease), so it is a
threading.Event; waits look at it every STOP_POLL seconds rather than sleeping their full time.
"""

from __future__ import annotations

import asyncio
import threading

from monitor.errors import FetchError

# How soon a wait notices a stop: short next to the seconds a stop may take, long for a CPU.
STOP_POLL = 0.05


class Stopped(FetchError):
    """The run is stopping: no new request starts, and back-off and politeness waits end at once."""

    def __init__(self, url: str = "") -> None:
        super().__init__(url, "stopped")


def check(stop: threading.Event | None, url: str = "") -> None:
    """Raise Stopped when `stop` is set."""
    if stop is not None and stop.is_set():
        raise Stopped(url)


async def pause(seconds: float, stop: threading.Event | None, url: str = "") -> None:
    """Sleep `seconds`, or raise Stopped as soon as `stop` is set (cancellation propagates as usual)."""
    if stop is None:
        await asyncio.sleep(seconds)
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        check(stop, url)
        left = deadline - loop.time()
        if left <= 0:
            return
        await asyncio.sleep(min(STOP_POLL, left))


async def until_stopped(stop: threading.Event) -> None:
    """Return once `stop` is set (to race against other work)."""
    while not stop.is_set():
        await asyncio.sleep(STOP_POLL)
