"""Work several brands of one scan need, done once: a search query's page, a name's DNS answer.

A scan run as jobs gives its parts a `SharedWork` backed by the store (monitor.queue.shared), so
the first part to need a result computes it and the others read it. A scan run in one process
shares the same way in memory (`MemoryShared`): every BHXH office lists baohiemxahoi.gov.vn, so
their look-alike names overlap, and offices known by the same names search the same queries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol


class SharedWork(Protocol):
    async def once(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`compute()`'s JSON-able result, computed by whichever sharer asked first.

        When `compute` raises, the error goes to its caller and the key is freed: the next sharer
        computes it itself (a failure is never shared as a result).
        """
        ...

    async def many(
        self, keys: Sequence[str], compute: Callable[[list[str]], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Every key's JSON-able result, each computed once among the sharers.

        Keys already done are read; the keys nobody has claimed are claimed and computed by the
        caller in one `compute(mine)` call; keys another sharer is computing are waited for, then
        read (or computed here when that sharer gave up or died). A key `compute` leaves out of its
        result failed: it is freed for the next sharer and missing from the answer. When `compute`
        raises, its keys are freed and the error goes to the caller.
        """
        ...


class MemoryShared:
    """SharedWork within one process and event loop, for the length of one scan."""

    def __init__(self) -> None:
        self._done: dict[str, Any] = {}
        # Keys a caller is computing now, with what its waiters wait on.
        self._running: dict[str, asyncio.Future[None]] = {}

    async def once(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        async def one(keys: list[str]) -> dict[str, Any]:
            return {key: await compute()}

        return (await self.many([key], one))[key]

    async def many(
        self, keys: Sequence[str], compute: Callable[[list[str]], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys))
        tried: set[str] = set()  # computed here: a key left out failed and is not asked again
        while True:
            open_keys = [key for key in wanted if key not in self._done and key not in tried]
            waiting = {self._running[key] for key in open_keys if key in self._running}
            mine = [key for key in open_keys if key not in self._running]
            if mine:
                await self._compute(mine, compute)
                tried.update(mine)
            elif waiting:
                await asyncio.wait(waiting)  # then read, or compute what the other caller failed
            else:
                return {key: self._done[key] for key in wanted if key in self._done}

    async def _compute(
        self, keys: list[str], compute: Callable[[list[str]], Awaitable[dict[str, Any]]]
    ) -> None:
        finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for key in keys:
            self._running[key] = finished
        try:
            value = await compute(keys)
            self._done.update((key, value[key]) for key in keys if key in value)
        finally:
            for key in keys:
                self._running.pop(key, None)
            finished.set_result(None)
