"""The job queue's read model over procrastinate's real tables on PostgreSQL; not available elsewhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.store.db import make_engine, session_factory, session_scope
from monitor.store.queue_state import QueueState, queue_state
from tests.support.queue_jobs import RETRY_WAIT_SECONDS, fill, migrated

ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def test_not_available_without_procrastinate_tables(db_url: str) -> None:
    """SQLite never has them; PostgreSQL has them only once migrated."""
    engine = make_engine(db_url)
    try:
        state = queue_state(engine)
        if engine.dialect.name == "sqlite":
            migrated(db_url)
            assert queue_state(engine).unavailable == "not_postgresql"
            assert state.unavailable == "not_postgresql"
        else:
            assert state.unavailable == "not_migrated"
            migrated(db_url)
            assert queue_state(engine).available
    finally:
        engine.dispose()
    assert not state.available
    assert state.to_json() == {
        "available": False,
        "reason": state.unavailable,
        "checked_at": state.to_json()["checked_at"],
    }


@ON_POSTGRESQL
def test_waiting_running_failed_retrying_and_workers(db_url: str) -> None:
    migrated(db_url)
    filled = fill(db_url)
    engine = make_engine(db_url)
    try:
        with session_scope(session_factory(engine)) as session:
            state = queue_state(session, filled.ended)
        later = queue_state(engine, filled.ended + timedelta(minutes=10), alive_seconds=30)
        day_after = queue_state(engine, filled.ended + timedelta(hours=25), alive_seconds=30)
    finally:
        engine.dispose()

    assert state.available
    by_queue = {q.queue: (q.due, q.later) for q in state.waiting}
    # `discover`: one due, one in two hours; `schedule`: the digest waits an hour for its retry.
    assert by_queue == {"discover": (1, 1), "judge": (1, 0), "schedule": (0, 1)}
    assert (state.due_count, state.later_count) == (2, 2)
    assert state.oldest_due_at is not None
    assert filled.began <= state.oldest_due_at <= filled.ended
    assert state.oldest_wait is not None
    assert state.oldest_wait <= filled.ended - filled.began
    assert later.oldest_wait is not None
    assert timedelta(minutes=10) <= later.oldest_wait <= timedelta(minutes=10) + (filled.ended - filled.began)

    assert state.running_count == 1
    (running,) = state.running
    assert (running.id, running.task, running.queue, running.lock, running.worker_id) == (
        filled.running_id,
        "monitor.judge",
        "judge",
        "judge:bhxh-hcm",
        filled.worker_id,
    )
    assert running.started_at is not None
    assert filled.began <= running.started_at <= filled.ended

    assert state.failed_count == 2
    assert sorted(job.id for job in state.failed) == sorted(filled.failed_ids)
    assert {(job.task, job.queue) for job in state.failed} == {("monitor.deliver", "deliver")}
    assert all(filled.began <= job.failed_at <= filled.ended for job in state.failed)
    assert day_after.failed_count == 0
    assert day_after.failed == ()

    assert state.retrying_count == 1
    (retrying,) = state.retrying
    assert (retrying.id, retrying.task, retrying.attempts) == (filled.retrying_id, "monitor.digest", 1)
    assert retrying.failed_at is not None
    assert retrying.retry_at is not None
    assert filled.began <= retrying.failed_at <= filled.ended
    assert retrying.retry_at - retrying.failed_at >= timedelta(seconds=RETRY_WAIT_SECONDS - 1)

    # The worker that ran the first jobs left; the registered one beat just now.
    assert (state.workers_alive, state.workers_silent) == (1, 0)
    assert (later.workers_alive, later.workers_silent) == (0, 1)

    data = state.to_json()
    assert data["waiting"]["due"] == 2
    assert data["running"]["jobs"][0]["lock"] == "judge:bhxh-hcm"
    assert data["failed"] == {
        "window_hours": 24.0,
        "count": 2,
        "jobs": data["failed"]["jobs"],
    }
    assert len(data["failed"]["jobs"]) == 2
    assert data["retrying"]["count"] == 1
    assert data["workers"] == {"alive": 1, "silent": 0}


@ON_POSTGRESQL
def test_lists_are_cut_but_counts_are_whole(db_url: str) -> None:
    migrated(db_url)
    fill(db_url)
    engine = make_engine(db_url)
    try:
        state: QueueState = queue_state(engine, limit=1)
    finally:
        engine.dispose()
    assert state.failed_count == 2
    assert len(state.failed) == 1
    assert state.failed[0].failed_at == max(job.failed_at for job in queue_state_all(db_url).failed)


def queue_state_all(db_url: str) -> QueueState:
    engine = make_engine(db_url)
    try:
        return queue_state(engine)
    finally:
        engine.dispose()
