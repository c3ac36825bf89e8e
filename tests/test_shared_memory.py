"""MemoryShared: the SharedWork of a scan run in one process (its brands share answers in memory)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from monitor.shared import MemoryShared


class Computer:
    """A compute callback recording the keys it was given; keys in `leave_out` fail."""

    def __init__(self, leave_out: frozenset[str] = frozenset()) -> None:
        self.calls: list[list[str]] = []
        self.leave_out = leave_out

    async def __call__(self, keys: list[str]) -> dict[str, Any]:
        self.calls.append(list(keys))
        return {key: key.upper() for key in keys if key not in self.leave_out}


def test_keys_are_computed_once_and_read_by_the_next_caller() -> None:
    shared, first, second = MemoryShared(), Computer(), Computer()

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        return await shared.many(["a", "b", "a"], first), await shared.many(["b", "c"], second)

    a, b = asyncio.run(run())
    assert first.calls == [["a", "b"]]
    assert second.calls == [["c"]]
    assert (a, b) == ({"a": "A", "b": "B"}, {"b": "B", "c": "C"})


def test_a_key_another_caller_computes_is_waited_for() -> None:
    shared = MemoryShared()
    calls: list[list[str]] = []

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        started, finish = asyncio.Event(), asyncio.Event()

        async def slow(keys: list[str]) -> dict[str, Any]:
            calls.append(keys)
            started.set()
            await finish.wait()
            return dict.fromkeys(keys, "slow")

        async def quick(keys: list[str]) -> dict[str, Any]:
            calls.append(keys)
            finish.set()
            return dict.fromkeys(keys, "quick")

        first = asyncio.create_task(shared.many(["x", "y"], slow))
        await started.wait()
        second = await shared.many(["y", "z"], quick)
        return await first, second

    a, b = asyncio.run(run())
    assert calls == [["x", "y"], ["z"]]
    assert b == {"y": "slow", "z": "quick"}
    assert a == {"x": "slow", "y": "slow"}


def test_a_failed_key_is_not_shared_and_an_error_frees_its_keys() -> None:
    shared = MemoryShared()
    failing, fixed = Computer(leave_out=frozenset({"down"})), Computer()

    async def broken(keys: list[str]) -> dict[str, Any]:
        raise RuntimeError("resolver down")

    async def run() -> tuple[dict[str, Any], dict[str, Any]]:
        a = await shared.many(["up", "down"], failing)
        with pytest.raises(RuntimeError):
            await shared.many(["raised"], broken)
        return a, await shared.many(["up", "down", "raised"], fixed)

    a, b = asyncio.run(run())
    assert a == {"up": "UP"}  # the failed key is missing, not shared
    assert fixed.calls == [["down", "raised"]]
    assert b == {"up": "UP", "down": "DOWN", "raised": "RAISED"}


def test_once_computes_a_single_key_once() -> None:
    shared = MemoryShared()
    asked: list[int] = []

    async def compute() -> dict[str, int]:
        asked.append(1)
        return {"hits": 3}

    async def run() -> list[Any]:
        return list(await asyncio.gather(*(shared.once("search:q", compute) for _ in range(3))))

    assert asyncio.run(run()) == [{"hits": 3}] * 3
    assert asked == [1]
