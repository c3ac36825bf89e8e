"""The container healthcheck with the job queue: healthy while some worker beats, not before."""

from __future__ import annotations

import asyncio
import os

import procrastinate

from monitor.queue.app import conninfo
from tests.queue.conftest import run_monitor


def test_status_check_follows_the_workers_heartbeats(pg_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env.update({"MONITOR_DATABASE__URL": pg_url, "MONITOR_QUEUE__BACKEND": "procrastinate"})
    assert run_monitor(env, "db", "upgrade").returncode == 0

    idle = run_monitor(env, "status", "--check")
    assert idle.returncode != 0
    assert "không có worker nào" in idle.stderr

    async def register() -> None:
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(pg_url)))
        async with app.open_async():
            await app.job_manager.register_worker()

    asyncio.run(register())
    served = run_monitor(env, "status", "--check")
    assert served.returncode == 0, served.stderr
    english = run_monitor({**env, "MONITOR_LANG": "en"}, "status", "--check")
    assert english.returncode == 0
    assert "Running." in english.stdout


def test_the_worker_command_offers_exactly_the_queues_jobs_go_to() -> None:
    from monitor.commands.worker import QUEUE_NAMES
    from monitor.queue.app import QUEUES

    assert QUEUE_NAMES == QUEUES
