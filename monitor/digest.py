"""The digest: one brand's period collected from the store, rendered, and sent once per period.

Each office's digest goes where its alerts go (monitor.notify.digest_route).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session, sessionmaker

from monitor.errors import NotifyError
from monitor.i18n import Language, tr
from monitor.log import get_logger
from monitor.notify.digest_mail import (
    EVENT_SECTIONS,
    ChannelLine,
    Digest,
    Section,
    render_digest,
    with_notes,
)
from monitor.notify.digest_route import DigestRoute, digest_reaches_anyone, digest_route
from monitor.notify.messages import health_lines
from monitor.notify.outbox import channel_health, release_stale
from monitor.notify.periods import DigestSlot, claim_digest, next_digest
from monitor.notify.stories import Story, period_stories
from monitor.notify.summary import deliver_digest_summary
from monitor.notify.texts import text
from monitor.notify.views import Item, make_item, source_health
from monitor.reports.still_live import still_live_lines, still_live_title
from monitor.settings import BrandSettings, Settings
from monitor.store.db import session_scope
from monitor.store.digests import DigestReads
from monitor.store.outbox import mark_failed, mark_sent, previous_observation
from monitor.store.reports import ReportRepository
from monitor.store.scans import ScanRepository
from monitor.store.schema import utcnow
from monitor.store.views import FindingViews

__all__ = [
    "Digest",
    "DigestResult",
    "DigestRoute",
    "Section",
    "asend_digests",
    "build_digest",
    "digest_reaches_anyone",
    "digest_route",
    "send_digests",
]

log = get_logger(__name__)

# An empty "nothing new" mail goes out only for a period this long: a digest run again minutes
# after the last one has nothing to say and must not send a second mail the same day.
EMPTY_MIN_PERIOD = timedelta(hours=20)
# How far back a source's failure is traced to say since when it fails.
FAILURE_LOOKBACK = timedelta(days=14)

ResultStatus = Literal["sent", "failed", "dry_run", "written", "empty", "taken", "no_scans"]


@dataclass(frozen=True)
class DigestResult:
    brand: str
    status: ResultStatus
    period_start: datetime | None = None
    period_end: datetime | None = None
    subject: str | None = None
    new_count: int = 0
    error: str | None = None
    path: Path | None = None
    digest: Digest | None = None
    summaries: int = 0  # chat channels the summary reached in this run


def build_digest(
    session: Session,
    settings: Settings,
    brand: BrandSettings | str,
    period_start: datetime,
    period_end: datetime,
    lang: Language,
    *,
    recipients: Sequence[str] | None = None,
) -> Digest:
    """Collect [period_start, period_end) of one brand and render its e-mail.

    The e-mail is addressed to `recipients`, by default to those of the brand's digest route.
    """
    brand = settings.brand(brand) if isinstance(brand, str) else brand
    if recipients is None:
        recipients = digest_route(settings, brand, lang).recipients
    zone_name = settings.schedule.timezone
    cap = settings.digest.max_items_per_section
    reads = DigestReads(session)
    evidence = FindingViews(session).latest_evidence
    rows = reads.events(brand.slug, period_start, period_end)
    stories = period_stories(rows, lambda first: previous_observation(session, first))
    classified = {key: stories.get(key, []) for key in EVENT_SECTIONS}
    # Reported long ago and still live: its report lines go on its one card, wherever that card is.
    follow_days = settings.reports.follow_up_days
    reported = ReportRepository(session).reported_still_live(brand.slug, follow_days, period_end)
    report_notes = {
        entry.finding.id: tuple(still_live_lines([entry], period_end, lang, zone_name)) for entry in reported
    }

    def items(section: list[Story]) -> tuple[Item, ...]:
        made = []
        for story in section[:cap]:
            item = make_item(
                story.finding,
                story.latest,
                zone_name=zone_name,
                lang=lang,
                previous=story.baseline,
                evidence=evidence(story.finding.id),
            )
            history = story.history(lang)
            notes = ((history,) if history else ()) + report_notes.get(story.finding.id, ())
            made.append(with_notes(item, notes) if notes else item)
        return tuple(made)

    # One card per finding: one that had news this period is told there, not again as still live;
    # one reported long ago and still live is told with its reports, not again as "not yet reported".
    told = {story.finding.id for section in classified.values() for story in section}
    escalate = [entry for entry in reported if entry.finding.id not in told]
    escalated = {entry.finding.id for entry in escalate}
    reported_items = []
    for entry in escalate[:cap]:
        item = make_item(
            entry.finding,
            None,
            zone_name=zone_name,
            lang=lang,
            now=period_end,
            evidence=evidence(entry.finding.id),
        )
        reported_items.append(with_notes(item, report_notes[entry.finding.id]))

    days = settings.digest.still_live_days
    still_rows = reads.still_live(brand.slug, period_end - timedelta(days=days))
    still = [finding for finding in still_rows if finding.id not in told | escalated]
    still_items = []
    for finding in still[:cap]:
        item = make_item(
            finding,
            None,
            zone_name=zone_name,
            lang=lang,
            now=period_end,
            evidence=evidence(finding.id),
        )
        still_items.append(with_notes(item, (text("item.live_days", lang, days=item.live_days),)))

    sections = (
        Section("new", text("section.new", lang), items(classified["new"]), len(classified["new"])),
        Section(
            "changed", text("section.changed", lang), items(classified["changed"]), len(classified["changed"])
        ),
        Section(
            "ended",
            text("section.ended", lang),
            items(classified["ended"]),
            len(classified["ended"]),
            None,
            False,
        ),
        Section(
            "reappeared",
            text("section.reappeared", lang),
            items(classified["reappeared"]),
            len(classified["reappeared"]),
        ),
        Section(
            "reported_live",
            still_live_title(follow_days, lang),
            tuple(reported_items),
            len(escalate),
            tr(
                "Hãy nhắc lại với nơi đã nhận báo cáo hoặc chuyển lên cơ quan chức năng.",
                "Follow up with where it was reported, or escalate to the authorities.",
                lang,
            ),
        ),
        Section("still_live", text("section.still_live", lang, days=days), tuple(still_items), len(still)),
        # Suspects are for review, not yet for reporting: no report links.
        Section(
            "review",
            text("section.review", lang),
            items(classified["review"]),
            len(classified["review"]),
            None,
            False,
        ),
    )
    runs = reads.source_runs(brand.slug, period_start, period_end)
    scans = len({run.scan_id for run in runs})
    earlier = reads.source_runs(brand.slug, period_start - FAILURE_LOOKBACK, period_start)
    health = source_health(
        runs, zone_name, lang, failing_after=settings.lifecycle.source_error_after, earlier=earlier
    )
    # The alert channels' deliveries over the period (a day at least): a failing channel is told here.
    window = max((period_end - period_start) / timedelta(days=1), 1.0)
    deliveries = sorted(
        channel_health(session, period_end, days=window, brand=brand.slug),
        key=lambda h: (h.healthy, h.channel),
    )
    channels = tuple(
        ChannelLine(line, entry.healthy)
        for line, entry in zip(health_lines(deliveries, lang), deliveries, strict=True)
    )
    return render_digest(
        brand,
        period_start,
        period_end,
        lang,
        zone_name,
        sections,
        health,
        scans,
        settings,
        channels,
        recipients=recipients,
    )


def send_digests(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    since: datetime | None = None,
    dry_run: bool = False,
    out: Path | None = None,
    lang: Language | None = None,
    now: datetime | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> list[DigestResult]:
    """One digest per brand (see asend_digests), for callers without an event loop."""
    return asyncio.run(
        asend_digests(
            factory,
            settings,
            since=since,
            dry_run=dry_run,
            out=out,
            lang=lang,
            now=now,
            tls_context=tls_context,
        )
    )


async def asend_digests(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    since: datetime | None = None,
    dry_run: bool = False,
    out: Path | None = None,
    lang: Language | None = None,
    now: datetime | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> list[DigestResult]:
    """Send each brand's digest for the period since its last sent one (or `since`), once.

    Each goes where the brand's route says (digest_route): the e-mail to the office's recipients, a
    short summary to each of its chat channels (once per period and channel, retried by later
    delivery rounds). An unsent (failed) period is retried first, extended to now, to the office's
    current recipients. `dry_run` builds without sending or recording; `out` also writes each
    message as an .eml file.
    """
    now = now or utcnow()
    lang = lang or settings.email.language
    routes = {
        brand.slug: digest_route(settings, brand, lang, tls_context=tls_context) for brand in settings.brands
    }
    if not dry_run and out is None and not any(route.reaches for route in routes.values()):
        raise NotifyError(text("error.not_configured", lang))
    with session_scope(factory) as session:
        release_stale(session, utcnow())
    results: list[DigestResult] = []
    for brand in settings.brands:
        route = routes[brand.slug]
        with session_scope(factory) as session:
            slot = (
                DigestSlot(since)
                if since is not None
                else next_digest(session, brand.slug, ScanRepository(session).first_started_at())
            )
            if slot is None:
                results.append(DigestResult(brand.slug, "no_scans", period_end=now))
                continue
            digest = build_digest(
                session, settings, brand, slot.period_start, now, lang, recipients=route.recipients
            )
        result = DigestResult(
            brand.slug,
            "dry_run",
            slot.period_start,
            now,
            digest.subject,
            digest.new_count,
            path=_write(out, brand.slug, len(settings.brands), digest.message),
            digest=digest,
        )
        if dry_run or not route.reaches:
            results.append(result if dry_run else _replace(result, status="written"))
            continue
        if since is None and _nothing_to_send(digest, slot, settings, now):
            results.append(_replace(result, status="empty"))
            continue
        key = (
            f"digest:{brand.slug}:{slot.period_start.isoformat()}:manual:{now.isoformat()}" if since else None
        )
        # The period's row is claimed whichever way the digest goes out: it is what the next period
        # starts from, and what keeps two processes from telling the same period twice. It records
        # the office's recipients (none without e-mail); a retry records those of the retry.
        recipients = route.recipients
        with session_scope(factory) as session:
            claimed = claim_digest(session, brand.slug, slot, now, recipients, utcnow(), key=key)
        if claimed is None:
            log.info("digest_taken", brand=brand.slug, period_start=slot.period_start.isoformat())
            results.append(_replace(result, status="taken"))
            continue
        summaries = await _summarize(factory, settings, brand, digest) if route.chats else 0
        result = _replace(result, summaries=summaries)
        if route.mail is not None:
            try:
                await route.mail.send_message(digest.message)
            except NotifyError as exc:
                with session_scope(factory) as session:
                    mark_failed(session, claimed, str(exc), subject=digest.subject)
                log.warning("digest_failed", brand=brand.slug, error=str(exc))
                results.append(_replace(result, status="failed", error=str(exc)))
                continue
        with session_scope(factory) as session:
            mark_sent(session, claimed, utcnow(), subject=digest.subject, recipients=recipients)
        log.info(
            "digest_sent",
            brand=brand.slug,
            new=digest.new_count,
            period_start=slot.period_start.isoformat(),
            recipients=len(recipients),
            summaries=summaries,
        )
        results.append(_replace(result, status="sent"))
    return results


async def _summarize(
    factory: sessionmaker[Session], settings: Settings, brand: BrandSettings, digest: Digest
) -> int:
    """Send the digest's chat summary; a failing chat channel never stops the e-mail (it is retried)."""
    try:
        report = await deliver_digest_summary(factory, settings, brand, digest)
    except NotifyError as exc:
        log.warning("digest_summary_failed", brand=brand.slug, error=str(exc))
        return 0
    return report.sent


def _nothing_to_send(digest: Digest, slot: DigestSlot, settings: Settings, now: datetime) -> bool:
    """An empty new period: silent when send_empty is off, or when the last digest was just sent."""
    if slot.notification_id is not None or not digest.is_empty:
        return False  # a failed digest is always retried
    return not settings.digest.send_empty or now - slot.period_start < EMPTY_MIN_PERIOD


def _replace(result: DigestResult, **changes: Any) -> DigestResult:
    return replace(result, **changes)


def _write(out: Path | None, slug: str, brands: int, message: EmailMessage) -> Path | None:
    if out is None:
        return None
    path = out if brands == 1 else out.with_name(f"{out.stem}-{slug}{out.suffix or '.eml'}")
    try:
        path.write_bytes(bytes(message))
    except OSError as exc:
        raise NotifyError(f"{path}: {exc.strerror}") from exc
    return path
