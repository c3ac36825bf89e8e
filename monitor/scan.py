"""The scan conductor: discoverers, page readers, matcher, recorder and follow-ups from registries.

It names no concrete source, page reader or channel. Per brand: the discoverers stream leads
while pages worth reading are read (scan_flow), the candidates are judged and recorded
(scan_record), then the follow-up steps run. What a scan learns is committed per source run and
per small batch of whole candidates, so an interrupted scan leaves a consistent store: the next
scan neither duplicates findings or alerts nor loses any. The absence pass (misses, "gone") runs only when
every stage before it completed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from monitor.candidates import Candidate
from monitor.discover.base import Discoverer, Discovery
from monitor.discover.readers import PageReader, build_readers
from monitor.discover.registry import build_discoverers
from monitor.enrich.enricher import Enrichment
from monitor.enrich.logo import LogoBook
from monitor.errors import MonitorError
from monitor.evidence import EvidenceArchive, Fetched, Stored
from monitor.followups import FollowUpContext, run_followups
from monitor.heap import older_objects_aside
from monitor.log import get_logger
from monitor.net.client import HttpClient
from monitor.net.robots import RobotsMemory
from monitor.net.turns import SharedTurns
from monitor.net.urls import loggable
from monitor.notify.channels import deliver_alerts
from monitor.notify.outbox import enqueue_alerts
from monitor.page_state import page_state
from monitor.redact import scrub
from monitor.report import NullProgress, Progress, ScanReport, SourceReport
from monitor.scan_flow import ENRICH_CONCURRENCY, STOPPED, BrandFlow
from monitor.scan_record import Recorder, brand_state
from monitor.scoring import Scorer, scorer_for
from monitor.settings import BrandSettings, Settings
from monitor.shared import MemoryShared, SharedWork
from monitor.sources.base import SourceResult
from monitor.store.db import session_factory, session_scope
from monitor.store.scan_lock import ScanLock
from monitor.store.scans import SCAN_HEARTBEAT_SECONDS, ScanRepository
from monitor.store.schema import Finding, Observation, utcnow

log = get_logger(__name__)

__all__ = ["ENRICH_CONCURRENCY", "Scanner"]


@dataclass
class Scanner:
    """Runs scans with one configuration and one database."""

    settings: Settings
    engine: Engine
    trigger: str = "cli"
    dry_run: bool = False
    notify: bool = True
    stop: threading.Event = field(default_factory=threading.Event)
    progress: Progress = field(default_factory=NullProgress)
    # A brand another live process is scanning: wait for it (until `stop`) instead of refusing.
    wait: bool = False
    heartbeat_seconds: float = SCAN_HEARTBEAT_SECONDS
    # Request start times shared with other processes (workers of the job queue); None: this one only.
    turns: SharedTurns | None = None
    # robots.txt rules the process learned before this scan (a worker's earlier jobs); None: its own.
    robots: RobotsMemory | None = None

    def __post_init__(self) -> None:
        self.factory: sessionmaker[Session] = session_factory(self.engine)
        self.archive = EvidenceArchive(self.settings.evidence.dir)
        self.readers: dict[str, PageReader] = build_readers(self.settings)
        self._logo_books: dict[str, LogoBook] = {}
        self._claim: ScanLock | None = None
        self._beating: asyncio.Task[None] | None = None
        self._scorers: dict[str, asyncio.Future[Scorer]] = {}
        self._shared: SharedWork | None = None
        # The running scan's report, also when the run is cancelled before it returns.
        self.report: ScanReport | None = None
        # Follow-up steps of each recorded brand, run after the scan is finished (see _finish).
        self._pending: list[FollowUpContext] = []

    async def run(
        self, brands: Sequence[str] | None = None, sources: Sequence[str] | None = None
    ) -> ScanReport:
        with older_objects_aside():  # no full garbage collection stops the scan's requests
            return await self._run(brands, sources)

    async def _run(self, brands: Sequence[str] | None, sources: Sequence[str] | None) -> ScanReport:
        chosen = [self.settings.brand(slug) for slug in brands] if brands else list(self.settings.brands)
        for brand in chosen:
            self._logos(brand.slug)  # an unreadable logo file is a config error, before anything runs
        discoverers = build_discoverers(self.settings, sources)
        # The brands' matchers are built beside the start-up work (claims, the client).
        self._scorers = {b.slug: asyncio.ensure_future(asyncio.to_thread(scorer_for, b)) for b in chosen}
        report = ScanReport(scan_id=None, started_at=utcnow(), dry_run=True)
        # The brands of this scan share their answers: a query or a DNS name is asked once.
        self._shared = MemoryShared()
        # The HTTP client's TLS context is loaded beside the claim.
        tls = asyncio.ensure_future(HttpClient.prepare())
        tls.add_done_callback(lambda done: done.cancelled() or done.exception())
        if not self.dry_run:
            # One scan per brand at a time across processes: ScanBusyError while another live one runs.
            claim, slugs = ScanLock(self.engine), [b.slug for b in chosen]
            if self.wait:
                scan = claim.start_waiting(slugs, self.trigger, self.stop)
            else:
                scan = claim.start(slugs, self.trigger)
            self._claim, self._beating = claim, asyncio.create_task(self._heartbeat(claim))
            report = ScanReport(scan_id=scan.id, started_at=scan.started_at)
        self.report = report
        self._pending = []
        log.info(
            "scan_started", scan_id=report.scan_id, brands=[b.slug for b in chosen], dry_run=self.dry_run
        )
        trusted = self.endpoints(discoverers)
        try:
            await tls
            async with self.client(trusted) as client:
                for brand in chosen:
                    if self.stop.is_set():
                        break
                    await self._scan_brand(client, brand, discoverers, report)
        except BaseException as exc:
            self._abandon(report, exc)
            raise
        return await self._finish(report)

    async def judge(self, scan_id: int, slug: str, discoverers: Sequence[Discoverer]) -> ScanReport:
        """One brand's judgement within a scan run as jobs: the discoverers given (the leads earlier
        jobs gathered, then the later ones), pages read, judged and recorded. The scan stays open
        for its other brands; alerts are queued for delivery, follow-ups wait for `followups`."""
        with older_objects_aside():
            return await self._judge(scan_id, slug, discoverers)

    async def _judge(self, scan_id: int, slug: str, discoverers: Sequence[Discoverer]) -> ScanReport:
        brand = self.settings.brand(slug)
        self._logos(slug)
        self._scorers = {slug: asyncio.ensure_future(asyncio.to_thread(scorer_for, brand))}
        report = ScanReport(scan_id=scan_id, started_at=utcnow())
        self.report = report
        self._pending = []
        async with self.client(self.endpoints(discoverers)) as client:
            await self._scan_brand(client, brand, discoverers, report)
        return report

    async def followups(self, report: ScanReport) -> None:
        """The follow-up steps of what `judge` recorded (after the alerts were handed over)."""
        for context in self._pending:
            report.followups += await run_followups(context)
        self._pending = []

    def client(self, trusted: Sequence[str]) -> HttpClient:
        """The scan's HTTP client: the declared APIs trusted, the stop honoured, turns shared."""
        return HttpClient.from_settings(
            self.settings.http,
            trusted_urls=list(trusted),
            stop=self.stop,
            turns=self.turns,
            robots=self.robots,
        )

    def endpoints(self, discoverers: Sequence[Discoverer]) -> list[str]:
        """API endpoints the parts declared: no SSRF guard and no robots.txt for them (exact URLs)."""
        declared = [url for d in discoverers for url in d.api_endpoints()]
        declared += [url for reader in self.readers.values() for url in reader.api_endpoints()]
        return list(dict.fromkeys(url for url in declared if url))

    def _unit(self) -> Any:
        """One transaction; in a dry run everything is rolled back."""
        return _DryRun(self.factory) if self.dry_run else session_scope(self.factory)

    async def _scan_brand(
        self, client: HttpClient, brand: BrandSettings, discoverers: Sequence[Discoverer], report: ScanReport
    ) -> None:
        bound = log.bind(scan_id=report.scan_id, brand=brand.slug)
        state = brand_state(self._unit, brand.slug)
        started = utcnow()
        discovery = Discovery(
            brand=brand,
            client=client,
            factory=self.factory,
            emit=_unset,
            finished=lambda result: None,
            progress=self.progress,
            stop=self.stop,
            known=state.current,
            active=frozenset(i for i, k in state.known.items() if k.status == "active"),
            shared=self._shared,
        )

        async def read(candidate: Candidate, url: str, reader: PageReader) -> Enrichment:
            return await self._read_page(client, brand.slug, candidate, url, reader)

        async def archive(
            enrichments: Sequence[Enrichment],
        ) -> list[tuple[Enrichment, tuple[Stored, ...]]]:
            if self.dry_run:
                return [(enrichment, ()) for enrichment in enrichments]
            # Archived now, so the bodies are not held until the brand is judged.
            stored = await asyncio.to_thread(self._archive, [e.responses for e in enrichments])
            return [(replace(e, responses=()), s) for e, s in zip(enrichments, stored, strict=True)]

        flow = BrandFlow(
            discovery,
            discoverers,
            self.readers,
            self._scorers[brand.slug],
            read,
            archive,
            self.stop,
            lambda done, total: self.progress.enriched(brand.slug, done, total),
            state.allowlisted,
        )
        gathered = await flow.run(lambda result: self._record_run(report, brand.slug, result, started))
        report.candidates += len(gathered.candidates)
        self.progress.candidates(brand.slug, len(gathered.candidates))
        bound.info("candidates_merged", sightings=gathered.sightings, candidates=len(gathered.candidates))
        for checked_page in gathered.enrichments.values():
            report.page_checked(page_state(checked_page))
        # Stopped or not, what was gathered is recorded; a stop skips the absences and follow-ups.
        recorder = Recorder(
            self._unit,
            self.archive,
            report,
            self.dry_run,
            self._queue_alerts if self.notify else None,
            self.stop.is_set,
        )
        gone_after = self.settings.lifecycle.gone_after_misses
        matcher = await self._scorers[brand.slug]
        recorded = recorder.record(brand.slug, matcher, state, gathered, gone_after)
        with self._unit() as session:
            for discoverer in discoverers:
                discoverer.recorded(session, recorded.findings)
        if self.dry_run or self.stop.is_set():
            return  # nothing was recorded, or the scan is stopping: no follow-up
        # Run once the scan is finished and its alerts are out: officers hear first, pictures follow.
        self._pending.append(
            FollowUpContext(
                self.settings, brand.slug, report.scan_id, self.factory, recorded.changes, self.stop
            )
        )

    def _record_run(self, report: ScanReport, brand: str, result: SourceResult, started: datetime) -> None:
        if self.stop.is_set() and result.status not in ("ok", "skipped"):
            # Its requests ended with Stopped: not a failure, and never a clean run for misses.
            result = replace(result, status="skipped", reason=STOPPED)
        error = result.reason or None
        report.sources.append(
            SourceReport(result.key, brand, result.status, result.requests, result.results, error)
        )
        self.progress.source_done(brand, result)
        if report.scan_id is None:
            return
        with self._unit() as session:
            ScanRepository(session).record_run(
                report.scan_id,
                brand,
                result.key,
                result.status,
                result.requests,
                result.results,
                error,
                started,
            )
        log.info(
            "source_run_recorded",
            scan_id=report.scan_id,
            brand=brand,
            source=result.key,
            status=result.status,
            requests=result.requests,
            results=result.results,
        )

    async def _read_page(
        self, client: HttpClient, brand: str, candidate: Candidate, url: str, reader: PageReader
    ) -> Enrichment:
        """The candidate's page through its platform's reader; one page never ends the scan."""
        try:
            result = await reader.read(client, candidate, url)
        except Exception as exc:
            # Whatever the page holds, it is recorded as not read.
            log.warning(
                "enrich_failed",
                url=loggable(url),
                error=type(exc).__name__,
                detail=scrub(str(exc), self.settings.secret_values())[:200],
            )
            result = Enrichment(url=url, platform=candidate.platform, outcome="failed", reason="read_error")
        logos = self._logos(brand)
        return await self._check_logo(client, logos, result) if logos else result

    def _archive(self, pages: Sequence[Sequence[Fetched]]) -> list[tuple[Stored, ...]]:
        """Each page's answers stored, all in one unit; their files are written before it opens
        (a unit holds SQLite's write lock, which the scan's own records wait for)."""
        answers = [response for page in pages for response in page]
        for response in answers:
            self.archive.write_ahead(response)
        with session_scope(self.factory) as session:
            stored = iter(self.archive.store_written(session, answers))
        return [tuple(next(stored) for _ in page) for page in pages]

    def _logos(self, slug: str) -> LogoBook:
        """The brand's official logos, hashed once per scanner."""
        book = self._logo_books.get(slug)
        if book is None:
            brand = self.settings.brand(slug)
            path = self.settings.brands_path
            book = LogoBook.load(brand.logo_files, path.parent, where=str(path))
            self._logo_books[slug] = book
        return book

    async def _check_logo(self, client: HttpClient, logos: LogoBook, result: Enrichment) -> Enrichment:
        """Fetch the page's profile image (through the guard and robots.txt) and compare it."""
        image_url = result.page.image_url if result.page is not None and result.outcome == "content" else None
        if not image_url:
            return result
        try:
            response = await client.get(image_url)
        except MonitorError as exc:
            log.info("logo_image_unavailable", url=loggable(image_url), error=str(exc))
            return result
        if response.status != 200:
            return result
        match = logos.match(response.body)
        if match is None:
            return result
        log.info("official_logo_used", url=loggable(result.url), logo=match.logo, distance=match.distance)
        return replace(result, logo=match, responses=(*result.responses, response))

    def _queue_alerts(self, session: Session, finding: Finding, observation: Observation) -> None:
        """Queue the alerts a recorded event deserves (delivered once the scan is finished)."""
        enqueue_alerts(session, finding, observation, self.settings)

    async def _finish(self, report: ScanReport) -> ScanReport:
        ran = [s for s in report.sources if s.status != "skipped"]
        if self.stop.is_set():
            report.status = "interrupted"
        elif not ran or all(s.status in ("failed", "blocked") for s in ran):
            report.status = "failed"
        elif all(s.status == "ok" for s in ran):
            report.status = "ok"
        else:
            report.status = "partial"
        try:
            with self._unit() as session:
                repo = ScanRepository(session)
                scan = repo.get(report.scan_id) if report.scan_id else None
                if scan is not None:
                    repo.finish(scan, report.status, report.counts())
                    report.finished_at = scan.finished_at
        finally:
            self._release()
        report.finished_at = report.finished_at or utcnow()
        log.info("scan_finished", scan_id=report.scan_id, status=report.status, **report.counts())
        # A stopping scan leaves its queued alerts to the next delivery round.
        if self.notify and not self.dry_run and not self.stop.is_set():
            delivery = await deliver_alerts(self.factory, self.settings, self.settings.brands)
            log.info("alerts_delivered", scan_id=report.scan_id, sent=delivery.sent, failed=delivery.failed)
        for context in self._pending:
            report.followups += await run_followups(context)
        return report

    async def _heartbeat(self, claim: ScanLock) -> None:
        """Keep the claim on the brands alive; if another process took them over, stop this scan."""
        while True:
            await asyncio.sleep(self.heartbeat_seconds)
            if not await asyncio.to_thread(claim.beat):
                log.warning("scan_claim_lost", scan_id=claim.scan_id, owner=claim.owner)
                self.stop.set()
                return

    def _release(self) -> None:
        """Stop the heartbeat and give the brands back."""
        beating, claim = self._beating, self._claim
        self._beating, self._claim = None, None
        if beating is not None:
            beating.cancel()
        if claim is not None:
            claim.release()

    def _abandon(self, report: ScanReport, exc: BaseException) -> None:
        """The scan broke off: record why and free its brands at once rather than after the timeout."""
        status = "failed" if isinstance(exc, Exception) else "interrupted"
        report.status = status
        try:
            if report.scan_id is not None and not self.dry_run:
                with session_scope(self.factory) as session:
                    repo = ScanRepository(session)
                    scan = repo.get(report.scan_id)
                    if scan is not None and scan.status == "running":
                        repo.finish(scan, status, report.counts(), f"{type(exc).__name__}: {exc}"[:500])
        except Exception as error:  # the store may be what broke: the brands must still be freed
            log.warning("scan_abandon_failed", scan_id=report.scan_id, error=type(error).__name__)
        finally:
            self._release()
        log.warning("scan_abandoned", scan_id=report.scan_id, status=status, error=type(exc).__name__)


async def _unset(lead: object) -> None:
    raise RuntimeError("leads are emitted only while a brand's discovery runs")


@dataclass
class _DryRun:
    """A session whose work is always rolled back."""

    factory: sessionmaker[Session]

    def __enter__(self) -> Session:
        self.session = self.factory()
        return self.session

    def __exit__(self, *exc: object) -> None:
        self.session.flush()
        self.session.rollback()
        self.session.close()
