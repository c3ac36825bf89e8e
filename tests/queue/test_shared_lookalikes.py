"""Two offices listing the same official domain, in one queued scan: their overlapping look-alike
names are asked of the DNS once in all, and each office's result is the one it would get alone.

A real DNS server on 127.0.0.1 counts the queries per name; the store is a fresh PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.domains.lookalike import LookalikeResult, run_lookalikes
from monitor.domains.names import finding_key
from monitor.domains.permutations import generate
from monitor.queue.shared import StoreShared
from monitor.settings import BrandSettings, CrtshSettings, DomainsSettings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.scan_parts import SharedResults
from monitor.store.scans import ScanRepository
from tests.domains.brand import brand
from tests.domains.dnsserver import FakeZones, dns_server
from tests.domains.web import client

LOOP = "127.0.0.1"
TLDS = ["com", "vn", "xyz"]
BINH_DUONG = brand()
TAY_NINH = brand(
    slug="bhxh-tay-ninh",
    name="Bảo hiểm xã hội tỉnh Tây Ninh",
    names=["BHXH Tây Ninh"],
    location_terms=["Tây Ninh", "TN"],
    official_domains=["tayninh.baohiemxahoi.gov.vn", "baohiemxahoi.gov.vn"],
    legitimate=[],
)
SERVFAIL = "dichvucongbaohiemxahoi.com"
PROBE = re.compile(r"^z[0-9a-f]{20}\.(.+)$")  # a wildcard probe: a random label below the zone


def zones() -> FakeZones:
    return FakeZones(
        records={
            "baohiemxahoi.com": {"A": [LOOP], "NS": ["ns1.cheap-host.example"]},
            "binhduong.baohiemxahoi.com": {"A": [LOOP]},
            "tayninh.baohiemxahoi.com": {"A": [LOOP]},
            "datlichbhxh.com": {"A": [LOOP]},
            "govvvn.com": {"NS": ["ns1.govvvn.com"]},
            "baohiemxahoi.govvvn.com": {"A": [LOOP]},
            "bhxh.vn": {"NS": ["ns1.parking.example"]},
            "bhxh.xyz": {"A": [LOOP]},
            "tayninh.bhxh.xyz": {"A": [LOOP]},
            "hotro-baohiemxahoi.xyz": {"A": [LOOP]},
            "binhduong.com": {"A": ["127.0.0.50"]},
            "vn.com": {"A": ["127.0.0.51"]},
        },
        wildcards={"binhduong.com": "127.0.0.50", "vn.com": "127.0.0.51"},
        servfail=frozenset({SERVFAIL}),
    )


@dataclass
class World:
    dns: str
    zones: FakeZones
    engine: Engine
    factory: sessionmaker[Session]

    def scan(self) -> int:
        with session_scope(self.factory) as session:
            return ScanRepository(session).start(["a", "b"], "test", owner="queue").id

    def asked(self, since: int) -> Counter[str]:
        """A queries per name since query number `since`; a wildcard probe counts for its zone.

        A query sent again with the same message id (the resolver's retry when the answer was
        slow, on a busy machine) is one question asked, not two."""
        with self.zones.lock:
            queries = list(zip(self.zones.queries[since:], self.zones.query_ids[since:], strict=True))
        names: Counter[str] = Counter()
        for (name, kind), _ in dict.fromkeys(queries):
            if kind == "A":
                probe = PROBE.match(name)
                names[f"probe:{probe.group(1)}" if probe else name] += 1
        return names

    def mark(self) -> int:
        with self.zones.lock:
            return len(self.zones.queries)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    from tests.conftest import postgres_database

    served = zones()
    with postgres_database("monitor_queue") as url, dns_server(served) as address:
        engine = open_database(url)
        try:
            yield World(address, served, engine, session_factory(engine))
        finally:
            engine.dispose()


def settings(world: World) -> DomainsSettings:
    # max_queries 0: no homepage is fetched, so the DNS sees the look-ups only.
    return DomainsSettings(nameservers=[world.dns], timeout=3.0, tlds=TLDS, max_queries=0)


async def lookalikes(
    world: World,
    profile: BrandSettings,
    shared: StoreShared | None = None,
    stop: threading.Event | None = None,
    progress: list[tuple[int, int]] | None = None,
) -> LookalikeResult:
    async with client(world.dns, stop=stop) as http:
        return await run_lookalikes(
            profile,
            settings(world),
            CrtshSettings(enabled=False),
            http,
            shared=shared,
            progress=None if progress is None else lambda done, total: progress.append((done, total)),
        )


def sharer(world: World, scan_id: int, owner: str, stop: threading.Event | None = None) -> StoreShared:
    return StoreShared(world.factory, scan_id, owner, stop, poll=0.02)


@dataclass
class Alone:
    """Each office's run without sharing, and what the DNS was asked for both."""

    results: dict[str, LookalikeResult]
    asked: Counter[str]


@pytest.fixture(scope="module")
def alone(world: World) -> Alone:
    since = world.mark()

    async def run() -> dict[str, LookalikeResult]:
        return {p.slug: await lookalikes(world, p) for p in (BINH_DUONG, TAY_NINH)}

    results = asyncio.run(run())
    return Alone(results, world.asked(since))


