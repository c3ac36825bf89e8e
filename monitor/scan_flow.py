"""One brand's discovery as a stream: leads -> one candidate per identity -> pages read meanwhile.

Discoverers emit leads into a bounded queue while they run; each identity is scheduled for a
page read once (when it is known, vouched for, or its pre-score is worth a request), so pages
are read while the searches still run, per-host politeness left to the client. The later
discoverers (the re-check of known pages) run once the others are done and their leads read.
Pages kept as evidence go to one archiver through a bounded queue: readers never wait for the
disk, bodies in memory stay bounded, and the pages waiting are stored together in one unit.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from monitor.candidates import Candidate, Identity, Sighting, candidate_of, canonical
from monitor.diff import REPORTABLE
from monitor.discover.base import Discoverer, Discovery, Found, Lead
from monitor.discover.readers import PageReader
from monitor.enrich.contacts import extract_all
from monitor.enrich.enricher import Enrichment
from monitor.evidence import Stored
from monitor.log import get_logger
from monitor.net.stop import until_stopped
from monitor.page_state import keeps_state, page_state
from monitor.scoring import ENRICH_FROM, Scores, judge, pre_score
from monitor.sources.base import SourceResult

log = get_logger(__name__)

ENRICH_CONCURRENCY = 8
LEAD_QUEUE = 256
# Pages waiting for a reader: roomy, so a slow host never holds the searches back.
PAGE_QUEUE = 4096
# Read pages waiting for the archiver (their bodies in memory), and the most stored in one unit.
ARCHIVE_QUEUE = 32
ARCHIVE_BATCH = 32
# The reason recorded for a source run the stop cut short (skipped, never failed).
STOPPED = "stopped"

T = TypeVar("T")

ReadPage = Callable[[Candidate, str, PageReader], Awaitable[Enrichment]]
# Archives pages' answers, in order: each enrichment comes back without its bodies, with what
# the archive stored (nothing in a dry run, where the bodies stay for nobody to store).
Archive = Callable[[Sequence[Enrichment]], Awaitable[list[tuple[Enrichment, tuple[Stored, ...]]]]]


@dataclass
class Gathered:
    """What one brand's discovery found and read, ready for judgement."""

    candidates: list[tuple[Candidate, Lead | None]] = field(default_factory=list)
    rechecks: list[Candidate] = field(default_factory=list)
    enrichments: dict[str, Enrichment] = field(default_factory=dict)
    archived: dict[str, tuple[Stored, ...]] = field(default_factory=dict)
    results: list[SourceResult] = field(default_factory=list)
    unchecked: set[str] = field(default_factory=set)
    clean: set[str] = field(default_factory=set)
    # Pages scheduled for a read the stop cut short: judged next scan, not now without their page.
    unread: set[str] = field(default_factory=set)
    sightings: int = 0


@dataclass
class _Seed:
    """The name and snippet a page was read with (contacts found in them are part of the page)."""

    name: str
    snippet: str


