"""A job queue filled through procrastinate itself: waiting, scheduled, running, failed and retrying jobs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import procrastinate
from sqlalchemy.engine import make_url

from monitor.store.db import make_engine, upgrade

RETRY_WAIT_SECONDS = 3600


@dataclass(frozen=True)
class Filled:
    """What fill() put in the queue, and the moments around it."""

    began: datetime
    ended: datetime
    running_id: int
    worker_id: int
    failed_ids: tuple[int, ...]
    retrying_id: int


def migrated(db_url: str) -> None:
    """`monitor db upgrade` on the database: the monitor's tables and procrastinate's."""
    engine = make_engine(db_url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


def conninfo(db_url: str) -> str:
    """The libpq address of a SQLAlchemy PostgreSQL URL."""
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


def fill(db_url: str, lock: str = "judge:bhxh-hcm") -> Filled:
    """Through the monitor's queue and task names: two deliveries fail for good and a digest waits
    for its retry (a real worker ran them); a discovery and a judgement are due, another discovery
    is scheduled two hours later, and a judgement runs under `lock` on a registered worker that
    keeps beating."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(db_url)))

    @app.task(name="monitor.discover", queue="discover")
    def discover(n: int) -> None:
        del n

    @app.task(name="monitor.judge", queue="judge")
    def judge(n: int) -> None:
        del n

    @app.task(name="monitor.deliver", queue="deliver", retry=0)
    def deliver() -> None:
        raise RuntimeError("broken for good")

    @app.task(
        name="monitor.digest",
        queue="schedule",
        retry=procrastinate.RetryStrategy(max_attempts=3, wait=RETRY_WAIT_SECONDS),
    )
    def digest() -> None:
        raise RuntimeError("fails this time")

    async def scenario() -> Filled:
        began = datetime.now(UTC)
        async with app.open_async():
            failed = (await deliver.defer_async(), await deliver.defer_async())
            retrying = await digest.defer_async()
            # Runs until no job is due: both deliveries fail, the digest is put back for an hour.
            await app.run_worker_async(queues=["deliver", "schedule"], wait=False)
            await judge.configure(lock=lock).defer_async(n=1)
            worker = await app.job_manager.register_worker()
            job = await app.job_manager.fetch_job(queues=["judge"], worker_id=worker)
            assert job is not None
            assert job.id is not None
            await discover.defer_async(n=2)
            await judge.defer_async(n=3)
            await discover.configure(schedule_in={"hours": 2}).defer_async(n=4)
            return Filled(began, datetime.now(UTC), job.id, worker, failed, retrying)

    return asyncio.run(scenario())