def same_result(shared: LookalikeResult, unshared: LookalikeResult) -> None:
    """The shared run found exactly what the run alone found; only who made the look-ups differs."""
    assert shared.lookalikes == unshared.lookalikes
    assert shared.unknown == unshared.unknown
    assert (shared.status, shared.reason, shared.parts) == (unshared.status, unshared.reason, unshared.parts)
    moved = {"dns_lookups", "dns_shared"}
    assert {k: v for k, v in shared.counts.items() if k not in moved} == {
        k: v for k, v in unshared.counts.items() if k not in moved
    }
    assert shared.counts["dns_lookups"] + shared.counts["dns_shared"] == unshared.counts["dns_lookups"]


def test_alone_each_office_asks_the_names_it_shares_with_the_other(alone: Alone) -> None:
    found = {item.key for item in alone.results[TAY_NINH.slug].lookalikes}
    assert {"baohiemxahoi.com", "bhxh.xyz", "govvvn.com", "bhxh.vn"} <= found
    assert SERVFAIL in alone.results[TAY_NINH.slug].unknown
    assert "dns_shared" not in alone.results[TAY_NINH.slug].counts  # a scan in one process: as before
    twice = [name for name, times in alone.asked.items() if times == 2]
    assert len(twice) > 1000  # the names both offices' permutations have in common
    assert max(alone.asked.values()) == 2, [name for name, times in alone.asked.items() if times > 2]


@pytest.mark.parametrize("together", [True, False], ids=["at-once", "one-after-the-other"])
def test_names_both_offices_need_are_asked_once_in_the_scan(
    world: World, alone: Alone, together: bool
) -> None:
    scan_id = world.scan()
    since = world.mark()
    a, b = sharer(world, scan_id, "job-a"), sharer(world, scan_id, "job-b")

    async def run() -> tuple[LookalikeResult, LookalikeResult]:
        if together:
            first, second = await asyncio.gather(
                lookalikes(world, BINH_DUONG, a), lookalikes(world, TAY_NINH, b)
            )
            return first, second
        return await lookalikes(world, BINH_DUONG, a), await lookalikes(world, TAY_NINH, b)

    binh_duong, tay_ninh = asyncio.run(run())
    asked = world.asked(since)
    same_result(binh_duong, alone.results[BINH_DUONG.slug])
    same_result(tay_ninh, alone.results[TAY_NINH.slug])
    # Every name and every wildcard probe once for the two offices, but the unanswered look-up:
    # a SERVFAIL is never shared, each office asks again.
    assert asked[SERVFAIL] == 2
    assert {name: times for name, times in asked.items() if times != 1} == {SERVFAIL: 2}
    assert set(asked) == set(alone.asked)
    assert sum(asked.values()) == len(alone.asked) + 1
    total = binh_duong.counts["dns_lookups"] + tay_ninh.counts["dns_lookups"]
    assert total == sum(asked.values())  # the counts tell the look-ups each office made
    assert binh_duong.counts["dns_shared"] + tay_ninh.counts["dns_shared"] > 1000
    if not together:
        assert binh_duong.counts["dns_shared"] == 0


def test_progress_counts_the_answers_read_from_the_other_office(world: World, alone: Alone) -> None:
    scan_id = world.scan()
    steps: list[tuple[int, int]] = []

    async def run() -> LookalikeResult:
        await lookalikes(world, BINH_DUONG, sharer(world, scan_id, "job-a"))
        return await lookalikes(world, TAY_NINH, sharer(world, scan_id, "job-b"), progress=steps)

    result = asyncio.run(run())
    done, total = steps[-1]
    assert done == total == result.counts["dns_lookups"] + result.counts["dns_shared"]
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)


def test_a_stopped_office_stops_waiting_for_names_another_job_holds(world: World) -> None:
    """Another worker holds every name but one; the run stops after that one: it ends at once."""
    scan_id = world.scan()
    keys = list(dict.fromkeys(finding_key(p.domain) for p in generate(TAY_NINH, TLDS)))
    held = [f"dns:{key}" for key in keys[1:]]
    with session_scope(world.factory) as session:
        mine, _ = SharedResults(session).claim_many(scan_id, held, "live-worker", 30.0)
    assert len(mine) == len(held)
    stop = threading.Event()

    def progress(done: int, total: int) -> None:
        if done:
            stop.set()  # the one free name is answered: the run is told to stop

    async def run() -> LookalikeResult:
        async with client(world.dns, stop=stop) as http:
            return await run_lookalikes(
                TAY_NINH,
                settings(world),
                CrtshSettings(enabled=False),
                http,
                shared=sharer(world, scan_id, "job-b", stop),
                progress=progress,
            )

    since = world.mark()
    started = time.monotonic()
    result = asyncio.run(run())
    # Without the stop it would wait for the held names until their claims went stale (30 s).
    assert time.monotonic() - started < 20
    assert stop.is_set()
    # Only the free name was asked (its zone's wildcard probe was cut short by the stop).
    assert world.asked(since) == {keys[0]: 1}
    assert result.counts["dns_shared"] == 0
    with session_scope(world.factory) as session:
        rows = SharedResults(session).get_many(scan_id, [f"dns:{key}" for key in keys])
    assert {row.owner for row in rows.values() if row.state == "running"} == {"live-worker"}
    assert rows[f"dns:{keys[0]}"].state == "done"
