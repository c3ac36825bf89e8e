"""`monitor run`: APScheduler 3 jobs built from config, one active daemon per database, clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from time import monotonic
from types import FrameType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from monitor.log import get_logger
from monitor.settings import Settings, parse_duration
from monitor.store.lease import Lease, holder_id

log = get_logger(__name__)

T = TypeVar("T")

# After a stop, a scan finishes on its own (it checks the stop event between steps) or is cancelled.
STOP_GRACE = 2.0

ScanJob = Callable[[Sequence[str] | None, threading.Event], object]
DigestJob = Callable[[], object]


@dataclass(frozen=True)
class Jobs:
    """What the daemon runs: the same functions the CLI commands call."""

    scan: ScanJob
    digest: DigestJob


class Daemon:
    """Wait for the lease, then schedule scans and digests until stopped."""

    def __init__(self, settings: Settings, engine: Engine, jobs: Jobs, *, initial_scan: bool = True) -> None:
        self.settings = settings
        self.engine = engine
        self.jobs = jobs
        self.initial_scan = initial_scan
        self.stop_event = threading.Event()
        self.lease = Lease(engine, holder_id(), settings.schedule.lease_seconds)
        self.scheduler: BackgroundScheduler | None = None
        # One stop event per running scan: set when this daemon stops leading (lease lost or stop).
        self.scan_stops: set[threading.Event] = set()
        self.leading = False

    @property
    def heartbeat_seconds(self) -> float:
        return max(0.5, min(30.0, self.settings.schedule.lease_seconds / 4))

    def run(self) -> None:
        """Block until stopped; a job that raises is logged and the daemon goes on."""
        log.info("daemon_started", holder=self.lease.holder)
        try:
            while not self.stop_event.is_set():
                if self.lease.try_acquire():
                    self._lead()
                else:
                    log.info("daemon_standby", holder=self.lease.holder)
                    self.stop_event.wait(self.heartbeat_seconds)
        finally:
            self.lease.release()
            log.info("daemon_stopped", holder=self.lease.holder)

    def _lead(self) -> None:
        scheduler = self._build_scheduler()
        self.scheduler = scheduler
        self.leading = True
        scheduler.start()
        log.info("daemon_leading", holder=self.lease.holder, jobs=[job.id for job in scheduler.get_jobs()])
        try:
            while not self.stop_event.wait(self.heartbeat_seconds):
                if not self.lease.renew(self.next_runs()):
                    log.warning("lease_lost", holder=self.lease.holder)
                    break
        finally:
            # Lease lost (or stopping): the new leader owns the schedule, so our scans stop now.
            self.leading = False
            for stop in list(self.scan_stops):
                stop.set()
            self._shutdown(scheduler)
            self.scheduler = None

    def _shutdown(self, scheduler: BackgroundScheduler) -> None:
        """Take no new jobs; let a running job reach a consistent point within a bounded wait."""
        scheduler.pause()
        waiter = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
        waiter.start()
        wait = self.settings.schedule.shutdown_wait_seconds
        waiter.join(wait)
        if waiter.is_alive():
            log.warning("daemon_shutdown_timeout", waited=wait)

    def next_runs(self) -> dict[str, Any]:
        if self.scheduler is None:
            return {}
        return {
            job.id: job.next_run_time.isoformat() if job.next_run_time else None
            for job in self.scheduler.get_jobs()
        }

    def _build_scheduler(self) -> BackgroundScheduler:
        schedule = self.settings.schedule
        zone = ZoneInfo(schedule.timezone)
        scheduler = BackgroundScheduler(
            timezone=zone,
            job_defaults={
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": schedule.misfire_grace_seconds,
            },
        )
        scheduler.add_listener(self._on_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        start = datetime.now(zone) if self.initial_scan else None
        separate = dict(schedule.sources)
        main_sources = None
        if separate:
            from monitor.discover.registry import registered_keys

            main_sources = [key for key in registered_keys() if key not in separate]
        self._add_scan_job(scheduler, "scan", schedule.scan_every_seconds, main_sources, start)
        for source, every in sorted(separate.items()):
            self._add_scan_job(scheduler, f"scan:{source}", parse_duration(every), [source], start)
        at = time.fromisoformat(schedule.digest_at)
        scheduler.add_job(
            self._run_digest,
            CronTrigger(
                hour=at.hour, minute=at.minute, timezone=zone, jitter=min(schedule.jitter_seconds, 300)
            ),
            id="digest",
            name="digest",
        )
        return scheduler

    def _add_scan_job(
        self,
        scheduler: BackgroundScheduler,
        job_id: str,
        every: float,
        sources: list[str] | None,
        start: datetime | None,
    ) -> None:
        # Jitter spreads load, but never more than a tenth of the interval.
        jitter = int(min(self.settings.schedule.jitter_seconds, every / 10))
        scheduler.add_job(
            self._run_scan,
            IntervalTrigger(seconds=every, jitter=jitter or None),
            args=[sources],
            id=job_id,
            name=job_id,
            next_run_time=start,
        )

    def _run_scan(self, sources: list[str] | None) -> None:
        if self.stop_event.is_set():
            return
        log.info("job_scan_started", sources=sources)
        stop = threading.Event()
        self.scan_stops.add(stop)
        if not self.leading or self.stop_event.is_set():
            stop.set()  # lost the lease (or stopping) while this job was starting
        try:
            self.jobs.scan(sources, stop)
        finally:
            self.scan_stops.discard(stop)

    def _run_digest(self) -> None:
        if self.stop_event.is_set():
            return
        log.info("job_digest_started")
        self.jobs.digest()

    @staticmethod
    def _on_event(event: JobExecutionEvent) -> None:
        if event.exception is not None:
            log.error(
                "job_failed",
                job=event.job_id,
                error=f"{type(event.exception).__name__}: {event.exception}",
                traceback=event.traceback,
            )
        else:
            log.warning("job_missed", job=event.job_id, scheduled=str(event.scheduled_run_time))


@contextmanager
def stop_on_signals(
    stop: threading.Event, received: list[signal.Signals] | None = None
) -> Iterator[threading.Event]:
    """While the block runs, SIGTERM and SIGINT (Ctrl-C) set `stop` rather than end the process.

    Whatever runs then sees the event (scans, waits, the daemon's loop) and winds down in
    seconds, recording what it did. A second signal while stopping is the impatient kind: the
    process ends at once (status 128 + signal), which the store survives as it survives a crash
    (each unit of work commits on its own). Main thread only (Python's rule for handlers).
    `received` gets the signal that asked for the stop (a command's exit status names it).
    """

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.warning("stop_forced", signal=name)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(128 + signum)
        log.info("daemon_stop_requested", signal=name)
        if received is not None:
            received.append(signal.Signals(signum))
        stop.set()

    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_until_stopped(work: Awaitable[T], stop: threading.Event, grace: float = STOP_GRACE) -> T | None:
    """Run `work` on a fresh event loop; once `stop` is set it gets `grace` seconds, then is cancelled.

    Unlike asyncio.run, leaving does not wait for worker threads (asyncio.to_thread): a parse
    in C code cannot be interrupted, and the process must still stop. None when cancelled.
    """
    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(thread_name_prefix="job-worker")
    loop.set_default_executor(executor)
    try:
        return loop.run_until_complete(_watched(work, stop, grace))
    finally:
        try:
            _cancel_all(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            loop.close()


async def _watched(work: Awaitable[T], stop: threading.Event, grace: float) -> T | None:
    task = asyncio.ensure_future(work)
    while not task.done():
        await asyncio.wait({task}, timeout=0.2)
        if stop.is_set() and not task.done():
            await asyncio.wait({task}, timeout=grace)
            if not task.done():
                log.warning("job_cancelled", grace=grace)
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    return None
    return task.result()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))


def exit_without_stragglers(grace: float = 1.0, code: int = 0) -> None:
    """End the process now when threads are still busy after `grace` seconds; else return.

    Interpreter exit joins every worker thread, so one stuck in C code (a parse) would hold the
    process for as long as it runs. Logs are flushed first; the store needs nothing more: each
    unit of work commits on its own and the next scan marks an unfinished one interrupted.
    """
    current = threading.current_thread()
    deadline = monotonic() + grace
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join(max(0.0, deadline - monotonic()))
    busy = [t.name for t in threading.enumerate() if t is not current and not t.daemon and t.is_alive()]
    if not busy:
        return
    log.warning("daemon_exit_forced", threads=busy)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
