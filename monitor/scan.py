"""One scan: sources -> candidates -> enrichment -> matcher -> store -> diff -> alerts.

With scan.py and digest.py the only modules that know the whole pipeline. What a scan learns is
committed per source run and per candidate, so an interrupted scan leaves a consistent store:
the next scan neither duplicates findings or alerts nor loses any. The absence pass (misses,
"gone") runs only when every stage before it completed.
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

from monitor.candidates import Candidate, merge
from monitor.diff import Known, absent, observe
from monitor.domains import bridge
from monitor.domains.lookalike import Lookalike, LookalikeResult, run_lookalikes
from monitor.enrich.enricher import Enrichment, enrich
from monitor.enrich.logo import LogoBook
from monitor.errors import MonitorError
from monitor.evidence import EvidenceArchive, Fetched
from monitor.log import get_logger
from monitor.matching.matcher import Matcher
from monitor.matching.profile import BrandProfile
from monitor.net.client import HttpClient
from monitor.net.urls import loggable
from monitor.notify.channels import deliver_alerts
from monitor.notify.email import email_configured
from monitor.notify.outbox import enqueue_alerts
from monitor.page_state import is_failed_check, keeps_state, page_note, page_state
from monitor.redact import scrub
from monitor.report import NullProgress, Progress, ScanReport, SourceReport, finding_view
from monitor.scoring import ENRICH_FROM, content_hash, judge, page_url, pre_score
from monitor.settings import BrandSettings, Settings
from monitor.sources import SearchSource, SourceResult, build_sources
from monitor.store.db import session_factory, session_scope
from monitor.store.findings import FindingData, FindingRepository, as_known, snapshot
from monitor.store.scan_lock import ScanLock
from monitor.store.scans import SCAN_HEARTBEAT_SECONDS, ScanRepository
from monitor.store.schema import utcnow

log = get_logger(__name__)

ENRICH_CONCURRENCY = 8


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

    def __post_init__(self) -> None:
        self.factory: sessionmaker[Session] = session_factory(self.engine)
        self.archive = EvidenceArchive(self.settings.evidence.dir)
        self._logo_books: dict[str, LogoBook] = {}
        self._claim: ScanLock | None = None
        self._beating: asyncio.Task[None] | None = None

    async def run(
        self, brands: Sequence[str] | None = None, sources: Sequence[str] | None = None
    ) -> ScanReport:
        chosen = [self.settings.brand(slug) for slug in brands] if brands else list(self.settings.brands)
        for brand in chosen:
            self._logos(brand.slug)  # an unreadable logo file is a config error, before anything runs
        report = ScanReport(scan_id=None, started_at=utcnow(), dry_run=True)
        if not self.dry_run:
            # One scan per brand at a time across processes: ScanBusyError while another live one runs.
            claim, slugs = ScanLock(self.engine), [b.slug for b in chosen]
            if self.wait:
                scan = claim.start_waiting(slugs, self.trigger, self.stop)
            else:
                scan = claim.start(slugs, self.trigger)
            self._claim, self._beating = claim, asyncio.create_task(self._heartbeat(claim))
            report = ScanReport(scan_id=scan.id, started_at=scan.started_at)
        log.info(
            "scan_started", scan_id=report.scan_id, brands=[b.slug for b in chosen], dry_run=self.dry_run
        )
        try:
            async with HttpClient.from_settings(self.settings.http, trusted_urls=self._endpoints()) as client:
                for brand in chosen:
                    if self.stop.is_set():
                        break
                    await self._scan_brand(client, brand, sources, report)
        except BaseException as exc:
            self._abandon(report, exc)
            raise
        return await self._finish(report)

    def _endpoints(self) -> list[str]:
        """Configured API endpoints: no SSRF guard and no robots.txt for them (they are ours to call)."""
        s = self.settings.sources

        def under(base: str | None, *paths: str) -> list[str]:
            return [f"{base.rstrip('/')}/{path}" for path in paths] if base else []

        # Exact URLs the sources call (the query string aside), never whole origins.
        urls = [
            s.brave.url,
            *under(s.searxng.url, "search"),
            s.duckduckgo.url,
            s.google_cse.url,
            s.crtsh.url,
            *under(s.youtube.api_url, "search", "channels"),
            s.tiktok.oembed_url,
        ]
        return [url for url in urls if url]

    def _unit(self) -> Any:
        """One transaction; in a dry run everything is rolled back."""
        return _DryRun(self.factory) if self.dry_run else session_scope(self.factory)

    async def _scan_brand(
        self, client: HttpClient, brand: BrandSettings, only: Sequence[str] | None, report: ScanReport
    ) -> None:
        bound = log.bind(scan_id=report.scan_id, brand=brand.slug)
        searches = [s for s in build_sources(self.settings.sources, client) if not only or s.key in only]
        domains_task = asyncio.create_task(self._run_lookalikes(client, brand, only, report))
        results = await self._run_sources(searches, brand, report)
        lookalikes = await domains_task
        if lookalikes is not None:
            results += bridge.as_results(lookalikes)
        sightings = [sighting for result in results for sighting in result.sightings]
        candidates = merge(sightings, brand.slug)
        domain_names: dict[str, Lookalike] = {}
        if lookalikes is not None:
            taken = {c.identity for c in candidates}
            for candidate, item in zip(
                bridge.as_candidates(lookalikes, brand.slug), lookalikes.lookalikes, strict=True
            ):
                if candidate.identity not in taken:
                    candidates.append(candidate)
                    domain_names[candidate.identity] = item
        report.candidates += len(candidates)
        self.progress.candidates(brand.slug, len(candidates))
        bound.info("candidates_merged", sightings=len(sightings), candidates=len(candidates))
        matcher = Matcher(BrandProfile.from_settings(brand))
        with self._unit() as session:
            repo = FindingRepository(session)
            rows = repo.all_for(brand.slug)
            known = {row.identity: as_known(row) for row in rows}
            current = {row.identity: snapshot(row) for row in rows}
            allowlisted = repo.allowlisted(brand.slug)
        seen_ids = {c.identity for c in candidates}
        # A look-alike whose DNS answer was unknown (SERVFAIL, timeout) was not checked: no miss.
        unchecked = {f"web:{key}" for key in lookalikes.unknown} if lookalikes is not None else set()
        # Known findings the searches did not return: read their pages, so a live account is never
        # called gone and a removed one is seen as taken down.
        rechecks = [
            Candidate(
                brand=brand.slug, platform=data.platform, identity=data.identity, url=data.url, name=data.name
            )
            for identity, data in current.items()
            if known[identity].status == "active" and identity not in seen_ids | unchecked
        ]
        # Look-alike homepages were read by the domains source already.
        worth = [
            c
            for c in candidates
            if c.identity not in domain_names
            and (c.identity in known or pre_score(matcher, c).score >= ENRICH_FROM)
        ]
        enrichments = await self._enrich_all(client, brand.slug, [*worth, *rechecks])
        for checked_page in enrichments.values():
            report.page_checked(page_state(checked_page))
        for candidate in candidates:
            if self.stop.is_set():
                return
            enrichment = enrichments.get(candidate.identity)
            domain = domain_names.get(candidate.identity)
            other = (
                [domain.display, candidate.snippets[0]] if domain is not None and candidate.snippets else []
            )
            judged = judge(matcher, candidate, enrichment, allowlisted, other).data
            before = current.get(candidate.identity)
            if before is not None and is_failed_check(judged.page_state) and judged.score < before.score:
                # An unreadable page hid what it said last time: the stored judgement stands.
                judged = replace(
                    judged,
                    score=before.score,
                    verdict=before.verdict,
                    reasons=before.reasons,
                    signals=before.signals or judged.signals,
                )
            documents = [bridge.evidence_document(domain)] if domain is not None else []
            self._apply(report, known.get(candidate.identity), judged, enrichment, documents)
        alive: set[str] = set()
        unread: dict[str, Enrichment] = {}
        for recheck in rechecks:
            enrichment = enrichments.get(recheck.identity)
            if enrichment is not None and keeps_state(recheck.platform, page_state(enrichment)):
                unread[recheck.identity] = enrichment  # a failed check keeps the old state
                continue
            if enrichment is None or enrichment.outcome not in ("content", "unavailable"):
                continue  # not read: the absence rules below decide
            if self.stop.is_set():
                return
            alive.add(recheck.identity)
            data = replace(
                current[recheck.identity],
                page=enrichment.outcome,
                sources=frozenset(),
                content_hash=content_hash(enrichment),
                signals=enrichment.signals or current[recheck.identity].signals,
                page_state=page_state(enrichment),
                page_note=page_note(enrichment),
            )
            self._apply(report, known[recheck.identity], data, enrichment)
        if self.stop.is_set():
            return
        if unread:
            with self._unit() as session:
                repo = FindingRepository(session)
                for identity, enrichment in unread.items():
                    repo.note_page(brand.slug, identity, page_state(enrichment), page_note(enrichment))
        clean = {r.key for r in results if r.status == "ok"}
        if lookalikes is not None and lookalikes.parts["dns"].status == "partial":
            # Only the names in `unknown` went unanswered, and those are never counted as misses.
            clean.add("domains")
        checked = seen_ids | alive | unchecked | set(unread)
        self._absences(report, brand.slug, known, checked, frozenset(clean))

    async def _run_lookalikes(
        self, client: HttpClient, brand: BrandSettings, only: Sequence[str] | None, report: ScanReport
    ) -> LookalikeResult | None:
        s = self.settings.sources
        wanted = not only or "domains" in only or "crtsh" in only
        if not wanted or (s.domains.enabled is False and s.crtsh.enabled is False):
            return None
        started = utcnow()
        domains = (
            s.domains if not only or "domains" in only else s.domains.model_copy(update={"enabled": False})
        )
        crtsh = s.crtsh if not only or "crtsh" in only else s.crtsh.model_copy(update={"enabled": False})
        result = await run_lookalikes(
            brand,
            domains,
            crtsh,
            client,
            progress=lambda done, total: self.progress.names_resolved(brand.slug, done, total),
        )
        for run in bridge.as_results(result):
            self._record_run(report, brand.slug, run, started)
            self.progress.source_done(brand.slug, run)
        return result

    async def _run_sources(
        self, searches: list[SearchSource[Any]], brand: BrandSettings, report: ScanReport
    ) -> list[SourceResult]:
        started = utcnow()

        async def one(source: SearchSource[Any]) -> SourceResult:
            result = await source.run(source.plan(brand))
            self._record_run(report, brand.slug, result, started)
            self.progress.source_done(brand.slug, result)
            return result

        return list(await asyncio.gather(*(one(source) for source in searches)))

    def _record_run(self, report: ScanReport, brand: str, result: SourceResult, started: datetime) -> None:
        error = result.reason or None
        report.sources.append(
            SourceReport(result.key, brand, result.status, result.requests, result.results, error)
        )
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

    async def _enrich_all(
        self, client: HttpClient, brand: str, candidates: list[Candidate]
    ) -> dict[str, Enrichment]:
        gate = asyncio.Semaphore(ENRICH_CONCURRENCY)
        targets = [(c, page_url(c.platform, c.identity, c.url, self.settings.sources)) for c in candidates]
        todo = [(c, url) for c, url in targets if url]
        done = 0
        out: dict[str, Enrichment] = {}
        youtube_key = self.settings.sources.youtube.api_key
        logos = self._logos(brand)

        async def one(candidate: Candidate, url: str) -> None:
            nonlocal done
            async with gate:
                if self.stop.is_set():
                    return
                try:
                    out[candidate.identity] = await enrich(
                        client,
                        url,
                        candidate.platform,
                        name=candidate.name,
                        snippet=" ".join(candidate.snippets[:3]),
                        youtube_api_key=youtube_key.get_secret_value() if youtube_key else None,
                        youtube_api_url=self.settings.sources.youtube.api_url,
                        tiktok_oembed_url=self.settings.sources.tiktok.oembed_url,
                    )
                except Exception as exc:
                    # One page must never end the scan, whatever it holds: it is recorded as not read.
                    log.warning(
                        "enrich_failed",
                        url=loggable(url),
                        error=type(exc).__name__,
                        detail=scrub(str(exc), self.settings.secret_values())[:200],
                    )
                    out[candidate.identity] = Enrichment(
                        url=url, platform=candidate.platform, outcome="failed", reason="read_error"
                    )
                if logos:
                    out[candidate.identity] = await self._check_logo(client, logos, out[candidate.identity])
            done += 1
            self.progress.enriched(brand, done, len(todo))

        await asyncio.gather(*(one(c, url) for c, url in todo))
        return out

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

    def _apply(
        self,
        report: ScanReport,
        known: Known | None,
        data: FindingData,
        enrichment: Enrichment | None,
        documents: Sequence[Fetched] = (),
    ) -> None:
        """One candidate in its own transaction: evidence, finding, history and queued alerts."""
        change = observe(known, data.seen())
        if change.outcome == "kept" and known is None:
            return
        with self._unit() as session:
            stored = []
            if not self.dry_run:
                fetched = [*(enrichment.responses if enrichment is not None else ()), *documents]
                stored = [self.archive.store(session, response) for response in fetched]
            if stored:
                data = _with_evidence(data, stored[0].sha256)
            finding, observation = FindingRepository(session).apply_sighting(change, data, report.scan_id)
            if finding is None:
                return
            for item in stored:
                self.archive.link(session, item.capture_id, finding.id)
            if observation is not None:
                report.events[observation.event].append(finding_view(finding, finding.id))
                if self.notify and not self.dry_run:
                    enqueue_alerts(
                        session,
                        finding,
                        observation,
                        self.settings.alerts,
                        email_configured(self.settings.email),
                    )

    def _absences(
        self, report: ScanReport, brand: str, known: dict[str, Known], seen: set[str], clean: frozenset[str]
    ) -> None:
        gone_after = self.settings.lifecycle.gone_after_misses
        with self._unit() as session:
            repo = FindingRepository(session)
            for identity, state in known.items():
                if identity in seen:
                    continue
                finding, observation = repo.apply_absence(
                    brand, absent(state, clean, gone_after), report.scan_id
                )
                if finding is not None and observation is not None:
                    report.events["gone"].append(finding_view(finding, finding.id))

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
        if self.notify and not self.dry_run:
            delivery = await deliver_alerts(self.factory, self.settings, self.settings.brands)
            log.info("alerts_delivered", scan_id=report.scan_id, sent=delivery.sent, failed=delivery.failed)
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


def _with_evidence(data: FindingData, sha256: str) -> FindingData:
    return replace(data, evidence_sha256=sha256)
