"""SharedWork in the store: the first job to claim a key computes it, the others wait and read it.

A claim is kept alive while its owner computes; a claim nobody refreshed for `stale_after`
seconds (its worker died) is taken over by the next job that asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from monitor.net.stop import pause
from monitor.store.db import session_scope
from monitor.store.scan_parts import DONE, Shared, SharedResults

STALE_AFTER = 30.0
POLL = 0.2


class StoreShared:
    def __init__(
        self,
        factory: sessionmaker[Session],
        scan_id: int,
        owner: str,
        stop: threading.Event | None = None,
        *,
        stale_after: float = STALE_AFTER,
        poll: float = POLL,
    ) -> None:
        self.factory = factory
        self.scan_id = scan_id
        self.owner = owner
        self.stop = stop
        self.stale_after = stale_after
        self.poll = poll

    async def once(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        while True:
            found = await asyncio.to_thread(self._claim, key)
            if found is None:
                return await self._compute(key, compute)
            if found.state == DONE:
                return found.payload
            await pause(self.poll, self.stop)

    async def _compute(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        beating = asyncio.create_task(self._beat(key))
        try:
            value = await compute()
        except BaseException:
            beating.cancel()
            await asyncio.to_thread(self._release, key)
            raise
        beating.cancel()
        await asyncio.to_thread(self._put, key, value)
        return value

    async def _beat(self, key: str) -> None:
        while True:
            await asyncio.sleep(self.stale_after / 3)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._refresh, key)

    def _claim(self, key: str) -> Shared | None:
        with session_scope(self.factory) as session:
            return SharedResults(session).claim(self.scan_id, key, self.owner, self.stale_after)

    def _put(self, key: str, value: Any) -> None:
        with session_scope(self.factory) as session:
            SharedResults(session).put(self.scan_id, key, self.owner, value)

    def _release(self, key: str) -> None:
        with session_scope(self.factory) as session:
            SharedResults(session).release(self.scan_id, key, self.owner)

    def _refresh(self, key: str) -> None:
        with session_scope(self.factory) as session:
            SharedResults(session).refresh(self.scan_id, key, self.owner)
