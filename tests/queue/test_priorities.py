"""Workers take alert deliveries before judgements, and judgements before discovery jobs; a failed
alert gets a delivery round of its own."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path

import psycopg
from sqlalchemy import select

from monitor.notify.outbox import enqueue_alerts
from monitor.queue.app import Queue, bind
from monitor.queue.steps import Runtime, plan_scan
from monitor.settings import load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Notification
from tests.notify.helpers import T0, data, load, scan
from tests.support.loopback import free_port

REPO = Path(__file__).resolve().parents[2]
BRAND = "bhxh-binh-duong"


def test_deliveries_and_judgements_are_taken_before_discovery(pg_url: str, tmp_path: Path) -> None:
    env = {
        "MONITOR_DATABASE__URL": pg_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_QUEUE__BACKEND": "procrastinate",
        "MONITOR_SOURCES__BRAVE__API_KEY": "key",
    }
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    engine = open_database(pg_url)
    rt = Runtime(settings, engine, threading.Event())
    queue = Queue(settings)

    async def defer() -> int:
        plan = plan_scan(rt, [BRAND], None, "test")
        async with queue.app.open_async():
            await queue.defer_plan(plan, None, notify=True)
            await queue.defer_judge(plan.scan_id, BRAND, None, True)
            await queue.defer_delivery()
        return plan.scan_id

    try:
        asyncio.run(defer())
    finally:
        engine.dispose()
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        # The order procrastinate's fetch_job takes todo jobs in: priority, then age.
        order = [
            row[0]
            for row in connection.execute(
                "SELECT task_name FROM procrastinate_jobs WHERE status = 'todo' ORDER BY priority DESC, id"
            )
        ]
    assert order[0] == "monitor.deliver"
    assert order[1] == "monitor.judge"
    assert set(order[2:]) == {"monitor.discover"}
    assert len(order) > 3


def test_a_failed_alert_gets_a_delivery_round_when_its_backoff_ends(pg_url: str, tmp_path: Path) -> None:
    """Not at the next judgement, which may be hours away."""
    env = {
        "MONITOR_DATABASE__URL": pg_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_QUEUE__BACKEND": "procrastinate",
        "MONITOR_ALERTS__WEBHOOK__URL": f"http://127.0.0.1:{free_port()}/hook",  # nothing listens
        "MONITOR_ALERTS__EMAIL": "false",
        "MONITOR_ALERTS__RETRY_AFTER_SECONDS": "600",
    }
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    engine = open_database(pg_url)
    factory = session_factory(engine)
    [pair] = scan(factory, [data()], T0)
    with session_scope(factory) as session:
        finding, observation = load(session, pair)
        assert enqueue_alerts(session, finding, observation, settings)
    queue = Queue(settings)

    async def deliver() -> None:
        bind(Runtime(settings, engine, threading.Event()))
        try:
            async with queue.app.open_async():
                await queue.deliver_task.func()  # type: ignore[call-arg]
        finally:
            bind(None)

    async def round_now_is_taken_while_the_retry_waits() -> str | None:
        async with queue.app.open_async():
            await queue.defer_delivery()
            job = await queue.app.job_manager.fetch_job(queues=["deliver"], worker_id=None)  # type: ignore[arg-type]
            return None if job is None else job.task_name

    try:
        asyncio.run(deliver())
        with session_scope(factory) as session:
            waiting = session.scalar(select(Notification.next_attempt_at))
    finally:
        engine.dispose()
    assert waiting is not None
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        jobs = connection.execute(
            "SELECT task_name, scheduled_at, lock, priority FROM procrastinate_jobs WHERE status = 'todo'"
        ).fetchall()
    # The later round waits without the `deliver` lock: it holds back no round asked for now.
    assert [(task, when, lock) for task, when, lock, _ in jobs] == [("monitor.deliver_wake", waiting, None)]
    assert asyncio.run(round_now_is_taken_while_the_retry_waits()) == "monitor.deliver"


def test_a_sooner_retry_round_is_kept_beside_a_later_one_and_wakes_a_round(
    pg_url: str, tmp_path: Path
) -> None:
    env = {
        "MONITOR_DATABASE__URL": pg_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_QUEUE__BACKEND": "procrastinate",
    }
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    open_database(pg_url).dispose()  # the schema, the queue's tables with it
    queue = Queue(settings)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    sooner = (later - dt.timedelta(hours=1, minutes=50)).replace(second=10, microsecond=0)

    async def defer() -> None:
        async with queue.app.open_async():
            await queue.defer_delivery(at=later)
            await queue.defer_delivery(at=sooner)
            await queue.defer_delivery(at=sooner.replace(second=40))
            await queue.deliver_wake_task.func()  # type: ignore[call-arg]

    asyncio.run(defer())
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        jobs = connection.execute(
            "SELECT task_name, scheduled_at, lock FROM procrastinate_jobs WHERE status = 'todo' ORDER BY id"
        ).fetchall()
    assert [(task, when) for task, when, _ in jobs[:2]] == [
        ("monitor.deliver_wake", later),
        ("monitor.deliver_wake", sooner),
    ]
    # The same minute's wake-ups are one; a wake-up that comes due asks for a round now, locked.
    assert [(task, when, lock) for task, when, lock in jobs[2:]] == [("monitor.deliver", None, "deliver")]


def test_a_retry_round_left_locked_by_an_earlier_version_is_freed_by_the_upgrade(pg_url: str) -> None:
    from monitor.store.db import make_engine, upgrade

    engine = make_engine(pg_url)
    try:
        upgrade(engine, "d6e7f8a9b0c1")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO procrastinate_jobs"
                " (queue_name, task_name, lock, queueing_lock, args, scheduled_at) VALUES"
                " ('deliver', 'monitor.deliver', 'deliver', 'deliver-later', '{}', now() + interval '2 h'),"
                " ('deliver', 'monitor.deliver', 'deliver', 'deliver', '{}', NULL)"
            )
        upgrade(engine, "head")
        with engine.connect() as connection:
            locks = connection.exec_driver_sql(
                "SELECT queueing_lock, lock FROM procrastinate_jobs ORDER BY id"
            ).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in locks] == [("deliver-later", None), ("deliver", "deliver")]
