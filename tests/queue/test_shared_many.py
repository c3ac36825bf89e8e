"""SharedWork.many in the store, on SQLite and PostgreSQL: a batch of keys claimed, computed once,
waited for, taken over when its owner died, and never shared when it failed."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.net.stop import Stopped
from monitor.queue.shared import StoreShared
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.scan_parts import DONE, Shared, SharedResults
from monitor.store.scans import ScanRepository
from monitor.store.schema import utcnow
from monitor.store.schema_queue import SharedResult
from tests.conftest import postgres_database


@dataclass
class Store:
    engine: Engine
    factory: sessionmaker[Session]
    scan_id: int

    def sharer(self, owner: str, stop: threading.Event | None = None, **options: Any) -> StoreShared:
        return StoreShared(self.factory, self.scan_id, owner, stop, poll=0.02, **options)

    def rows(self, *keys: str) -> dict[str, Shared]:
        with session_scope(self.factory) as session:
            return SharedResults(session).get_many(self.scan_id, keys)

    def claim(self, owner: str, *keys: str, age: float = 0.0) -> None:
        """Another worker's claim on `keys`, made `age` seconds ago."""
        with session_scope(self.factory) as session:
            mine, _ = SharedResults(session).claim_many(self.scan_id, keys, owner, 30.0)
            assert sorted(mine) == sorted(keys)
            session.execute(
                update(SharedResult)
                .where(SharedResult.scan_id == self.scan_id, SharedResult.key.in_(keys))
                .values(claimed_at=utcnow() - timedelta(seconds=age))
            )

    def put(self, owner: str, payloads: dict[str, Any]) -> None:
        with session_scope(self.factory) as session:
            SharedResults(session).put_many(self.scan_id, owner, payloads)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One migrated database per backend for the module; each test works in a scan of its own."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'monitor.db'}"
        else:
            url = stack.enter_context(postgres_database("monitor_shared"))
        engine = open_database(url)
        stack.callback(engine.dispose)
        yield engine


@pytest.fixture
def store(database: Engine) -> Store:
    factory = session_factory(database)
    with session_scope(factory) as session:
        scan_id = ScanRepository(session).start(["a"], "test", owner="queue").id
    return Store(database, factory, scan_id)


class Computer:
    """A compute callback that records the keys it was given and answers `value(key)`."""

    def __init__(self, leave_out: frozenset[str] = frozenset()) -> None:
        self.calls: list[list[str]] = []
        self.leave_out = leave_out

    async def __call__(self, keys: list[str]) -> dict[str, Any]:
        self.calls.append(list(keys))
        return {key: {"value": key.upper()} for key in keys if key not in self.leave_out}


def test_keys_nobody_claimed_are_computed_in_one_call_and_read_by_the_next(store: Store) -> None:
    first, second = Computer(), Computer()

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        a = await store.sharer("job-a").many(["dns:a.com", "dns:b.com", "dns:c.com", "dns:a.com"], first)
        b = await store.sharer("job-b").many(["dns:b.com", "dns:c.com", "dns:d.com"], second)
        return a, b

    a, b = asyncio.run(run())
    assert first.calls == [["dns:a.com", "dns:b.com", "dns:c.com"]]
    assert second.calls == [["dns:d.com"]]
    assert a == {key: {"value": key.upper()} for key in ("dns:a.com", "dns:b.com", "dns:c.com")}
    assert b == {key: {"value": key.upper()} for key in ("dns:b.com", "dns:c.com", "dns:d.com")}
    rows = store.rows("dns:a.com", "dns:d.com")
    assert {key: (row.state, row.owner) for key, row in rows.items()} == {
        "dns:a.com": (DONE, "job-a"),
        "dns:d.com": (DONE, "job-b"),
    }


def test_a_key_another_sharer_computes_is_waited_for_and_read(store: Store) -> None:
    computing = asyncio.Event()
    finish = asyncio.Event()
    calls: list[list[str]] = []

    async def slow(keys: list[str]) -> dict[str, Any]:
        calls.append(list(keys))
        computing.set()
        await finish.wait()
        return dict.fromkeys(keys, "slow")

    async def quick(keys: list[str]) -> dict[str, Any]:
        calls.append(list(keys))
        finish.set()  # the slow sharer ends once this one has claimed and computed its own key
        return dict.fromkeys(keys, "quick")

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        a = asyncio.create_task(store.sharer("job-a").many(["x", "y"], slow))
        await computing.wait()
        b = await store.sharer("job-b").many(["y", "z"], quick)
        return await a, b

    a, b = asyncio.run(run())
    assert calls == [["x", "y"], ["z"]]  # y was computed once, by the sharer that claimed it
    assert a == {"x": "slow", "y": "slow"}
    assert b == {"y": "slow", "z": "quick"}


