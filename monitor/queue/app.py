"""The job queue on procrastinate: its tasks, their locks, queues, priorities and retries.

Queues: `discover` (one job per brand and discoverer), `judge` (one per brand and scan, holding
the brand's lock), `deliver` (alerts, one round at a time; a retry's later round is a lock-free
wake-up until it comes due) and `schedule` (the scheduler's tick and
the digest). Locks: one discovery part of a brand at a time (`<brand>:discover:<keys>`), one
judgement of a brand at a time (`judge:<brand>`), one delivery round at a time (`deliver`).
Priorities: a worker takes the tick and the digest first, then alert deliveries, then
judgements, then discovery jobs: officers hear of a brand's findings as soon as it is judged,
not once every other brand's discovery is done. Retries: a job that raised runs again after
retry_wait_seconds x 2^attempt, up to job_retries times, then its part is given up (recorded
failed) so the scan goes on without it; a job handed back by a stopping worker runs again at once.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from contextlib import suppress

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from procrastinate.types import JSONValue
from sqlalchemy.engine import make_url

from monitor.log import get_logger
from monitor.queue import steps
from monitor.queue.steps import Plan, Released, Runtime
from monitor.settings import Settings
from monitor.store.scan_parts import JUDGE as JUDGE_PART

log = get_logger(__name__)

DISCOVER, JUDGE, DELIVER, SCHEDULE = "discover", "judge", "deliver", "schedule"
QUEUES = (DISCOVER, JUDGE, DELIVER, SCHEDULE)
# procrastinate takes higher priorities first (discovery jobs keep the default 0).
PRIORITY = {JUDGE: 1, DELIVER: 2, SCHEDULE: 3}

_runtime: Runtime | None = None


def bind(runtime: Runtime | None) -> None:
    """The runtime the tasks of this process use (set by `monitor worker` before it starts)."""
    global _runtime
    _runtime = runtime


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("no queue runtime: jobs run only inside `monitor worker`")
    return _runtime


def conninfo(url: str) -> str:
    """The libpq connection string of the configured SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Retries(BaseRetryStrategy):
    def __init__(self, attempts: int, wait: float) -> None:
        self.attempts = attempts
        self.wait = wait

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, Released):
            return RetryDecision(retry_in={"seconds": 0})
        if job.attempts >= self.attempts:
            return None
        return RetryDecision(retry_in={"seconds": int(self.wait * 2**job.attempts)})


def final_attempt(job: Job, settings: Settings) -> bool:
    return job.attempts >= settings.queue.job_retries


