"""Politeness across processes: host turns claimed in the database, and two workers sharing them."""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
import time
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Barrier

import pytest
from sqlalchemy import Engine, select, update

from monitor.net import HttpClient
from monitor.net.shared_turns import StoreTurns
from monitor.net.stop import Stopped
from monitor.settings import HttpSettings
from monitor.store.db import make_engine, open_database, session_factory, session_scope
from monitor.store.host_turns import HOLD_SECONDS, HostTurns, Turn
from monitor.store.schema_queue import HostTurn
from tests.net.apps import Peer, min_gap, text
from tests.support.loopback import serve

INTERVAL = 0.4
REQUESTS_PER_WORKER = 10
# Arrival times are taken by the server once it has read a request: on a 2-core machine busy with
# both workers, the database and other load, a stamp can come late by some 10-35 ms, which brings
# two arrivals closer than the starts the workers recorded; 5 % of 0.4 s leaves room for that.
TOLERANCE = 0.95


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite gives naive UTC


def _last_start(engine: Engine, host: str) -> datetime:
    with session_scope(session_factory(engine)) as session:
        value = session.execute(select(HostTurn.last_start).where(HostTurn.host == host)).scalar_one()
    return _aware(value)


def _move_last_start(engine: Engine, host: str, by: timedelta) -> datetime:
    moved = _last_start(engine, host) + by
    with session_scope(session_factory(engine)) as session:
        session.execute(update(HostTurn).where(HostTurn.host == host).values(last_start=moved))
    return moved


# ---- HostTurns: claims and starts in the database ---------------------------------------------