def test_a_stale_claim_is_taken_over_and_a_live_one_waited_for(store: Store) -> None:
    store.claim("dead-worker", "dead", age=3600)
    store.claim("live-worker", "live")
    calls: list[list[str]] = []

    async def compute(keys: list[str]) -> dict[str, Any]:
        calls.append(list(keys))
        # The live worker finishes while this sharer computes the key it took over.
        await asyncio.to_thread(store.put, "live-worker", {"live": "theirs"})
        return dict.fromkeys(keys, "mine")

    result = asyncio.run(store.sharer("job-b").many(["live", "dead", "new"], compute))
    assert calls == [["dead", "new"]]
    assert result == {"live": "theirs", "dead": "mine", "new": "mine"}
    assert {key: row.owner for key, row in store.rows("live", "dead").items()} == {
        "live": "live-worker",
        "dead": "job-b",
    }


def test_a_failure_is_released_and_computed_again_by_the_next_sharer(store: Store) -> None:
    failing = Computer(leave_out=frozenset({"dns:down.com"}))
    fixed = Computer()

    async def broken(keys: list[str]) -> dict[str, Any]:
        raise RuntimeError("resolver down")

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        a = await store.sharer("job-a").many(["dns:up.com", "dns:down.com"], failing)
        with pytest.raises(RuntimeError):
            await store.sharer("job-c").many(["dns:raised.com"], broken)
        b = await store.sharer("job-b").many(["dns:up.com", "dns:down.com", "dns:raised.com"], fixed)
        return a, b

    a, b = asyncio.run(run())
    assert a == {"dns:up.com": {"value": "DNS:UP.COM"}}  # the failed key is missing, not shared
    assert fixed.calls == [["dns:down.com", "dns:raised.com"]]
    assert set(b) == {"dns:up.com", "dns:down.com", "dns:raised.com"}


def test_a_claim_is_kept_alive_while_its_owner_computes(store: Store) -> None:
    sharer = store.sharer("job-a", stale_after=1.0)
    refreshed = threading.Event()
    refresh = sharer._refresh_many

    def refresh_then_tell(keys: Sequence[str]) -> None:
        refresh(keys)
        refreshed.set()

    sharer._refresh_many = refresh_then_tell  # type: ignore[method-assign]

    async def compute(keys: list[str]) -> dict[str, Any]:
        claimed = store.rows(*keys)["k"].claimed_at
        assert await asyncio.to_thread(refreshed.wait, 30), "the claim was never refreshed"
        assert store.rows(*keys)["k"].claimed_at > claimed
        # A second sharer with the same patience finds the claim alive: it does not take over.
        with session_scope(store.factory) as session:
            mine, found = SharedResults(session).claim_many(store.scan_id, keys, "job-b", 1.0)
        assert (mine, found["k"].owner) == ([], "job-a")
        return {"k": 1}

    assert asyncio.run(sharer.many(["k"], compute)) == {"k": 1}


def test_a_stopped_sharer_releases_its_claims_and_stops_waiting(store: Store) -> None:
    store.claim("other-worker", "held")
    stop = threading.Event()

    async def compute(keys: list[str]) -> dict[str, Any]:
        stop.set()  # the run stops halfway: "b" was never computed
        return {"a": 1}

    with pytest.raises(Stopped):
        asyncio.run(store.sharer("job-a", stop).many(["held", "a", "b"], compute))
    rows = store.rows("held", "a", "b")
    assert {key: (row.state, row.owner) for key, row in rows.items()} == {
        "held": ("running", "other-worker"),
        "a": (DONE, "job-a"),
    }


def test_many_keys_span_several_statements(store: Store) -> None:
    keys = [f"dns:name-{i:05d}.vn" for i in range(1234)]
    first, second = Computer(), Computer()

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        a = await store.sharer("job-a").many(keys, first)
        b = await store.sharer("job-b").many(list(reversed(keys)), second)
        return a, b

    a, b = asyncio.run(run())
    assert first.calls == [keys]
    assert not second.calls
    assert a == b
    assert len(b) == 1234


def test_a_key_too_long_for_the_store_is_computed_but_not_shared(store: Store) -> None:
    long = "dns:" + "a" * 600
    first, second = Computer(), Computer()

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        return (
            await store.sharer("job-a").many([long, "short"], first),
            await store.sharer("job-b").many([long, "short"], second),
        )

    a, b = asyncio.run(run())
    assert first.calls == [["short", long]]
    assert second.calls == [[long]]
    assert a == b
    assert set(a) == {long, "short"}
