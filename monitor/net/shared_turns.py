"""SharedTurns kept in the database: every worker process takes its turns at a host from one table.

`StoreTurns` claims turns from the store (monitor.store.host_turns.HostTurns) in a worker thread,
so the event loop never waits on the database, and sleeps the time the database says is left.
A granted turn holds the host until `started` reports the request on the wire; that report is
written in the background, after the request started, so the recorded start is never too early.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Generic, Protocol, TypeVar

from monitor.log import get_logger
from monitor.net.stop import check, pause

log = get_logger(__name__)


class Turn(Protocol):
    """A claim's answer: granted (the host is held), or the seconds after which to ask again."""

    @property
    def granted(self) -> bool: ...

    @property
    def wait(self) -> float: ...


T = TypeVar("T", bound=Turn)


class TurnClaims(Protocol[T]):
    def claim(self, host: str, interval: float) -> T:
        """Hold host for a request, or say how long to wait before asking again."""
        ...

    def started(self, host: str, turn: T) -> None:
        """The request of a granted turn went on the wire: record its start and free the host."""
        ...


class StoreTurns(Generic[T]):
    """The SharedTurns of job workers: one interval per host across processes and machines."""

    def __init__(self, claims: TurnClaims[T]) -> None:
        self._claims = claims
        # The host's turn this process holds. One at most: while it is held, other claims for
        # the host are refused, whichever process or client makes them.
        self._held: dict[str, T] = {}

    async def take(self, host: str, interval: float, stop: threading.Event | None) -> None:
        """Wait until a request to host may start, and hold the host for it until `started`.

        Raises monitor.net.stop.Stopped once `stop` is set, before claiming anything.
        """
        if interval <= 0:
            return  # no interval to keep: nothing to share
        while True:
            check(stop)  # a stopping run must not hold a host another worker could use
            turn = await self._claim(host, interval)
            if turn.granted:
                self._held[host] = turn
                return
            # Another worker's request started less than `interval` ago, or is about to: ask
            # again when that interval may be over (whoever asks first then wins).
            await pause(turn.wait, stop)

    def started(self, host: str) -> None:
        """The request taken for host is on the wire, or will not be sent: record it, free the host."""
        turn = self._held.pop(host, None)
        if turn is not None:
            self._write_start(host, turn)

    async def _claim(self, host: str, interval: float) -> T:
        claiming = asyncio.ensure_future(asyncio.to_thread(self._claims.claim, host, interval))
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            # The claim goes on in its thread: a turn granted to no one must not hold the host.
            claiming.add_done_callback(lambda done: self._give_back(host, done))
            raise

    def _give_back(self, host: str, claiming: asyncio.Future[T]) -> None:
        if not claiming.cancelled() and claiming.exception() is None and claiming.result().granted:
            self._write_start(host, claiming.result())

    def _write_start(self, host: str, turn: T) -> None:
        # Called from the event loop (an HTTP trace hook): the write must not block it. Handed to
        # a thread at once, not to a task, so a loop that ends right after the request (the end of
        # a run) still writes it instead of leaving the host held.
        writing = asyncio.get_running_loop().run_in_executor(None, self._claims.started, host, turn)
        writing.add_done_callback(lambda done: _report(host, done))


def _report(host: str, writing: asyncio.Future[None]) -> None:
    if not writing.cancelled() and writing.exception() is not None:
        # The host stays held until its hold runs out; the run itself goes on.
        log.warning("host_start_not_recorded", host=host, error=str(writing.exception()))
