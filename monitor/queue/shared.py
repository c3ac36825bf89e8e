"""SharedWork in the store: the first job to claim a key computes it, the others wait and read it.

A claim is kept alive while its owner computes; a claim nobody refreshed for `stale_after`
seconds (its worker died) is taken over by the next job that asks. `many` does the same for a
batch of keys (a brand's DNS names) in a few statements per 500 keys, one transaction each.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from monitor.net.stop import pause
from monitor.store.db import session_scope
from monitor.store.scan_parts import CHUNK, DONE, KEY_LIMIT, RUNNING, Shared, SharedResults
from monitor.store.schema import utcnow

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

    async def many(
        self, keys: Sequence[str], compute: Callable[[list[str]], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        # A key too long for the store is computed by the caller and never shared.
        own = [key for key in wanted if len(key) > KEY_LIMIT]
        pending = [key for key in wanted if len(key) <= KEY_LIMIT]
        results: dict[str, Any] = {}
        tried: set[str] = set()
        while True:
            seen = await asyncio.to_thread(self._get_many, pending)
            results.update((key, row.payload) for key, row in seen.items() if row.state == DONE)
            free = [key for key in pending if key not in seen or self._stale(seen[key])]
            mine: list[str] = []
            if free:
                claimed, found = await asyncio.to_thread(self._claim_many, free)
                taken = set(claimed)
                mine = [key for key in free if key in taken]  # in the caller's order
                results.update((key, row.payload) for key, row in found.items() if row.state == DONE)
            if mine or own:
                results.update(await self._compute_many(mine, own, compute))
                tried.update(mine + own)
                own = []
            pending = [key for key in pending if key not in results and key not in tried]
            if not pending:
                return results
            await pause(self.poll, self.stop)

    def _stale(self, row: Shared) -> bool:
        return row.state == RUNNING and row.claimed_at < utcnow() - timedelta(seconds=self.stale_after)

    async def _compute_many(
        self,
        mine: list[str],
        own: list[str],
        compute: Callable[[list[str]], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        """Compute the claimed keys (and the unstorable ones); store what came out, free the rest."""
        beating = asyncio.create_task(self._beat_many(mine))
        try:
            value = await compute(mine + own)
        except BaseException:
            beating.cancel()
            await asyncio.to_thread(self._release_many, mine)
            raise
        beating.cancel()
        done = {key: value[key] for key in mine if key in value}
        try:
            await asyncio.to_thread(self._put_many, done)
        except BaseException:
            await asyncio.to_thread(self._release_many, mine)  # what was put stays done
            raise
        await asyncio.to_thread(self._release_many, [key for key in mine if key not in done])
        return done | {key: value[key] for key in own if key in value}

    async def _beat_many(self, keys: list[str]) -> None:
        while keys:
            await asyncio.sleep(self.stale_after / 3)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(self._refresh_many, keys)

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

    # One transaction per CHUNK keys: short transactions, and a claim is visible at once.

    def _get_many(self, keys: Sequence[str]) -> dict[str, Shared]:
        found: dict[str, Shared] = {}
        for chunk in _chunks(keys):
            with session_scope(self.factory) as session:
                found.update(SharedResults(session).get_many(self.scan_id, chunk))
        return found

    def _claim_many(self, keys: Sequence[str]) -> tuple[list[str], dict[str, Shared]]:
        mine: list[str] = []
        found: dict[str, Shared] = {}
        for chunk in _chunks(sorted(keys)):
            with session_scope(self.factory) as session:
                got, there = SharedResults(session).claim_many(
                    self.scan_id, chunk, self.owner, self.stale_after
                )
            mine += got
            found.update(there)
        return mine, found

    def _put_many(self, payloads: Mapping[str, Any]) -> None:
        items = list(payloads.items())
        for start in range(0, len(items), CHUNK):
            with session_scope(self.factory) as session:
                SharedResults(session).put_many(self.scan_id, self.owner, dict(items[start : start + CHUNK]))

    def _release_many(self, keys: Sequence[str]) -> None:
        for chunk in _chunks(keys):
            with session_scope(self.factory) as session:
                SharedResults(session).release_many(self.scan_id, chunk, self.owner)

    def _refresh_many(self, keys: Sequence[str]) -> None:
        for chunk in _chunks(keys):
            with session_scope(self.factory) as session:
                SharedResults(session).refresh_many(self.scan_id, chunk, self.owner)


def _chunks(keys: Sequence[str]) -> list[list[str]]:
    return [list(keys[start : start + CHUNK]) for start in range(0, len(keys), CHUNK)]
