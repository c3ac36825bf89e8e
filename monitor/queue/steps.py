"""The steps of a scan run as jobs, free of the queue library: plan, discover, judge, close.

Each step is safe to run again: a discovery part drops what an earlier attempt stored before it
starts, a part done stays done, a judgement runs once per brand and scan (its jobs hold the
brand's lock, so a second one only finds it done), and the scan is closed by whichever judgement
finishes last. A step cut short by a stop raises Released: the job is handed back at once.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast, get_args

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.diff import SourceStatus
from monitor.discover.base import Discoverer, Discovery, Found, Lead
from monitor.discover.registry import build_discoverers
from monitor.discover.stored import StoredLeads
from monitor.discover.wire import lead_to_json
from monitor.log import get_logger
from monitor.net.robots import RobotsMemory
from monitor.net.turns import SharedTurns
from monitor.queue.shared import StoreShared
from monitor.queue.summary import failed_judgements, stored_report
from monitor.report import NullProgress, ScanReport
from monitor.scan import Scanner
from monitor.scan_flow import STOPPED, until_stop
from monitor.scan_record import brand_state
from monitor.settings import Settings
from monitor.sources.base import SourceResult
from monitor.store.db import session_factory, session_scope
from monitor.store.scan_parts import DONE, JUDGE, ScanParts
from monitor.store.scans import QUEUED, ScanRepository
from monitor.store.schema import utcnow

log = get_logger(__name__)

DISCOVER = "discover:"
# Leads are written in batches of this many while a discoverer runs.
LEAD_BATCH = 200


class Released(Exception):
    """The worker is stopping: this job goes back to the queue and runs again, from its start."""


@dataclass
class Runtime:
    """What the steps of one worker process share."""

    settings: Settings
    engine: Engine
    stop: threading.Event
    turns: SharedTurns | None = None
    # robots.txt rules learned by the process's jobs: a host's file is asked once per TTL, not per job.
    robots: RobotsMemory = field(default_factory=RobotsMemory)

    def __post_init__(self) -> None:
        self.factory: sessionmaker[Session] = session_factory(self.engine)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Part:
    brand: str
    part: str


@dataclass(frozen=True)
class Plan:
    scan_id: int
    parts: tuple[Part, ...]
    # Discovery parts the settings switch off: done when planned, no job runs them.
    idle: frozenset[Part] = frozenset()

    @property
    def discovery(self) -> list[Part]:
        """The discovery parts to run as jobs."""
        return [p for p in self.parts if p.part != JUDGE and p not in self.idle]

    def brands_without_discovery(self) -> list[str]:
        """Brands whose judgement can run at once (nothing to discover first)."""
        busy = {p.brand for p in self.discovery}
        return [p.brand for p in self.parts if p.part == JUDGE and p.brand not in busy]


def part_keys(part: str) -> list[str]:
    return part.removeprefix(DISCOVER).split("+")


def plan_scan(rt: Runtime, brands: Sequence[str] | None, sources: Sequence[str] | None, trigger: str) -> Plan:
    """A new scan and its parts: one per brand and discoverer that runs as a job, one judgement per brand."""
    settings = rt.settings
    chosen = [settings.brand(slug) for slug in brands] if brands else list(settings.brands)
    groups: list[tuple[str, ...]] = []
    for discoverer in build_discoverers(settings, sources):
        if not (discoverer.later or discoverer.local):
            groups += [(key,) for key in discoverer.keys] if discoverer.separable else [discoverer.keys]
    # A group switched off in the settings reports its skipped runs at once instead of in a job.
    skipped = {keys: _idle_runs(settings, keys) for keys in groups}
    parts: list[Part] = []
    idle: set[Part] = set()
    for brand in chosen:
        for keys in groups:
            part = Part(brand.slug, DISCOVER + "+".join(keys))
            parts.append(part)
            if skipped[keys] is not None:
                idle.add(part)
        parts.append(Part(brand.slug, JUDGE))
    started = utcnow()
    with session_scope(rt.factory) as session:
        repo = ScanRepository(session)
        scan = repo.start([b.slug for b in chosen], trigger, owner=QUEUED)
        ScanParts(session).plan(scan.id, [(p.brand, p.part, p in idle) for p in parts])
        for part in idle:
            for result in skipped[tuple(part_keys(part.part))] or ():
                repo.record_run(scan.id, part.brand, result.key, result.status, 0, 0, result.reason, started)
        scan_id = scan.id
    log.info(
        "scan_queued", scan_id=scan_id, brands=[b.slug for b in chosen], parts=len(parts), idle=len(idle)
    )
    return Plan(scan_id, tuple(parts), frozenset(idle))


def _idle_runs(settings: Settings, keys: Sequence[str]) -> list[SourceResult] | None:
    """The skipped runs of a discovery part the settings switch off; None when it has work."""
    runs: list[SourceResult] = []
    for discoverer in _part_discoverers(settings, keys):
        idle = discoverer.idle()
        if idle is None:
            return None
        runs += idle
    return runs


def _part_discoverers(settings: Settings, keys: Sequence[str]) -> list[Discoverer]:
    """The discoverers one discovery part runs."""
    return [
        d for d in build_discoverers(settings, keys) if set(d.keys) & set(keys) and not (d.later or d.local)
    ]


async def discover(rt: Runtime, scan_id: int, brand: str, part: str) -> bool:
    """Run one discovery part; True when the brand's discovery is now complete (judge it)."""
    with session_scope(rt.factory) as session:
        parts = ScanParts(session)
        scan = ScanRepository(session).get(scan_id)
        if scan is None or scan.status != "running":
            return False
        if parts.state(scan_id, brand, part) == DONE:
            # An earlier attempt finished it (and may have died before the judgement was asked for).
            return parts.discovered(scan_id, brand)
        attempt = parts.begin(scan_id, brand, part)
    keys = part_keys(part)
    discoverers = _part_discoverers(rt.settings, keys)
    settings_brand = rt.settings.brand(brand)
    state = brand_state(lambda: session_scope(rt.factory), brand)
    started = utcnow()
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if batch:
            with session_scope(rt.factory) as session:
                ScanParts(session).add_leads(scan_id, brand, part, batch)
            batch.clear()

    async def emit(lead: Lead) -> None:
        batch.append(lead_to_json(lead))
        if len(batch) >= LEAD_BATCH:
            flush()

    def finished(result: SourceResult) -> None:
        _record_run(rt, scan_id, brand, result, started)

    scanner = Scanner(rt.settings, rt.engine, stop=rt.stop, turns=rt.turns, robots=rt.robots)
    endpoints = scanner.endpoints(discoverers)
    unchecked: set[str] = set()
    clean: set[str] = set()
    log.info("part_started", scan_id=scan_id, brand=brand, part=part, attempt=attempt)
    async with scanner.client(endpoints) as client:
        discovery = Discovery(
            brand=settings_brand,
            client=client,
            factory=rt.factory,
            emit=emit,
            finished=finished,
            progress=NullProgress(),
            stop=rt.stop,
            known=state.current,
            active=frozenset(i for i, k in state.known.items() if k.status == "active"),
            shared=StoreShared(rt.factory, scan_id, f"{rt.owner}:{uuid.uuid4().hex[:8]}", rt.stop),
        )
        for discoverer in discoverers:
            found = await _guarded(discoverer, discovery, rt.stop)
            if found is None:
                raise Released(f"{part} of {brand} stopped")
            unchecked |= found.unchecked
            clean |= found.clean
    if rt.stop.is_set():
        raise Released(f"{part} of {brand} stopped")
    flush()
    with session_scope(rt.factory) as session:
        parts = ScanParts(session)
        parts.finish(scan_id, brand, part, unchecked=unchecked, clean=clean)
        complete = parts.discovered(scan_id, brand)
    log.info("part_done", scan_id=scan_id, brand=brand, part=part, complete=complete)
    return complete


