"""Work several brands of one scan need, done once: a search query's page, a name's DNS answer.

A scan run in one process has nothing to share between parallel parts; a scan run as jobs gives
its parts a `SharedWork` backed by the store (monitor.queue.shared), so the first part to need a
result computes it and the others read it.
"""

from __future__ import annotations

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
