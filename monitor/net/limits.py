"""Politeness limits: overall and per-host concurrency, per-host start interval, and a circuit breaker."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from monitor.net.stop import pause
from monitor.net.turns import SharedTurns

Clock = Callable[[], float]
# How long before its host's start time a slot is granted: building the request and readying its
# connection (a few milliseconds) happen then, and only the last wait (Grant.turn) is on the gap.
EARLY = 0.005
_SLACK = 0.001


class TurnMoved(Exception):
    """The host's start time moved after the slot was granted; `wait`: seconds still to wait."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the host's turn moved {wait:.3f} s away")
        self.wait = wait


@dataclass
class _Host:
    semaphore: asyncio.Semaphore
    interval: float
    # Held from the moment a request is granted until it is really sent: the next request of
    # the host is timed from when the previous one reached the wire, not from when it was let go
    # (a new connection can take longer than the interval).
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float = float("-inf")
    not_before: float = float("-inf")

    def wait(self, now: float) -> float:
        """Seconds until this host may see the next request start."""
        return max(self.last_start + self.interval, self.not_before) - now


class Grant:
    """A granted request slot. `turn()` is awaited right before the request is written (it waits
    out the last moments before the host's start time); `started()` says it has been written."""

    def __init__(self, host: _Host, clock: Clock, stop: threading.Event | None) -> None:
        self._host = host
        self._clock = clock
        self._stop = stop
        self._open = True
        self._turned = False
        # Told too when the request starts: the shared turn it holds (see SharedTurns.started).
        self.on_start: Callable[[], None] | None = None

    async def turn(self) -> float:
        """Wait out the last moments before the host's start time; the seconds waited (0.0 when
        it had come). The slot was granted a little early so that the request could be built
        meanwhile: the host's gap is the interval, not the interval plus that.

        TurnMoved when the start time moved further than EARLY since the grant (a Retry-After or
        a Crawl-delay that came in meanwhile): the request gives its slot back and asks again,
        rather than wait long with its connection, gate and overall slot held."""
        if self._turned:
            return 0.0
        self._turned = True
        began, waited = self._clock(), False
        while (wait := self._host.wait(self._clock())) > 0:
            if wait > EARLY + _SLACK:
                raise TurnMoved(wait)
            await pause(wait, self._stop)
            waited = True
        return self._clock() - began if waited else 0.0

    def started(self) -> None:
        if self._open:
            self._open = False
            self._host.last_start = self._clock()
            self._host.gate.release()
            if self.on_start is not None:
                self.on_start()


class HostLimiter:
    """Grants request slots so that no host sees more than its concurrency or a faster start rate.

    The interval is counted between request STARTS per host, a start being the moment the
    request is written (the client reports it through `Grant.started`; leaving the slot counts
    as a start if it was not reported). A slot is taken in this order: the host's concurrency
    slot, the host's start gate, the wait until EARLY before the host's next start time, an
    overall slot; the rest of the wait is `Grant.turn`, right before the request is written.
    Only one request per host is between "granted" and "started" at a time, so tasks racing for
    one host can never start closer together than the interval.
    """

    def __init__(
        self,
        *,
        max_concurrency: int,
        per_host_concurrency: int,
        min_interval: float,
        clock: Clock = time.monotonic,
        stop: threading.Event | None = None,
        turns: SharedTurns | None = None,
    ) -> None:
        """`stop`: once set, a request waiting for its host's turn gives up (Stopped) at once.

        `turns`: the start times other processes share (workers of the job queue); taken when
        the slot is granted and recorded when the request is on the wire.
        """
        self._overall = asyncio.Semaphore(max_concurrency)
        self._stop = stop
        self._turns = turns
        self._per_host = per_host_concurrency
        self._interval = min_interval
        self._clock = clock
        self._hosts: dict[str, _Host] = {}

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = _Host(asyncio.Semaphore(self._per_host), self._interval)
            self._hosts[host] = state
        return state

    def interval(self, host: str) -> float:
        """The current minimum interval between request starts to host."""
        return self._host(host).interval

    def raise_interval(self, host: str, seconds: float) -> None:
        """Slow a host down (robots.txt Crawl-delay); never below the configured interval."""
        state = self._host(host)
        state.interval = max(self._interval, seconds)

    def pause(self, host: str, seconds: float) -> None:
        """No request to host starts in the next `seconds` (Retry-After, back-off)."""
        state = self._host(host)
        state.not_before = max(state.not_before, self._clock() + seconds)

    @asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[Grant]:
        """Hold a request slot for host for the whole exchange, body included.

        The slot is granted up to EARLY seconds before the host's start time: the caller awaits
        `Grant.turn()` right before writing the request (the client does it from httpcore's
        "sending the headers" hook), then reports `Grant.started()`."""
        state = self._host(host)
        async with state.semaphore:
            await state.gate.acquire()
            grant = Grant(state, self._clock, self._stop)
            try:
                await self._wait_turn(state)
            except BaseException:
                state.gate.release()
                raise
            if self._turns is not None:
                turns = self._turns
                try:
                    await turns.take(host, state.interval, self._stop)
                except BaseException:
                    self._overall.release()
                    state.gate.release()
                    raise
                grant.on_start = lambda: turns.started(host)
            try:
                yield grant
            finally:
                grant.started()
                self._overall.release()

    async def _wait_turn(self, state: _Host) -> None:
        while True:
            wait = state.wait(self._clock()) - EARLY
            if wait > 0:
                await pause(wait, self._stop)
                continue
            await self._overall.acquire()
            # A pause (Retry-After of another request) may have come in meanwhile.
            if state.wait(self._clock()) <= EARLY:
                return
            self._overall.release()


@dataclass
class _Breaker:
    failures: int = 0
    open_until: float = float("-inf")


@dataclass
class CircuitBreaker:
    """Stops asking a host after `threshold` consecutive blocked answers, for `cooldown` seconds.

    After the cooldown one request is let through; if it is blocked again the circuit reopens at
    once, otherwise the count starts over.
    """

    threshold: int
    cooldown: float
    clock: Clock = time.monotonic
    _hosts: dict[str, _Breaker] = field(default_factory=dict)

    def remaining(self, host: str) -> float:
        """Seconds the circuit of host stays open; 0 when requests may go."""
        state = self._hosts.get(host)
        if state is None:
            return 0.0
        return max(0.0, state.open_until - self.clock())

    def record(self, host: str, *, blocked: bool) -> bool:
        """Count one answer of host; True when this answer opened the circuit."""
        state = self._hosts.setdefault(host, _Breaker())
        if not blocked:
            state.failures = 0
            return False
        state.failures += 1
        if state.failures >= self.threshold:
            state.open_until = self.clock() + self.cooldown
            # Half-open after the cooldown: one more block reopens it.
            state.failures = self.threshold - 1
            return True
        return False
