"""Scan claims across processes: one scan per brand, heartbeats, and only dead scans interrupted."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update

from monitor.errors import ScanBusyError
from monitor.store.db import make_engine, open_database, session_factory, session_scope
from monitor.store.lease import holder_id
from monitor.store.scan_lock import ScanLock
from monitor.store.scans import SCAN_STALE_SECONDS, ScanRepository
from monitor.store.schema import BrandLock, Scan, utcnow

BRAND = "bhxh-binh-duong"
OTHER = "cong-an-ha-noi"
STALE = timedelta(seconds=SCAN_STALE_SECONDS + 1)

# A second process: claims BRAND, says so, then holds it until stdin closes or it is killed.
HOLDER = """
import sys
from monitor.log import configure
from monitor.store.db import make_engine
from monitor.store.scan_lock import ScanLock
configure("json", "WARNING")
lock = ScanLock(make_engine(sys.argv[1]))
scan = lock.start([sys.argv[2]], "test")
print(scan.id, lock.owner, flush=True)
sys.stdin.read()
lock.release()
"""


@pytest.fixture
def engines(db_url: str) -> Iterator[tuple[Engine, Engine]]:
    first = open_database(db_url)
    second = make_engine(db_url)  # as another process would have
    try:
        yield first, second
    finally:
        first.dispose()
        second.dispose()


def scan_row(engine: Engine, scan_id: int) -> Scan:
    with session_scope(session_factory(engine)) as session:
        scan = ScanRepository(session).get(scan_id)
        assert scan is not None
        return scan


def test_a_brand_is_claimed_by_one_scan_until_released(engines: tuple[Engine, Engine]) -> None:
    first, second = ScanLock(engines[0]), ScanLock(engines[1])
    scan = first.start([BRAND], "cli")
    try:
        with pytest.raises(ScanBusyError) as refused:
            second.start([BRAND], "daemon")
        assert refused.value.holders == {BRAND: first.owner}
        row = scan_row(engines[0], scan.id)
        assert (row.status, row.owner) == ("running", first.owner)
        assert row.heartbeat_at is not None
    finally:
        first.release()
    again = second.start([BRAND], "daemon")
    second.release()
    assert again.id != scan.id
    with session_scope(session_factory(engines[0])) as session:
        # Two scans, neither closed by the other: the first is still its owner's to finish.
        assert [s.status for s in ScanRepository(session).recent(5)] == ["running", "running"]
        assert [lock.owner for lock in ScanRepository(session).brand_locks()] == [None]


def test_a_refused_claim_takes_none_of_its_brands(engines: tuple[Engine, Engine]) -> None:
    holder, greedy, third = ScanLock(engines[0]), ScanLock(engines[1]), ScanLock(engines[1])
    holder.start([OTHER], "cli")
    try:
        with pytest.raises(ScanBusyError) as refused:
            greedy.start([BRAND, OTHER], "daemon")
        assert set(refused.value.holders) == {OTHER}
        third.start([BRAND], "cli")  # BRAND was not kept by the refused claim
        third.release()
    finally:
        holder.release()
    with session_scope(session_factory(engines[0])) as session:
        assert len(ScanRepository(session).recent(10)) == 2  # no scan row for the refused claim


def test_interrupt_stale_leaves_a_live_scan_and_closes_a_silent_one(engines: tuple[Engine, Engine]) -> None:
    lock = ScanLock(engines[0])
    scan = lock.start([BRAND], "cli")
    factory = session_factory(engines[1])
    with session_scope(factory) as session:
        ScanRepository(session).record_run(scan.id, BRAND, "duckduckgo", "running", 0, 0, None, utcnow())
    later = utcnow() + STALE
    assert lock.beat(now=later)  # it is alive: it keeps beating
    with session_scope(factory) as session:
        assert ScanRepository(session).interrupt_stale(now=later + timedelta(seconds=1)) == 0
    assert scan_row(engines[1], scan.id).status == "running"
    # Its owner goes silent: once the heartbeat is older than the timeout, it is closed.
    with session_scope(factory) as session:
        assert ScanRepository(session).interrupt_stale(now=later + STALE) == 1
        assert ScanRepository(session).runs(scan.id)[0].status == "failed"
    assert scan_row(engines[1], scan.id).status == "interrupted"
    assert not lock.beat()  # the scan learns it was given up
    lock.release()


def test_a_claim_held_by_a_live_owner_elsewhere_waits_for_its_heartbeat_to_go_stale(
    engines: tuple[Engine, Engine],
) -> None:
    """Repository level (no advisory locks): a holder on another host is live while it beats."""
    factory = session_factory(engines[0])
    remote = "other-host:4242:0123abcd"
    with session_scope(factory) as session:
        repo = ScanRepository(session)
        assert repo.claim_brands([BRAND], remote) == ({}, set())
        repo.attach_brands(remote, repo.start([BRAND], "daemon", owner=remote).id)
    with session_scope(factory) as session:
        refused, _ = ScanRepository(session).claim_brands([BRAND], "me:1:aa")
        assert refused == {BRAND: remote}
        session.rollback()
    with session_scope(factory) as session:
        refused, taken = ScanRepository(session).claim_brands([BRAND], "me:1:aa", now=utcnow() + STALE)
        assert refused == {}
        assert len(taken) == 1
    with session_scope(factory) as session:
        assert [lock.owner for lock in ScanRepository(session).brand_locks()] == ["me:1:aa"]


def test_a_killed_holder_process_frees_its_brand_and_its_scan_is_interrupted(db_url: str) -> None:
    engine = open_database(db_url)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, db_url, BRAND],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        scan_id, owner = holder.stdout.readline().split()
        lock = ScanLock(engine)
        with pytest.raises(ScanBusyError) as refused:
            lock.start([BRAND], "cli")  # the holder is alive: refused, whatever the heartbeat says
        assert refused.value.holders == {BRAND: owner}
        with session_scope(session_factory(engine)) as session:
            assert ScanRepository(session).interrupt_stale() == 0
        holder.kill()
        holder.wait(timeout=10)
        # PostgreSQL notices the lost session on its own schedule: wait for it, bounded by `give_up`.
        stop = threading.Event()
        give_up = threading.Timer(120, stop.set)
        give_up.start()
        try:
            scan = lock.start_waiting([BRAND], "cli", stop, poll=0.05)
        finally:
            give_up.cancel()
        lock.release()
        assert scan_row(engine, int(scan_id)).status == "interrupted"
        assert scan_row(engine, scan.id).status == "running"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
        engine.dispose()


def test_a_scan_taken_over_learns_it_at_its_next_beat(engines: tuple[Engine, Engine]) -> None:
    lock = ScanLock(engines[0])
    scan = lock.start([BRAND, OTHER], "cli")
    assert lock.beat()
    with session_scope(session_factory(engines[1])) as session:
        session.execute(update(BrandLock).where(BrandLock.brand == OTHER).values(owner=holder_id()))
    assert not lock.beat()
    lock.release()
    with session_scope(session_factory(engines[1])) as session:
        owners = {row.brand: row.owner for row in ScanRepository(session).brand_locks()}
        assert owners[BRAND] is None  # ours is given back; the other holder's claim is untouched
        assert owners[OTHER] is not None
        assert session.scalar(select(Scan.status).where(Scan.id == scan.id)) == "running"
