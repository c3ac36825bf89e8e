"""Work several brands of one scan need, done once: a search query's page, a name's DNS answer.

A scan run in one process has nothing to share between parallel parts; a scan run as jobs gives
its parts a `SharedWork` backed by the store (monitor.queue.shared), so the first part to need a
result computes it and the others read it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol


class SharedWork(Protocol):
    async def once(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`compute()`'s JSON-able result, computed by whichever sharer asked first.

        When `compute` raises, the error goes to its caller and the key is freed: the next sharer
        computes it itself (a failure is never shared as a result).
        """
        ...
