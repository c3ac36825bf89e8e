"""The queue's long-lived processes: a worker (`monitor worker`) and the scheduler (`monitor run`),
and `monitor scan` deferring a scan and waiting for it.

A stop (SIGTERM, Ctrl-C) sets the runtime's stop event: running scans wind down within seconds,
their jobs are handed back (Released) and run again at once on another worker; the worker then
stops taking jobs and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence

from procrastinate.periodic import PeriodicDeferrer
from procrastinate.worker import Worker
from sqlalchemy import Engine

from monitor.log import get_logger
from monitor.net.shared_turns import StoreTurns
from monitor.net.stop import pause, until_stopped
from monitor.queue.app import QUEUES, Queue, bind
from monitor.queue.steps import Runtime, plan_scan
from monitor.settings import Settings
from monitor.store.db import session_scope
from monitor.store.host_turns import HostTurns
from monitor.store.scans import ScanRepository

log = get_logger(__name__)


def worker_runtime(settings: Settings, engine: Engine, stop: threading.Event) -> Runtime:
    """A worker's runtime: request starts shared with every other worker through the store."""
    return Runtime(settings, engine, stop, turns=StoreTurns(HostTurns(engine)))


async def run_worker(
    queue: Queue, rt: Runtime, *, concurrency: int | None = None, queues: Sequence[str] = ()
) -> None:
    """Take jobs until `rt.stop` is set; then hand running ones back within shutdown_wait_seconds."""
    settings = queue.settings.queue
    bind(rt)
    async with queue.app.open_async():
        worker = Worker(
            queue.app,
            queues=list(queues) or None,
            name=f"worker {rt.owner}",
            concurrency=concurrency or settings.concurrency,
            install_signal_handlers=False,
            shutdown_graceful_timeout=settings.shutdown_wait_seconds,
            update_heartbeat_interval=settings.heartbeat_seconds,
            stalled_worker_timeout=settings.stall_seconds,
            fetch_job_polling_interval=settings.poll_seconds,
            abort_job_polling_interval=settings.poll_seconds,
        )
        running = asyncio.create_task(worker.run())  # type: ignore[no-untyped-call]
        recovering = asyncio.create_task(_recover(queue, rt.stop))
        stopping = asyncio.create_task(until_stopped(rt.stop))
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
            worker.stop()  # type: ignore[no-untyped-call]
            await running
        finally:
            for task in (recovering, stopping, running):
                task.cancel()
            bind(None)
    log.info("worker_stopped", owner=rt.owner)


async def _recover(queue: Queue, stop: threading.Event) -> None:
    """Every half stall period: jobs of dead workers run again (kill -9, a lost machine)."""
    every = max(0.5, queue.settings.queue.stall_seconds / 2)
    while not stop.is_set():
        try:
            await queue.recover_stalled()
        except Exception as exc:  # the database may be away for a moment: try again next round
            log.warning("recover_failed", error=type(exc).__name__)
        with contextlib.suppress(Exception):
            await pause(every, stop)


async def run_scheduler(queue: Queue, stop: threading.Event, *, initial_scan: bool = True) -> None:
    """Defer the periodic jobs (the tick, the digest) until stopped; one deferral per slot overall."""
    queue.schedule(initial_scan=initial_scan)
    async with queue.app.open_async():
        app = queue.app
        deferrer = PeriodicDeferrer(registry=app.periodic_registry, **app.periodic_defaults)
        deferring = asyncio.create_task(deferrer.worker())
        stopping = asyncio.create_task(until_stopped(stop))
        try:
            done, _ = await asyncio.wait({deferring, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if deferring in done:
                deferring.result()
        finally:
            for task in (deferring, stopping):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await deferring
    log.info("scheduler_stopped")


async def defer_scan(
    queue: Queue,
    rt: Runtime,
    brands: Sequence[str] | None,
    sources: Sequence[str] | None,
    *,
    notify: bool,
    trigger: str = "cli",
) -> int:
    """Plan a scan and defer its jobs; returns the scan id."""
    plan = plan_scan(rt, brands, sources, trigger)
    async with queue.app.open_async():
        await queue.defer_plan(plan, sources, notify=notify)
    return plan.scan_id


async def wait_for_scan(rt: Runtime, scan_id: int) -> str:
    """The scan's status once the workers closed it, or "running" when stopped first."""
    while True:
        with session_scope(rt.factory) as session:
            scan = ScanRepository(session).get(scan_id)
            status = scan.status if scan is not None else "failed"
        if status != "running" or rt.stop.is_set():
            return status
        with contextlib.suppress(Exception):
            await pause(rt.settings.queue.poll_seconds / 4, rt.stop)


__all__ = ["QUEUES", "defer_scan", "run_scheduler", "run_worker", "wait_for_scan", "worker_runtime"]
