"""One active scheduler per database, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta

from monitor.store.db import make_engine, open_database
from monitor.store.lease import Lease, holder_gone, holder_id, read_state
from monitor.store.schema import utcnow


def test_second_holder_stands_by_until_the_first_releases(db_url: str) -> None:
    engine = open_database(db_url)
    other_engine = make_engine(db_url)  # as a second process would have
    first, second = Lease(engine, "a", ttl=60), Lease(other_engine, "b", ttl=60)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.renew({"scan": "2026-11-24T07:00:00+07:00"})
        state = read_state(engine)
        assert state is not None
        assert (state.holder, state.state) == ("a", "running")
        assert state.next_runs == {"scan": "2026-11-24T07:00:00+07:00"}
        first.release()
        assert second.try_acquire()
        assert not first.renew()  # lost: the heartbeat says so
        assert not first.try_acquire()
    finally:
        second.release()
        engine.dispose()
        other_engine.dispose()


def test_expired_lease_of_a_dead_holder_is_taken_over(db_url: str) -> None:
    engine = open_database(db_url)
    other_engine = make_engine(db_url)
    dead, alive = Lease(engine, "dead", ttl=1), Lease(other_engine, "alive", ttl=60)
    try:
        assert dead.try_acquire()
        # The dead process's connection goes away with it (and any advisory lock).
        dead._advisory_unlock()
        engine.dispose()
        assert alive.try_acquire(now=utcnow() + timedelta(seconds=5))
        state = read_state(other_engine)
        assert state is not None
        assert state.holder == "alive"
    finally:
        alive.release()
        other_engine.dispose()


def test_holder_gone_only_for_a_dead_process_on_this_host() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        host = socket.gethostname()
        assert not holder_gone(f"{host}:{child.pid}:aaaa1111")  # alive
        assert not holder_gone(holder_id())  # ourselves
        # Our pid under a token this process never made: an earlier process with the same pid
        # (a container's PID 1 after a restart), gone.
        assert holder_gone(f"{host}:{os.getpid()}:00000000")
        assert not holder_gone(f"another-{host}:{child.pid}:aaaa1111")  # elsewhere: only a heartbeat can tell
        assert not holder_gone("not a holder")
    finally:
        child.kill()
        child.wait(timeout=10)
    assert holder_gone(f"{socket.gethostname()}:{child.pid}:aaaa1111")
