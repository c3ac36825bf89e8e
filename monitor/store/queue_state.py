"""Read model of the job queue: waiting, running, failed and retrying jobs and live workers.

Reads procrastinate's own tables (procrastinate_jobs, procrastinate_events, procrastinate_workers)
with plain SQL. They exist only on PostgreSQL after `monitor db upgrade`; elsewhere the state says
it is not available, with a code telling why, and no query touches them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session

from monitor.display import machine_time

# Why the queue cannot be read: another database than PostgreSQL, or procrastinate's tables absent.
Unavailable = Literal["not_postgresql", "not_migrated"]

# Lists are cut to this many rows (newest failures, longest running, soonest retries); counts are whole.
LIST_LIMIT = 20
FAILED_WINDOW = timedelta(hours=24)

# When a todo job became due: its scheduled time, or the last time it was put (back) in the queue.
_WAITING = """
SELECT j.queue_name AS queue,
       count(*) FILTER (WHERE j.scheduled_at IS NULL OR j.scheduled_at <= :now) AS due,
       count(*) FILTER (WHERE j.scheduled_at > :now) AS later,
       min(GREATEST(j.scheduled_at, d.put_at))
           FILTER (WHERE j.scheduled_at IS NULL OR j.scheduled_at <= :now) AS oldest_due_at
  FROM procrastinate_jobs j
  CROSS JOIN LATERAL (
        SELECT max(e.at) AS put_at FROM procrastinate_events e
         WHERE e.job_id = j.id AND e.type IN ('deferred', 'deferred_for_retry', 'retried')) d
 WHERE j.status = 'todo'
 GROUP BY j.queue_name
 ORDER BY j.queue_name
"""

_RUNNING = """
SELECT j.id, j.task_name, j.queue_name, j.lock, j.worker_id, j.attempts,
       (SELECT max(e.at) FROM procrastinate_events e
         WHERE e.job_id = j.id AND e.type = 'started') AS started_at
  FROM procrastinate_jobs j
 WHERE j.status = 'doing'
 ORDER BY started_at NULLS FIRST, j.id
 LIMIT :limit
"""

_RUNNING_COUNT = "SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'"

# From the window's failure events first: bounded by the window, not by every failure ever kept.
_FAILED = """
SELECT j.id, j.task_name, j.queue_name, j.attempts, f.failed_at, count(*) OVER () AS total
  FROM (SELECT e.job_id, max(e.at) AS failed_at FROM procrastinate_events e
         WHERE e.type = 'failed' AND e.at >= :since GROUP BY e.job_id) f
  JOIN procrastinate_jobs j ON j.id = f.job_id
 WHERE j.status = 'failed'
 ORDER BY f.failed_at DESC, j.id DESC
 LIMIT :limit
"""

_RETRYING = """
SELECT j.id, j.task_name, j.queue_name, j.attempts, j.scheduled_at,
       (SELECT max(e.at) FROM procrastinate_events e
         WHERE e.job_id = j.id AND e.type = 'deferred_for_retry') AS failed_at,
       count(*) OVER () AS total
  FROM procrastinate_jobs j
 WHERE j.status = 'todo' AND j.attempts > 0
 ORDER BY j.scheduled_at NULLS FIRST, j.id
 LIMIT :limit
"""

_WORKERS = """
SELECT count(*) FILTER (WHERE last_heartbeat >= :alive_since) AS alive,
       count(*) FILTER (WHERE last_heartbeat < :alive_since) AS silent
  FROM procrastinate_workers