class BrandFlow:
    """Runs the discoverers for one brand and reads the pages worth reading as leads arrive."""

    def __init__(
        self,
        discovery: Discovery,
        discoverers: Sequence[Discoverer],
        readers: Mapping[str, PageReader],
        matcher: Awaitable[Scores],
        read_page: ReadPage,
        archive: Archive,
        stop: threading.Event,
        on_read: Callable[[int, int], None],
        allowlisted: set[str],
    ) -> None:
        self.discovery = discovery
        self.discoverers = discoverers
        self.readers = readers
        # Awaited by the first lead: the searches start while the brand's matcher is built.
        self._matcher = matcher
        self.matcher: Scores | None = None
        self.read_page = read_page
        self.archive = archive
        self.stop = stop
        self.on_read = on_read
        self.allowlisted = allowlisted
        self.out = Gathered()
        self._groups: dict[str, tuple[Identity, list[Sighting]]] = {}
        self._ready: dict[str, Lead] = {}
        self._rechecks: dict[str, Candidate] = {}
        self._vouched: set[str] = set()
        self._scheduled: set[str] = set()
        self._seeds: dict[str, _Seed] = {}
        # The candidate last built for an identity, and from how many of its sightings.
        self._built: dict[str, tuple[int, Candidate]] = {}
        self._skipped = 0
        self._read = 0
        self._reported: set[str] = set()
        self._archive_failed: Exception | None = None

    async def run(self, finished: Callable[[SourceResult], None]) -> Gathered:
        leads: asyncio.Queue[Lead] = asyncio.Queue(LEAD_QUEUE)
        pages: asyncio.Queue[tuple[Candidate, str, PageReader] | None] = asyncio.Queue(PAGE_QUEUE)

        def done(result: SourceResult) -> None:
            self._reported.add(result.key)
            self.out.results.append(result)
            finished(result)

        self.discovery.emit = leads.put
        self.discovery.finished = done
        kept: asyncio.Queue[tuple[str, Enrichment] | None] = asyncio.Queue(ARCHIVE_QUEUE)
        consumer = asyncio.create_task(self._consume(leads, pages))
        archiver = asyncio.create_task(self._archiver(kept))
        workers = [asyncio.create_task(self._reader(pages, kept)) for _ in range(ENRICH_CONCURRENCY)]
        try:
            early = [d for d in self.discoverers if not d.later]
            await _beside(self._phase(early), consumer)
            await _beside(leads.join(), consumer)
            self.discovery.seen = frozenset(self._groups) | frozenset(self._ready)
            self.discovery.unchecked = frozenset(self.out.unchecked)
            if not self.stop.is_set():
                await _beside(self._phase([d for d in self.discoverers if d.later]), consumer)
                await _beside(leads.join(), consumer)
            for _ in workers:
                await pages.put(None)
            await asyncio.gather(*workers)
            await kept.put(None)
            await archiver
        finally:
            consumer.cancel()
            archiver.cancel()
            for task in workers:
                task.cancel()
        if self._skipped:
            log.info("candidates_skipped_urls", brand=self.discovery.brand.slug, count=self._skipped)
        self._assemble()
        return self.out

    async def _phase(self, discoverers: Sequence[Discoverer]) -> None:
        found = await asyncio.gather(*(self._guarded(d) for d in discoverers))
        for item in found:
            self.out.unchecked |= item.unchecked
            self.out.clean |= item.clean

    async def _guarded(self, discoverer: Discoverer) -> Found:
        try:
            found = await until_stop(discoverer.discover(self.discovery), self.stop)
        except Exception as exc:
            # A bug in one discoverer must not end the scan: its keys show as failed.
            log.exception("discoverer_crashed", keys=list(discoverer.keys))
            for key in discoverer.keys:
                reason = f"internal error ({type(exc).__name__})"
                self.discovery.finished(SourceResult(key, "failed", reason=reason))
            return Found()
        if found is None:
            # Cut short by the stop: its leads so far are kept, its unfinished sources were skipped.
            for key in discoverer.keys:
                if key not in self._reported:
                    self.discovery.finished(SourceResult(key, "skipped", reason=STOPPED))
            return Found()
        return found

    async def _consume(
        self, leads: asyncio.Queue[Lead], pages: asyncio.Queue[tuple[Candidate, str, PageReader] | None]
    ) -> None:
        # Shielded: the flow cancels this consumer when it ends, and the brand's matcher (shared
        # with the final judgement) must not be cancelled with it when no lead ever came.
        self.matcher = await asyncio.shield(self._matcher)
        while True:
            lead = await leads.get()
            try:
                await self._take(lead, pages)
            except Exception:
                log.exception("lead_failed", brand=self.discovery.brand.slug)
            finally:
                leads.task_done()
            # Let a search start its next request on time rather than after a burst of leads.
            await asyncio.sleep(0)

    async def _take(self, lead: Lead, pages: asyncio.Queue[tuple[Candidate, str, PageReader] | None]) -> None:
        if lead.sighting is not None:
            self.out.sightings += 1
            ident = canonical(lead.sighting.url)
            if ident is None:
                self._skipped += 1
                return
            group = self._groups.setdefault(ident.identity, (ident, []))
            group[1].append(lead.sighting)
            if lead.vouched:
                self._vouched.add(ident.identity)
            if ident.identity in self._scheduled:
                return
            reader = self.readers.get(ident.platform)
            if reader is None:
                return
            candidate = self._candidate(ident, group[1])
            await self._schedule(candidate, reader, pages, self._worth(candidate))
        elif lead.candidate is not None:
            candidate = lead.candidate
            if lead.recheck:
                self._rechecks[candidate.identity] = candidate
            else:
                self._ready.setdefault(candidate.identity, lead)
                if not lead.read or candidate.identity in self._groups:
                    return
            reader = self.readers.get(candidate.platform)
            if reader is not None and candidate.identity not in self._scheduled:
                await self._schedule(candidate, reader, pages, lead.recheck or self._worth(candidate))

    def _candidate(self, ident: Identity, seen: list[Sighting]) -> Candidate:
        built = self._built.get(ident.identity)
        if built is not None and built[0] == len(seen):
            return built[1]
        candidate = candidate_of(self.discovery.brand.slug, ident, seen)
        self._built[ident.identity] = (len(seen), candidate)
        return candidate

    def _worth(self, candidate: Candidate) -> bool:
        identity = candidate.identity
        if identity in self.discovery.known or identity in self._vouched:
            return True
        assert self.matcher is not None  # set before the first lead is taken
        return pre_score(self.matcher, candidate).score >= ENRICH_FROM

    async def _schedule(
        self,
        candidate: Candidate,
        reader: PageReader,
        pages: asyncio.Queue[tuple[Candidate, str, PageReader] | None],
        worth: bool,
    ) -> None:
        if not worth:
            return
        url = reader.page_url(candidate)
        if not url:
            return
        self._scheduled.add(candidate.identity)
        self._seeds[candidate.identity] = _Seed(candidate.name, " ".join(candidate.snippets[:3]))
        await pages.put((candidate, url, reader))

    async def _reader(
        self,
        pages: asyncio.Queue[tuple[Candidate, str, PageReader] | None],
        kept: asyncio.Queue[tuple[str, Enrichment] | None],
    ) -> None:
        while (item := await pages.get()) is not None:
            candidate, url, reader = item
            if self.stop.is_set() or self._archive_failed is not None:
                continue
            enrichment = await until_stop(self.read_page(candidate, url, reader), self.stop)
            if enrichment is None:
                continue  # the stop ended the read; the page is read next scan
            # Judged now while the searches run; the scorer remembers it for the final judgement.
            assert self.matcher is not None  # set before any page is scheduled
            verdict = judge(self.matcher, candidate, enrichment, self.allowlisted).data.verdict
            self.out.enrichments[candidate.identity] = enrichment
            if enrichment.responses and self._recorded(candidate, enrichment, verdict):
                await kept.put((candidate.identity, enrichment))  # the archiver drops its bodies
            log.debug("page_read", identity=candidate.identity, outcome=enrichment.outcome)
            self._read += 1
            self.on_read(self._read, len(self._scheduled))

    async def _archiver(self, kept: asyncio.Queue[tuple[str, Enrichment] | None]) -> None:
        """Store the kept pages, the ones waiting together; raises the archive's failure at the end.

        After a failure (a full disk) the queue is still drained, so no reader waits for ever,
        and no more pages are read."""
        done = False
        while not done:
            batch: list[tuple[str, Enrichment]] = []
            item = await kept.get()
            while item is not None:
                batch.append(item)
                if len(batch) >= ARCHIVE_BATCH or kept.empty():
                    break
                item = kept.get_nowait()
            done = item is None
            if not batch or self._archive_failed is not None:
                continue
            try:
                stored = await self.archive([enrichment for _, enrichment in batch])
                for (identity, _), (enrichment, archived) in zip(batch, stored, strict=True):
                    self.out.enrichments[identity] = enrichment
                    if archived:
                        self.out.archived[identity] = archived
            except Exception as exc:  # whatever broke, the queue is still drained
                self._archive_failed = exc
        if self._archive_failed is not None:
            raise self._archive_failed

    def _recorded(self, candidate: Candidate, enrichment: Enrichment, verdict: str) -> bool:
        """Whether this page will be kept as evidence; other bodies wait for the final judgement."""
        identity = candidate.identity
        if identity in self._rechecks:
            if keeps_state(candidate.platform, page_state(enrichment)):
                return False  # a failed re-check keeps the old state and archives nothing
            return enrichment.outcome in ("content", "unavailable")
        if identity in self.discovery.known:
            return True
        return verdict in REPORTABLE and enrichment.outcome != "unavailable"

    def _assemble(self) -> None:
        """Final candidates in order of first sighting, then ready-made ones nothing else found."""
        out = self.out
        for ident, seen in self._groups.values():
            out.candidates.append((self._candidate(ident, seen), None))
        for identity, lead in self._ready.items():
            if identity not in self._groups and lead.candidate is not None:
                out.candidates.append((lead.candidate, lead))
        out.rechecks = list(self._rechecks.values())
        out.unread = self._scheduled - set(out.enrichments)
        for candidate, _ in out.candidates:
            self._reseed(candidate)

    def _reseed(self, candidate: Candidate) -> None:
        """Later sightings may bring a name or snippet the page was not read with: their contacts count."""
        seed = self._seeds.get(candidate.identity)
        enrichment = self.out.enrichments.get(candidate.identity)
        if seed is None or enrichment is None:
            return
        snippet = " ".join(candidate.snippets[:3])
        if seed.name == candidate.name and seed.snippet == snippet:
            return
        extra = extract_all(text for text in (candidate.name, snippet) if text)
        self.out.enrichments[candidate.identity] = replace(
            enrichment, contacts=enrichment.contacts.merge(extra)
        )


async def until_stop(work: Awaitable[T], stop: threading.Event) -> T | None:
    """`work`'s result, or None as soon as `stop` is set (the work is then cancelled)."""
    if stop.is_set():
        if inspect.iscoroutine(work):
            work.close()
        return None
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(until_stopped(stop))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        watcher.cancel()
    if not task.done():
        task.cancel()
        await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # whatever it ended with while stopping is let go
        return None
    if task.cancelled():
        return None
    return task.result()


async def _beside(work: Awaitable[None], consumer: asyncio.Task[None]) -> None:
    """Await `work` while the lead consumer lives; if the consumer broke, its error ends the flow
    (discoverers waiting on a full queue would otherwise wait for ever)."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task, consumer}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # cancelled (a stop, Ctrl-C): the work goes with it
        task.cancel()
        raise
    if task in done:
        task.result()
        return
    task.cancel()
    consumer.result()
    raise RuntimeError("the lead consumer stopped")