async def _guarded(discoverer: Discoverer, discovery: Discovery, stop: threading.Event) -> Found | None:
    """The discoverer's absences; a crash is recorded as its sources failing, never raised."""
    try:
        return await until_stop(discoverer.discover(discovery), stop)
    except Exception as exc:
        log.exception("discoverer_crashed", keys=list(discoverer.keys))
        for key in discoverer.keys:
            discovery.finished(SourceResult(key, "failed", reason=f"internal error ({type(exc).__name__})"))
        return Found()


def _record_run(rt: Runtime, scan_id: int, brand: str, result: SourceResult, started: datetime) -> None:
    if rt.stop.is_set() and result.status not in ("ok", "skipped"):
        return  # cut short by the stop: the part runs again and records it then
    with session_scope(rt.factory) as session:
        ScanRepository(session).record_run(
            scan_id,
            brand,
            result.key,
            result.status,
            result.requests,
            result.results,
            result.reason or None,
            started,
        )


@dataclass
class Judged:
    """A judgement's result: whether the whole scan is judged now (close it), and the scanner and
    report whose follow-ups are still to run (None when the judgement had already been made)."""

    complete: bool
    scanner: Scanner | None = None
    report: ScanReport | None = None


async def judge(
    rt: Runtime, scan_id: int, brand: str, sources: Sequence[str] | None, *, notify: bool = True
) -> Judged:
    """Judge and record the brand from the leads its discovery parts stored."""
    with session_scope(rt.factory) as session:
        parts = ScanParts(session)
        scan = ScanRepository(session).get(scan_id)
        if scan is None or scan.status != "running":
            return Judged(False)
        if parts.state(scan_id, brand, JUDGE) == DONE:
            return Judged(parts.judged(scan_id))
        states = [p for p in parts.parts(scan_id, brand) if p.part != JUDGE]
        runs = [r for r in ScanRepository(session).runs(scan_id) if r.brand == brand]
        parts.begin(scan_id, brand, JUDGE)
    keys = tuple(key for state in states for key in part_keys(state.part))
    results = [
        SourceResult(run.source, as_status(run.status), run.requests, run.results, reason=run.error or "")
        for run in runs
        if run.source in keys
    ]

    def read() -> list[dict[str, Any]]:
        with session_scope(rt.factory) as session:
            return ScanParts(session).leads(scan_id, brand)

    stored = StoredLeads(
        keys,
        read,
        results,
        frozenset().union(*(s.unchecked for s in states)),
        frozenset().union(*(s.clean for s in states)),
    )
    rest = [d for d in build_discoverers(rt.settings, sources) if d.later or d.local]
    scanner = Scanner(
        rt.settings, rt.engine, trigger="queue", stop=rt.stop, notify=notify, turns=rt.turns, robots=rt.robots
    )
    report = await scanner.judge(scan_id, brand, [stored, *rest])
    if rt.stop.is_set():
        # What was recorded stays (the next attempt sees it as known); the judgement runs again.
        raise Released(f"judgement of {brand} stopped")
    outcome = {"events": report.events, "candidates": report.candidates, "pages": dict(report.pages)}
    with session_scope(rt.factory) as session:
        parts = ScanParts(session)
        parts.finish(scan_id, brand, JUDGE, outcome=_jsonable(outcome))
        complete = parts.judged(scan_id)
    log.info("brand_judged", scan_id=scan_id, brand=brand, **report.counts())
    return Judged(complete, scanner, report)


