"""The digest: one brand's period collected from the store, rendered, and sent once per period."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.diff import EVENT_KINDS
from monitor.errors import NotifyError
from monitor.i18n import Language
from monitor.log import get_logger
from monitor.notify.digest_mail import EVENT_SECTIONS, Digest, Section, render_digest, with_notes
from monitor.notify.email import EmailChannel
from monitor.notify.outbox import mark_failed, mark_sent, previous_observation, release_stale
from monitor.notify.periods import DigestSlot, claim_digest, next_digest
from monitor.notify.stories import Story, period_stories
from monitor.notify.texts import text
from monitor.notify.views import Item, make_item, source_health
from monitor.settings import BrandSettings, Settings
from monitor.store.db import session_scope
from monitor.store.scans import ScanRepository
from monitor.store.schema import Capture, Finding, Observation, SourceRun, utcnow

__all__ = ["Digest", "DigestResult", "Section", "asend_digests", "build_digest", "send_digests"]

log = get_logger(__name__)

# An empty "nothing new" mail goes out only for a period this long: a digest run again minutes
# after the last one has nothing to say and must not send a second mail the same day.
EMPTY_MIN_PERIOD = timedelta(hours=20)
# How far back a source's failure is traced to say since when it fails.
FAILURE_LOOKBACK = timedelta(days=14)
NOT_REPORTED = frozenset({"untriaged", "confirmed"})

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


def _evidence(session: Session, finding_id: int) -> str | None:
    return session.scalars(
        select(Capture.sha256)
        .where(Capture.finding_id == finding_id)
        .order_by(Capture.last_fetched_at.desc())
        .limit(1)
    ).first()


def build_digest(
    session: Session,
    settings: Settings,
    brand: BrandSettings | str,
    period_start: datetime,
    period_end: datetime,
    lang: Language,
) -> Digest:
    """Collect [period_start, period_end) of one brand and render its e-mail."""
    brand = settings.brand(brand) if isinstance(brand, str) else brand
    zone_name = settings.schedule.timezone
    cap = settings.digest.max_items_per_section
    rows = session.execute(
        select(Observation, Finding)
        .join(Finding, Observation.finding_id == Finding.id)
        .where(
            Finding.brand == brand.slug,
            Observation.observed_at >= period_start,
            Observation.observed_at < period_end,
            Observation.event.in_(EVENT_KINDS),
        )
        .order_by(Observation.id)
    ).all()
    stories = period_stories([(o, f) for o, f in rows], lambda first: previous_observation(session, first))
    classified = {key: stories.get(key, []) for key in EVENT_SECTIONS}

    def items(section: list[Story]) -> tuple[Item, ...]:
        made = []
        for story in section[:cap]:
            item = make_item(
                story.finding,
                story.latest,
                zone_name=zone_name,
                lang=lang,
                previous=story.baseline,
                evidence=_evidence(session, story.finding.id),
            )
            history = story.history(lang)
            made.append(with_notes(item, (history,)) if history else item)
        return tuple(made)

    days = settings.digest.still_live_days
    # One card per finding: one that had news this period is told there, not again as still live.
    told = {story.finding.id for section in classified.values() for story in section}
    still_rows = session.scalars(
        select(Finding)
        .where(
            Finding.brand == brand.slug,
            Finding.status == "active",
            Finding.verdict == "impersonation",
            Finding.triage.in_(NOT_REPORTED),
            Finding.first_seen_at <= period_end - timedelta(days=days),
        )
        .order_by(Finding.first_seen_at, Finding.id)
    ).all()
    still = [finding for finding in still_rows if finding.id not in told]
    still_items = []
    for finding in still[:cap]:
        item = make_item(
            finding,
            None,
            zone_name=zone_name,
            lang=lang,
            now=period_end,
            evidence=_evidence(session, finding.id),
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
    runs = session.scalars(
        select(SourceRun).where(
            SourceRun.brand == brand.slug,
            SourceRun.started_at >= period_start,
            SourceRun.started_at < period_end,
        )
    ).all()
    scans = len({run.scan_id for run in runs})
    earlier = session.scalars(
        select(SourceRun).where(
            SourceRun.brand == brand.slug,
            SourceRun.started_at >= period_start - FAILURE_LOOKBACK,
            SourceRun.started_at < period_start,
        )
    ).all()
    health = source_health(
        runs, zone_name, lang, failing_after=settings.lifecycle.source_error_after, earlier=earlier
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

    An unsent (failed) period is retried first, extended to now. `dry_run` builds without
    sending or recording; `out` also writes each message as an .eml file.
    """
    now = now or utcnow()
    lang = lang or settings.email.language
    channel = EmailChannel.from_settings(settings.email, lang=lang, tls_context=tls_context)
    if not dry_run and out is None and not channel.configured:
        raise NotifyError(text("error.not_configured", lang))
    with session_scope(factory) as session:
        release_stale(session, utcnow())
    results: list[DigestResult] = []
    for brand in settings.brands:
        with session_scope(factory) as session:
            slot = (
                DigestSlot(since)
                if since is not None
                else next_digest(session, brand.slug, ScanRepository(session).first_started_at())
            )
            if slot is None:
                results.append(DigestResult(brand.slug, "no_scans", period_end=now))
                continue
            digest = build_digest(session, settings, brand, slot.period_start, now, lang)
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
        if dry_run or not channel.configured:
            results.append(result if dry_run else _replace(result, status="written"))
            continue
        if since is None and _nothing_to_send(digest, slot, settings, now):
            results.append(_replace(result, status="empty"))
            continue
        key = (
            f"digest:{brand.slug}:{slot.period_start.isoformat()}:manual:{now.isoformat()}" if since else None
        )
        with session_scope(factory) as session:
            claimed = claim_digest(session, brand.slug, slot, now, channel.destination(), utcnow(), key=key)
        if claimed is None:
            log.info("digest_taken", brand=brand.slug, period_start=slot.period_start.isoformat())
            results.append(_replace(result, status="taken"))
            continue
        try:
            await channel.send_message(digest.message)
        except NotifyError as exc:
            with session_scope(factory) as session:
                mark_failed(session, claimed, str(exc), subject=digest.subject)
            log.warning("digest_failed", brand=brand.slug, error=str(exc))
            results.append(_replace(result, status="failed", error=str(exc)))
            continue
        with session_scope(factory) as session:
            mark_sent(session, claimed, utcnow(), subject=digest.subject, recipients=channel.destination())
        log.info(
            "digest_sent", brand=brand.slug, new=digest.new_count, period_start=slot.period_start.isoformat()
        )
        results.append(_replace(result, status="sent"))
    return results


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