class Queue:
    """The procrastinate app of one configuration, with the monitor's tasks registered."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        connector = procrastinate.PsycopgConnector(conninfo=conninfo(settings.database.url))
        self.app = procrastinate.App(connector=connector)
        retry = Retries(settings.queue.job_retries, settings.queue.retry_wait_seconds)
        app = self.app

        @app.task(name="monitor.discover", queue=DISCOVER, retry=retry, pass_context=True)
        async def discover(
            context: procrastinate.JobContext,
            scan_id: int,
            brand: str,
            part: str,
            sources: list[str] | None,
            notify: bool,
        ) -> None:
            rt = runtime()
            try:
                complete = await steps.discover(rt, scan_id, brand, part)
            except Released:
                raise
            except Exception as exc:
                if not final_attempt(context.job, self.settings):
                    raise
                steps.give_up(rt, scan_id, brand, part, f"{type(exc).__name__}: {exc}")
                complete = _discovered(rt, scan_id, brand)
                if complete:
                    await self.defer_judge(scan_id, brand, sources, notify)
                raise
            if complete:
                await self.defer_judge(scan_id, brand, sources, notify)

        @app.task(name="monitor.judge", queue=JUDGE, retry=retry, pass_context=True)
        async def judge(
            context: procrastinate.JobContext,
            scan_id: int,
            brand: str,
            sources: list[str] | None,
            notify: bool,
        ) -> None:
            rt = runtime()
            try:
                judged = await steps.judge(rt, scan_id, brand, sources, notify=notify)
            except Released:
                raise
            except Exception as exc:
                if not final_attempt(context.job, self.settings):
                    raise
                steps.give_up(rt, scan_id, brand, JUDGE_PART, f"{type(exc).__name__}: {exc}")
                steps.close(rt, scan_id)
                raise
            if judged.complete:
                steps.close(rt, scan_id)
            if judged.scanner is not None and judged.report is not None:
                if notify:
                    await self.defer_delivery()
                await judged.scanner.followups(judged.report)

        @app.task(name="monitor.deliver", queue=DELIVER, retry=retry)
        async def deliver() -> None:
            from monitor.notify.channels import deliver_alerts

            rt = runtime()
            delivery = None
            # A round sends a bounded batch: go on while rounds still send (many offices' alerts).
            while not rt.stop.is_set():
                delivery = await deliver_alerts(rt.factory, rt.settings, rt.settings.brands)
                log.info("alerts_delivered", sent=delivery.sent, failed=delivery.failed)
                if delivery.sent == 0:
                    break
            if delivery is not None and delivery.retry_at is not None and not rt.stop.is_set():
                # A failed alert's next try, or a rate-limited channel's next window, gets a round
                # of its own: it does not wait for the next judgement (hours away).
                await self.defer_delivery(at=delivery.retry_at)

        @app.task(name="monitor.deliver_wake", queue=DELIVER, retry=retry)
        async def deliver_wake() -> None:
            # A round asked for later holds no lock while it waits: procrastinate holds back every
            # younger job of a lock behind an older waiting one, even one scheduled hours ahead.
            await self.defer_delivery()

        @app.task(name="monitor.digest", queue=SCHEDULE, retry=retry)
        async def digest(timestamp: int) -> None:
            from monitor.digest import asend_digests, digest_reaches_anyone

            rt = runtime()
            if not digest_reaches_anyone(rt.settings):
                log.warning("digest_skipped", reason="no channel takes the digest")
                return
            await asend_digests(rt.factory, rt.settings)

        @app.task(name="monitor.tick", queue=SCHEDULE, pass_context=False)
        async def tick(timestamp: int, quiet_since: int | None = None) -> None:
            from monitor.queue.schedule import due_scans

            rt = runtime()
            quiet = dt.datetime.fromtimestamp(quiet_since, dt.UTC) if quiet_since is not None else None
            for sources, trigger in due_scans(rt, dt.datetime.fromtimestamp(timestamp, dt.UTC), quiet):
                plan = steps.plan_scan(rt, None, sources, trigger)
                await self.defer_plan(plan, sources, notify=True)

        self.discover_task = discover
        self.judge_task = judge
        self.deliver_task = deliver
        self.deliver_wake_task = deliver_wake
        self.digest_task = digest
        self.tick_task = tick

    def schedule(self, *, initial_scan: bool = True) -> None:
        """Register the periodic deferrals of the scheduler (`monitor run`): the tick and the digest.

        Without `initial_scan`, a scan group never scanned waits one interval from now, as the
        in-process daemon's `--no-initial-scan` does."""
        from monitor.queue.schedule import digest_cron, tick_cron

        tick, digest = tick_cron(self.settings), digest_cron(self.settings)
        quiet: dict[str, JSONValue] | None = None if initial_scan else {"quiet_since": int(time.time())}
        first = PRIORITY[SCHEDULE]
        self.app.periodic(
            cron=tick,
            periodic_id="tick",
            lock="tick",
            queueing_lock="tick",
            task_kwargs=quiet,
            priority=first,
        )(self.tick_task)
        self.app.periodic(cron=digest, periodic_id="digest", lock="digest", priority=first)(self.digest_task)

    async def defer_plan(self, plan: Plan, sources: Sequence[str] | None, *, notify: bool) -> None:
        """Defer a planned scan's jobs: its discovery parts, and the judgement of brands with none."""
        chosen = list(sources) if sources else None
        for part in plan.discovery:
            await self.discover_task.configure(lock=f"{part.brand}:{part.part}").defer_async(
                scan_id=plan.scan_id, brand=part.brand, part=part.part, sources=_json(chosen), notify=notify
            )
        for brand in plan.brands_without_discovery():
            await self.defer_judge(plan.scan_id, brand, chosen, notify)

    async def defer_judge(self, scan_id: int, brand: str, sources: list[str] | None, notify: bool) -> None:
        # AlreadyEnqueued: another part finished at the same moment and asked for it.
        with suppress(AlreadyEnqueued):
            await self.judge_task.configure(
                lock=f"judge:{brand}", queueing_lock=f"judge:{scan_id}:{brand}", priority=PRIORITY[JUDGE]
            ).defer_async(scan_id=scan_id, brand=brand, sources=_json(sources), notify=notify)

    async def defer_delivery(self, at: dt.datetime | None = None) -> None:
        """A delivery round now, or at `at` (retries; they never hold back a round asked for now).

        A round now holds the `deliver` lock (one round at a time); a round at `at` is a lock-free
        wake-up that asks for a round now when it comes due. Wake-ups for the same minute are one."""
        # AlreadyEnqueued: a round (or a wake-up that minute) is already waiting; it takes these too.
        with suppress(AlreadyEnqueued):
            if at is None:
                await self.deliver_task.configure(
                    lock="deliver", queueing_lock="deliver", priority=PRIORITY[DELIVER]
                ).defer_async()
            else:
                minute = int(at.timestamp()) // 60
                await self.deliver_wake_task.configure(
                    queueing_lock=f"deliver-at:{minute}", priority=PRIORITY[DELIVER], schedule_at=at
                ).defer_async()

    async def recover_stalled(self) -> int:
        """Jobs of workers silent for stall_seconds (killed, cut off) run again."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=self.settings.queue.stall_seconds)
        count = 0
        for job in stalled:
            await manager.retry_job(job)
            log.warning("job_recovered", job=job.id, task=job.task_name, worker=job.worker_id)
            count += 1
        return count


def _json(sources: list[str] | None) -> JSONValue:
    return list(sources) if sources is not None else None


def _discovered(rt: Runtime, scan_id: int, brand: str) -> bool:
    from monitor.store.db import session_scope
    from monitor.store.scan_parts import ScanParts

    with session_scope(rt.factory) as session:
        return ScanParts(session).discovered(scan_id, brand)