def close(rt: Runtime, scan_id: int) -> ScanReport | None:
    """Close the scan once every brand is judged: status from its source runs, counts summed."""
    with session_scope(rt.factory) as session:
        parts = ScanParts(session)
        parts.lock_scan(scan_id)  # two last judgements never both close it
        repo = ScanRepository(session)
        scan = repo.get(scan_id)
        if scan is None or scan.status != "running" or not parts.judged(scan_id):
            return None
        report = stored_report(session, scan_id)
        ran = [s for s in report.sources if s.status != "skipped"]
        failed, brands = failed_judgements(session, scan_id)
        if failed:
            status = "failed" if failed == brands else "partial"
        elif not ran or all(s.status in ("failed", "blocked") for s in ran):
            status = "failed"
        elif all(s.status == "ok" for s in ran):
            status = "ok"
        else:
            status = "partial"
        repo.finish(scan, status, report.counts())
        parts.drop_leads(scan_id)
        report.status, report.finished_at = status, scan.finished_at
    log.info("scan_finished", scan_id=scan_id, status=status, **report.counts())
    return report


def give_up(rt: Runtime, scan_id: int, brand: str, part: str, error: str) -> None:
    """A part failed for good: its sources are recorded failed and the scan goes on without it."""
    with session_scope(rt.factory) as session:
        parts = ScanParts(session)
        if part != JUDGE:
            for key in part_keys(part):
                run = SourceResult(key, "failed", reason=error[:500])
                ScanRepository(session).record_run(
                    scan_id, brand, key, run.status, 0, 0, run.reason, utcnow()
                )
        parts.finish(scan_id, brand, part, outcome={"error": error[:500]} if part == JUDGE else None)
    log.error("part_failed", scan_id=scan_id, brand=brand, part=part, error=error[:500])


def as_status(value: str) -> SourceStatus:
    """A stored run's status as the source vocabulary (a run left running counts as failed)."""
    for status in get_args(SourceStatus):
        if value == status:
            return cast(SourceStatus, status)
    return "failed"


def _jsonable(value: Any) -> Any:
    """Event data as stored JSON (dates as ISO text)."""
    return json.loads(json.dumps(value, default=str))


__all__ = [
    "STOPPED",
    "Judged",
    "Plan",
    "Released",
    "Runtime",
    "close",
    "discover",
    "give_up",
    "judge",
    "plan_scan",
]