def test_a_granted_turn_holds_the_host_until_its_start_is_recorded(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        turns = HostTurns(engine)
        mine = turns.claim("a.example", 30.0)
        assert mine.granted
        # Held: whatever the interval, nobody else gets the host, and asks again within it.
        held = turns.claim("a.example", 30.0)
        assert not held.granted
        assert held.wait == 30.0
        assert turns.claim("a.example", 0.0) == Turn(None, 0.05)
        assert turns.claim("b.example", 30.0).granted  # hosts keep separate turns
        before = datetime.now(UTC)
        turns.started("a.example", mine)
        assert _last_start(engine, "a.example") >= before - timedelta(seconds=1)
        assert _last_start(engine, "a.example") < before + timedelta(seconds=HOLD_SECONDS / 2)
        # Recorded: the rest of the interval is told; a raised interval (Crawl-delay) counts
        # from the same start.
        left = turns.claim("a.example", 30.0)
        assert not left.granted
        assert 20.0 < left.wait <= 30.0
        assert turns.claim("a.example", 60.0).wait > 50.0
        assert turns.claim("a.example", 0.0).granted
    finally:
        engine.dispose()


def test_a_start_older_than_the_interval_frees_the_host(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        turns = HostTurns(engine)
        turns.started("a.example", turns.claim("a.example", 30.0))
        assert not turns.claim("a.example", 30.0).granted
        backdated = _move_last_start(engine, "a.example", timedelta(seconds=-31))
        assert turns.claim("a.example", 30.0).granted
        assert _last_start(engine, "a.example") > backdated + timedelta(seconds=30)
    finally:
        engine.dispose()


def test_a_hold_that_ran_out_is_taken_and_its_late_start_changes_nothing(db_url: str) -> None:
    """A worker died (or hung) holding a host: after the hold and the interval, others go on."""
    engine = open_database(db_url)
    try:
        turns = HostTurns(engine, hold=5.0)
        lost = turns.claim("a.example", 1.0)
        assert lost.granted
        assert not turns.claim("a.example", 1.0).granted
        _move_last_start(engine, "a.example", timedelta(seconds=-6.5))
        taken = turns.claim("a.example", 1.0)
        assert taken.granted
        turns.started("a.example", lost)  # too late: the host is another worker's now
        assert taken.held is not None
        assert _last_start(engine, "a.example") == _aware(taken.held)
        assert not turns.claim("a.example", 1.0).granted
    finally:
        engine.dispose()


def test_a_start_in_the_future_is_replaced_not_waited_for(db_url: str) -> None:
    """The database clock was set back an hour: the host is not held up for that hour."""
    engine = open_database(db_url)
    try:
        turns = HostTurns(engine)
        turns.started("a.example", turns.claim("a.example", 30.0))
        future = _move_last_start(engine, "a.example", timedelta(hours=1))
        assert turns.claim("a.example", 30.0).granted
        assert _last_start(engine, "a.example") < future - timedelta(minutes=50)
    finally:
        engine.dispose()


def _race(engines: list[Engine], host: str) -> list[Turn]:
    """Each engine claims host for itself, all at the same instant."""
    line_up = threading.Barrier(len(engines))
    answers: list[Turn] = []
    lock = threading.Lock()

    def racer(own: Engine) -> None:
        turns = HostTurns(own)
        line_up.wait(timeout=60)
        turn = turns.claim(host, 60.0)
        with lock:
            answers.append(turn)

    threads = [threading.Thread(target=racer, args=(own,)) for own in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_racing_claims_grant_exactly_one_turn(db_url: str) -> None:
    """Claims at the same instant from separate connections: one turn, the rest are told to wait."""
    engine = open_database(db_url)
    engines = [make_engine(db_url) for _ in range(6)]  # one per racer, as separate workers have
    try:
        for round_ in range(4):
            answers = _race(engines, f"race{round_}.example")
            assert len(answers) == len(engines)
            assert sum(turn.granted for turn in answers) == 1, answers
            assert all(turn.wait == 60.0 for turn in answers if not turn.granted), answers
    finally:
        for own in [engine, *engines]:
            own.dispose()


# ---- StoreTurns: waiting for a turn ----------------------------------------------------------


class _Recorded:
    """HostTurns that notes when each claim and start was made, and can hold a claim back."""

    def __init__(self, turns: HostTurns) -> None:
        self.turns = turns
        self.claims: list[tuple[float, float, Turn]] = []  # (before, after, answer)
        self.starts: list[float] = []
        self.refused = threading.Event()
        self.claiming = threading.Event()
        self.go_on = threading.Event()
        self.go_on.set()
        self.written = threading.Event()

    def claim(self, host: str, interval: float) -> Turn:
        self.claiming.set()
        self.go_on.wait(timeout=60)
        before = time.monotonic()
        turn = self.turns.claim(host, interval)
        self.claims.append((before, time.monotonic(), turn))
        if not turn.granted:
            self.refused.set()
        return turn

    def started(self, host: str, turn: Turn) -> None:
        self.starts.append(time.monotonic())
        self.turns.started(host, turn)
        self.written.set()


def test_take_waits_out_the_interval_from_the_recorded_start(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        recorded = _Recorded(HostTurns(engine))
        turns = StoreTurns(recorded)

        async def twice() -> None:
            await turns.take("a.example", 0.3, None)
            turns.started("a.example")  # as the client does once the request is written
            await turns.take("a.example", 0.3, None)
            turns.started("a.example")

        asyncio.run(twice())
        granted = [(before, after) for before, after, turn in recorded.claims if turn.granted]
        assert len(granted) == 2
        assert len(recorded.starts) == 2
        # The first start was recorded after it was reported; the second turn came 0.3 s after
        # that record at the soonest.
        assert granted[1][1] - recorded.starts[0] >= 0.3
        # Each refusal said how long to wait: a few claims, no polling.
        assert len(recorded.claims) <= 5, recorded.claims
    finally:
        engine.dispose()


def test_no_interval_shares_nothing(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        recorded = _Recorded(HostTurns(engine))
        turns = StoreTurns(recorded)

        async def free() -> None:
            await turns.take("a.example", 0.0, None)
            turns.started("a.example")

        asyncio.run(free())
        assert recorded.claims == []
        assert recorded.starts == []
    finally:
        engine.dispose()


def test_take_gives_up_as_soon_as_the_run_stops(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        recorded = _Recorded(HostTurns(engine))
        turns = StoreTurns(recorded)
        stop = threading.Event()
        assert recorded.turns.claim("a.example", 60.0).granted  # another worker holds the host

        def stop_once_waiting() -> None:
            if recorded.refused.wait(timeout=60):
                stop.set()

        stopper = threading.Thread(target=stop_once_waiting)
        stopper.start()
        began = time.monotonic()
        with pytest.raises(Stopped):
            asyncio.run(turns.take("a.example", 60.0, stop))
        stopper.join(timeout=60)
        assert time.monotonic() - began < 30.0  # not the minute the turn would have taken
        # A run that has stopped claims nothing more.
        count = len(recorded.claims)
        with pytest.raises(Stopped):
            asyncio.run(turns.take("fresh.example", 60.0, stop))
        assert len(recorded.claims) == count
    finally:
        engine.dispose()


def test_a_turn_granted_after_its_take_was_cancelled_frees_the_host(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        recorded = _Recorded(HostTurns(engine))
        recorded.go_on.clear()
        turns = StoreTurns(recorded)

        async def cancel_while_claiming() -> None:
            taking = asyncio.create_task(turns.take("a.example", 60.0, None))
            await asyncio.to_thread(recorded.claiming.wait, 60)
            taking.cancel()
            recorded.go_on.set()  # the claim is granted, to a take that is gone
            with pytest.raises(asyncio.CancelledError):
                await taking
            await asyncio.to_thread(recorded.written.wait, 60)

        asyncio.run(cancel_while_claiming())
        assert [turn.granted for _, _, turn in recorded.claims] == [True]
        assert recorded.written.is_set()
        # Recorded as a start, not held for HOLD_SECONDS.
        assert _last_start(engine, "a.example") < datetime.now(UTC) + timedelta(seconds=HOLD_SECONDS / 2)
    finally:
        engine.dispose()


# ---- Two worker processes against one loopback host --------------------------------------------


def _worker(base: str, db_url: str | None, name: str, go: Barrier) -> None:
    """One worker process: its own client (and its own shared turns when db_url is given)."""
    try:
        engine = make_engine(db_url) if db_url else None
        settings = HttpSettings(
            allow_private_networks=True,
            respect_robots=False,
            per_host_min_interval=INTERVAL,
            max_retries=0,
            timeout=30.0,
        )
        turns = StoreTurns(HostTurns(engine)) if engine is not None else None
    except BaseException:
        go.abort()
        raise

    async def fire() -> None:
        async with HttpClient(settings, turns=turns) as client:
            await asyncio.to_thread(go.wait, 120)
            answers = await asyncio.gather(
                *(client.get(f"{base}/", headers={"X-Worker": name}) for _ in range(REQUESTS_PER_WORKER))
            )
        assert all(answer.status == 200 for answer in answers)

    try:
        asyncio.run(fire())
    finally:
        if engine is not None:
            engine.dispose()


def _two_workers(db_url: str | None) -> dict[str, list[float]]:
    """Both workers fire at once (their first requests too: no warm-up); arrival times per worker."""
    peer = Peer(routes={"/": text("ok")})
    context = multiprocessing.get_context("spawn")
    go = context.Barrier(3)
    with serve(peer.app()) as base:
        workers = [context.Process(target=_worker, args=(base, db_url, name, go)) for name in ("a", "b")]
        for worker in workers:
            worker.start()
        try:
            go.wait(timeout=120)  # both are set up: they start firing together
        finally:
            for worker in workers:
                worker.join(timeout=120)
        assert [worker.exitcode for worker in workers] == [0, 0]
        arrivals: dict[str, list[float]] = {"a": [], "b": []}
        for hit in list(peer.hits):
            arrivals[hit.headers["x-worker"]].append(hit.arrived)
    for times in arrivals.values():
        assert len(times) == REQUESTS_PER_WORKER
    # The workers really ran side by side: each one's first request came before the other's last.
    assert min(arrivals["a"]) < max(arrivals["b"])
    assert min(arrivals["b"]) < max(arrivals["a"])
    return arrivals


# PostgreSQL, what workers on several machines share; SQLite's claims race in the tests above.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_worker_processes_keep_one_interval_per_host(db_url: str) -> None:
    engine = open_database(db_url)  # the schema, as `monitor db upgrade` leaves it
    engine.dispose()
    arrivals = _two_workers(db_url)
    gap = min_gap(arrivals["a"] + arrivals["b"])
    assert gap >= TOLERANCE * INTERVAL, f"min gap {gap / INTERVAL:.3f} x interval"


def test_without_shared_turns_two_worker_processes_crowd_the_host() -> None:
    """The control: the same two workers, each polite on its own, start too close together."""
    arrivals = _two_workers(None)
    assert min(min_gap(times) for times in arrivals.values()) >= TOLERANCE * INTERVAL
    gap = min_gap(arrivals["a"] + arrivals["b"])
    assert gap < TOLERANCE * INTERVAL, f"min gap {gap / INTERVAL:.3f} x interval"
