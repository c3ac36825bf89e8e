"""Screenshots of findings' public pages after a scan: who is eligible, capture, archive, report.

Eligible: a page the monitor itself reads (web, Telegram, TikTok, YouTube; never Facebook), read
at the last attempt, judged impersonation or suspect, allowed by robots.txt, and with no
screenshot of the same URL within `screenshots.refresh_hours`. Captures run one or two at a
time; each PNG is stored once by SHA-256 in the evidence archive and listed as a "screenshot"
evidence file of its finding. Nothing here fails the scan: every finding ends with a note.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from monitor.capture.chromium import CaptureFailed, find_chromium
from monitor.capture.robots import RobotsGate
from monitor.capture.shooter import Shooter, Shot
from monitor.capture.texts import note_text, stored_note
from monitor.errors import EvidenceWriteError, FetchError, MonitorError, UnsafeURLError
from monitor.evidence import EvidenceArchive
from monitor.i18n import Language
from monitor.log import get_logger
from monitor.net.client import HttpClient
from monitor.scoring import FETCHED_PLATFORMS
from monitor.settings import Settings
from monitor.store.db import session_scope
from monitor.store.evidence_files import EvidenceFileRepository
from monitor.store.findings import FindingRepository

log = get_logger(__name__)

CAPTURED_VERDICTS = frozenset({"impersonation", "suspect"})
Status = Literal["stored", "skipped", "failed"]
# Failures of the capture itself; anything else that ends without a PNG is a skip by policy.
_FAILURES = frozenset(
    {"timeout", "blank", "no_image", "image_too_large", "browser_failed", "unreachable", "not_stored"}
)

Capture = Callable[[str], Awaitable[Shot]]


@dataclass(frozen=True)
class ScreenshotNote:
    """What became of one finding: a code for machines, words for people."""

    finding_id: int
    code: str
    url: str | None = None
    detail: str | None = None
    sha256: str | None = None
    refused: tuple[str, ...] = ()

    @property
    def status(self) -> Status:
        if self.code == "stored":
            return "stored"
        return "failed" if self.code in _FAILURES else "skipped"

    def text(self, lang: Language | None = None) -> str:
        return note_text(self.code, self.detail, lang)

    def as_json(self, lang: Language | None = None) -> dict[str, Any]:
        return {
            "finding_id": self.finding_id,
            "status": self.status,
            "code": self.code,
            "url": self.url,
            "sha256": self.sha256,
            "refused": list(self.refused),
            "note": self.text(lang),
        }


@dataclass
class ScreenshotReport:
    """Counts and per-finding notes of one screenshot round."""

    notes: list[ScreenshotNote] = field(default_factory=list)
    chromium: str | None = None

    def count(self, status: Status) -> int:
        return sum(1 for note in self.notes if note.status == status)

    @property
    def stored(self) -> int:
        return self.count("stored")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def failed(self) -> int:
        return self.count("failed")

    def as_json(self, lang: Language | None = None) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "skipped": self.skipped,
            "failed": self.failed,
            "chromium": self.chromium,
            "findings": [note.as_json(lang) for note in self.notes],
        }


async def capture_screenshots(
    settings: Settings,
    session_factory: sessionmaker[Session],
    finding_ids: Sequence[int],
    *,
    stop: asyncio.Event | None = None,
) -> ScreenshotReport:
    """Screenshot the eligible findings among finding_ids; never raises for a page or a missing browser."""
    return await run_screenshots(settings, session_factory, finding_ids, stop=stop)


async def run_screenshots(
    settings: Settings,
    session_factory: sessionmaker[Session],
    finding_ids: Sequence[int],
    *,
    stop: asyncio.Event | None = None,
    capture: Capture | None = None,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> ScreenshotReport:
    """capture_screenshots with its parts replaceable: `capture` takes one page (default: a Shooter)."""
    shots = settings.screenshots
    report = ScreenshotReport()
    ids = list(dict.fromkeys(finding_ids))
    if not shots.enabled:
        report.notes = [ScreenshotNote(i, "disabled") for i in ids]
        return report
    pages, report.notes = _eligible(session_factory, ids, settings, now or datetime.now(UTC))
    if not pages:
        return report
    if capture is None:
        executable = find_chromium(shots.chromium)
        if executable is None:
            log.warning("screenshot_no_chromium", configured=shots.chromium)
            wanted = shots.chromium or "chromium"
            report.notes += [ScreenshotNote(i, "no_chromium", url, wanted) for i, url in pages]
            return _sorted(report, ids)
        report.chromium = executable
        env = os.environ if environ is None else environ
        capture = Shooter.from_settings(settings, executable, environ=env).capture
    async with HttpClient.from_settings(settings.http, environ=environ) as client:
        gate = RobotsGate(settings.http, client)
        limit = asyncio.Semaphore(shots.concurrency)
        archive = EvidenceArchive(settings.evidence.dir)

        async def one(finding_id: int, url: str) -> ScreenshotNote:
            async with limit:
                if stop is not None and stop.is_set():
                    return ScreenshotNote(finding_id, "stopped", url)
                note = await _until_stopped(_capture_one(finding_id, url, gate, capture), stop)
            if note is None:
                return ScreenshotNote(finding_id, "stopped", url)
            if isinstance(note, _Taken) and note.shot is not None:
                try:
                    return _store(session_factory, archive, note, note.shot)
                except EvidenceWriteError as exc:  # a full or read-only evidence folder
                    log.warning("screenshot_not_stored", finding_id=finding_id, error=str(exc))
                    return ScreenshotNote(finding_id, "not_stored", url, str(exc))
            return note

        report.notes += await asyncio.gather(*(one(i, url) for i, url in pages))
    return _sorted(report, ids)


@dataclass(frozen=True)
class _Taken(ScreenshotNote):
    """A note that still carries its PNG until it is stored."""

    shot: Shot | None = None


async def _capture_one(finding_id: int, url: str, gate: RobotsGate, capture: Capture) -> ScreenshotNote:
    try:
        if not await gate.allows(url):
            return ScreenshotNote(finding_id, "robots", url)
    except UnsafeURLError as exc:
        return ScreenshotNote(finding_id, "unsafe", url, exc.message)
    except FetchError as exc:  # the host does not resolve (any more)
        return ScreenshotNote(finding_id, "unreachable", url, exc.message)
    try:
        shot = await capture(url)
    except UnsafeURLError as exc:
        return ScreenshotNote(finding_id, "unsafe", url, exc.message)
    except CaptureFailed as exc:
        log.info("screenshot_failed", finding_id=finding_id, code=exc.code)
        return ScreenshotNote(finding_id, exc.code, url, exc.detail)
    except (OSError, MonitorError) as exc:  # the temp folder, the proxy socket ...: never the scan's end
        log.warning("screenshot_error", finding_id=finding_id, error=type(exc).__name__)
        return ScreenshotNote(finding_id, "browser_failed", url, type(exc).__name__)
    refused = tuple(f"{target} ({reason})" for target, reason in shot.traffic.refused)
    return _Taken(finding_id, "stored", url, refused=refused, shot=shot)


async def _until_stopped(
    work: Awaitable[ScreenshotNote], stop: asyncio.Event | None
) -> ScreenshotNote | None:
    """The note of `work`, or None when `stop` is set first (the browser is then killed)."""
    task = asyncio.ensure_future(work)
    if stop is None:
        return await task
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return None


def _eligible(
    session_factory: sessionmaker[Session], ids: list[int], settings: Settings, now: datetime
) -> tuple[list[tuple[int, str]], list[ScreenshotNote]]:
    """(finding id, page URL) of the findings to capture, and notes for the others."""
    pages: list[tuple[int, str]] = []
    notes: list[ScreenshotNote] = []
    since = now - timedelta(hours=settings.screenshots.refresh_hours)
    with session_scope(session_factory) as session:
        findings = FindingRepository(session)
        files = EvidenceFileRepository(session)
        for finding_id in ids:
            finding = findings.by_id(finding_id)
            if finding is None:
                notes.append(ScreenshotNote(finding_id, "missing"))
                continue
            url = finding.url
            if finding.platform == "facebook":
                notes.append(ScreenshotNote(finding_id, "facebook", url))
            elif finding.platform not in FETCHED_PLATFORMS:
                notes.append(ScreenshotNote(finding_id, "platform", url, finding.platform))
            elif finding.verdict not in CAPTURED_VERDICTS:
                notes.append(ScreenshotNote(finding_id, "verdict", url, finding.verdict))
            elif finding.page_state != "read":
                state = "robots" if finding.page_state == "robots" else "not_read"
                notes.append(ScreenshotNote(finding_id, state, url, finding.page_state or "not_fetched"))
            elif any(
                f.source_url == url and _aware(f.created_at) >= since
                for f in files.for_finding(finding_id, kind="screenshot")
            ):
                hours = f"{settings.screenshots.refresh_hours:g}"
                notes.append(ScreenshotNote(finding_id, "recent", url, hours))
            else:
                pages.append((finding_id, url))
    return pages, notes


def _store(
    session_factory: sessionmaker[Session], archive: EvidenceArchive, note: ScreenshotNote, shot: Shot
) -> ScreenshotNote:
    traffic = shot.traffic
    with session_scope(session_factory) as session:
        sha256 = archive.store_bytes(session, shot.png, "image/png")
        EvidenceFileRepository(session).add(
            note.finding_id,
            sha256,
            "screenshot",
            filename=f"screenshot-{note.finding_id}-{sha256[:12]}.png",
            media_type="image/png",
            source_url=note.url,
            added_by="monitor",
            note=stored_note(traffic),
        )
    log.info("screenshot_stored", finding_id=note.finding_id, sha256=sha256, refused=len(traffic.refused))
    return ScreenshotNote(note.finding_id, "stored", note.url, note.detail, sha256, note.refused)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _sorted(report: ScreenshotReport, ids: list[int]) -> ScreenshotReport:
    order = {finding_id: index for index, finding_id in enumerate(ids)}
    report.notes.sort(key=lambda note: order.get(note.finding_id, len(order)))
    return report