"""


@dataclass(frozen=True)
class WaitingQueue:
    """The todo jobs of one queue: due now, scheduled for later, and since when the oldest due one waits."""

    queue: str
    due: int
    later: int
    oldest_due_at: datetime | None


@dataclass(frozen=True)
class RunningJob:
    id: int
    task: str
    queue: str
    lock: str | None
    started_at: datetime | None
    worker_id: int | None
    attempts: int


@dataclass(frozen=True)
class FailedJob:
    """A job that failed for good (no retry left); `failed_at` is its last failure."""

    id: int
    task: str
    queue: str
    attempts: int
    failed_at: datetime


@dataclass(frozen=True)
class RetryingJob:
    """A job that raised and waits to be tried again at `retry_at`."""

    id: int
    task: str
    queue: str
    attempts: int
    failed_at: datetime | None
    retry_at: datetime | None


@dataclass(frozen=True)
class QueueState:
    """What the job queue holds at `checked_at`; `unavailable` names why it could not be read."""

    checked_at: datetime
    unavailable: Unavailable | None = None
    waiting: tuple[WaitingQueue, ...] = ()
    running: tuple[RunningJob, ...] = ()
    running_count: int = 0
    failed: tuple[FailedJob, ...] = ()
    failed_count: int = 0
    retrying: tuple[RetryingJob, ...] = ()
    retrying_count: int = 0
    workers_alive: int = 0
    workers_silent: int = 0
    failed_window: timedelta = FAILED_WINDOW

    @property
    def available(self) -> bool:
        return self.unavailable is None

    @property
    def failed_window_hours(self) -> float:
        return round(self.failed_window.total_seconds() / 3600, 2)

    @property
    def due_count(self) -> int:
        return sum(queue.due for queue in self.waiting)

    @property
    def later_count(self) -> int:
        return sum(queue.later for queue in self.waiting)

    @property
    def oldest_due_at(self) -> datetime | None:
        moments = [queue.oldest_due_at for queue in self.waiting if queue.oldest_due_at is not None]
        return min(moments) if moments else None

    @property
    def oldest_wait(self) -> timedelta | None:
        """How long the oldest due job has been waiting (never negative)."""
        oldest = self.oldest_due_at
        return max(self.checked_at - oldest, timedelta(0)) if oldest is not None else None

    def to_json(self) -> dict[str, Any]:
        """The Q object of JSON outputs: codes and UTC ISO moments, whole counts beside cut lists."""
        if self.unavailable is not None:
            return {
                "available": False,
                "reason": self.unavailable,
                "checked_at": machine_time(self.checked_at),
            }
        wait = self.oldest_wait
        return {
            "available": True,
            "checked_at": machine_time(self.checked_at),
            "waiting": {
                "due": self.due_count,
                "later": self.later_count,
                "oldest_due_at": machine_time(self.oldest_due_at),
                "oldest_wait_seconds": round(wait.total_seconds(), 1) if wait is not None else None,
                "queues": [
                    {
                        "queue": q.queue,
                        "due": q.due,
                        "later": q.later,
                        "oldest_due_at": machine_time(q.oldest_due_at),
                    }
                    for q in self.waiting
                ],
            },
            "running": {
                "count": self.running_count,
                "jobs": [
                    {
                        "id": job.id,
                        "task": job.task,
                        "queue": job.queue,
                        "lock": job.lock,
                        "started_at": machine_time(job.started_at),
                        "worker_id": job.worker_id,
                        "attempts": job.attempts,
                    }
                    for job in self.running
                ],
            },
            "failed": {
                "window_hours": self.failed_window_hours,
                "count": self.failed_count,
                "jobs": [
                    {
                        "id": job.id,
                        "task": job.task,
                        "queue": job.queue,
                        "attempts": job.attempts,
                        "failed_at": machine_time(job.failed_at),
                    }
                    for job in self.failed
                ],
            },
            "retrying": {
                "count": self.retrying_count,
                "jobs": [
                    {
                        "id": job.id,
                        "task": job.task,
                        "queue": job.queue,
                        "attempts": job.attempts,
                        "failed_at": machine_time(job.failed_at),
                        "retry_at": machine_time(job.retry_at),
                    }
                    for job in self.retrying
                ],
            },
            "workers": {"alive": self.workers_alive, "silent": self.workers_silent},
        }


def queue_state(
    session_or_engine: Session | Connection | Engine,
    now: datetime | None = None,
    *,
    alive_seconds: float = 30.0,
    failed_window: timedelta = FAILED_WINDOW,
    limit: int = LIST_LIMIT,
) -> QueueState:
    """The queue as it is at `now`; a worker is alive when it beat within `alive_seconds`.

    Read-only: with a session it runs inside the caller's transaction and never commits.
    """
    now = now or datetime.now(UTC)
    if _dialect(session_or_engine) != "postgresql":
        return QueueState(checked_at=now, unavailable="not_postgresql", failed_window=failed_window)
    with _connection(session_or_engine) as run:
        if run(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"), {}).scalar_one() is not True:
            return QueueState(checked_at=now, unavailable="not_migrated", failed_window=failed_window)
        waiting = tuple(
            WaitingQueue(row.queue, int(row.due), int(row.later), row.oldest_due_at)
            for row in run(text(_WAITING), {"now": now})
        )
        running = tuple(
            RunningJob(
                row.id, row.task_name, row.queue_name, row.lock, row.started_at, row.worker_id, row.attempts
            )
            for row in run(text(_RUNNING), {"limit": limit})
        )
        running_count = int(run(text(_RUNNING_COUNT), {}).scalar_one())
        failed_rows = list(run(text(_FAILED), {"since": now - failed_window, "limit": limit}))
        retry_rows = list(run(text(_RETRYING), {"limit": limit}))
        workers = run(text(_WORKERS), {"alive_since": now - timedelta(seconds=alive_seconds)}).one()
    return QueueState(
        checked_at=now,
        waiting=waiting,
        running=running,
        running_count=running_count,
        failed=tuple(
            FailedJob(row.id, row.task_name, row.queue_name, row.attempts, row.failed_at)
            for row in failed_rows
        ),
        failed_count=int(failed_rows[0].total) if failed_rows else 0,
        retrying=tuple(
            RetryingJob(row.id, row.task_name, row.queue_name, row.attempts, row.failed_at, row.scheduled_at)
            for row in retry_rows
        ),
        retrying_count=int(retry_rows[0].total) if retry_rows else 0,
        workers_alive=int(workers.alive),
        workers_silent=int(workers.silent),
        failed_window=failed_window,
    )


class _Runner:
    """Executes a statement on whichever of session or connection the caller gave."""

    def __init__(self, target: Session | Connection) -> None:
        self._target = target

    def __call__(self, statement: Any, params: Mapping[str, Any]) -> Result[Any]:
        return self._target.execute(statement, dict(params))


@contextmanager
def _connection(session_or_engine: Session | Connection | Engine) -> Iterator[_Runner]:
    if isinstance(session_or_engine, Engine):
        with session_or_engine.connect() as connection:
            yield _Runner(connection)
        return
    yield _Runner(session_or_engine)


def _dialect(session_or_engine: Session | Connection | Engine) -> str:
    if isinstance(session_or_engine, Session):
        return session_or_engine.get_bind().dialect.name
    return session_or_engine.dialect.name
