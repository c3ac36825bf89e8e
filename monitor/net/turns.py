"""Politeness shared beyond one process: who may start the next request to a host.

A process's own limiter keeps its requests apart; workers on several machines need one clock.
`SharedTurns` is that clock: `take` returns once a request to `host` may start, at least
`interval` seconds after the last start any process recorded for the host, and holds the host
until `started` says the request is on the wire (or will not go): the start recorded is the real
one, so a request delayed between its turn and the wire never crowds the next one.
"""

from __future__ import annotations

import threading
from typing import Protocol


class SharedTurns(Protocol):
    async def take(self, host: str, interval: float, stop: threading.Event | None) -> None:
        """Wait until a request to host may start; the host is held for it until `started`."""
        ...

    def started(self, host: str) -> None:
        """The request taken for host is on the wire, or will not be sent: record it, free the host.

        Called from the event loop (an HTTP trace hook): must not block."""
        ...
