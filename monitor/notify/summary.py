"""The digest as a short chat summary (counts, the most urgent items), sent once per channel."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from monitor.display import local_time
from monitor.i18n import Language
from monitor.log import get_logger
from monitor.notify.channels import Routes, channels_for
from monitor.notify.digest_mail import Digest
from monitor.notify.messages import SUMMARY_ITEMS, ChatMessage, SummaryFacts, digest_summary
from monitor.notify.outbox import DeliveryReport, deliver_pending
from monitor.settings import BrandSettings, RunSettings
from monitor.store.db import session_scope
from monitor.store.outbox import insert_once
from monitor.store.schema import utcnow

log = get_logger(__name__)
# Sections whose items need someone to act, most urgent first.
URGENT_SECTIONS = ("new", "reappeared", "still_live", "changed")


def summary_key(channel: str, brand: str, digest: Digest) -> str:
    return f"summary:{channel}:{brand}:{digest.period_start.isoformat()}"


def summarize(digest: Digest, zone_name: str, lang: Language, console: str | None = None) -> ChatMessage:
    """Counts per section and the most urgent items of one brand's digest."""
    counts = tuple((section.title, section.total) for section in digest.sections if section.total)
    urgent: list[tuple[str, str, str]] = []
    by_key = {section.key: section for section in digest.sections}
    for key in URGENT_SECTIONS:
        section = by_key.get(key)
        for item in section.items if section is not None else ():
            if len(urgent) < SUMMARY_ITEMS:
                urgent.append((item.platform, item.name, item.url))
    start, end = (local_time(moment, zone_name) for moment in (digest.period_start, digest.period_end))
    period = f"{start} → {end}"
    facts = SummaryFacts(
        brand_name=digest.brand_name,
        period=period,
        counts=counts,
        urgent=tuple(urgent),
        failing_sources=sum(1 for source in digest.sources if not source.healthy),
        console=console,
    )
    return digest_summary(facts, lang)


def enqueue_summary(
    session: Session, brand: str, channels: list[str], digest: Digest, message: ChatMessage
) -> int:
    """One summary row per channel (the whole text kept, for retries); how many were new. Never commits."""
    created = 0
    for channel in channels:
        values = {
            "dedupe_key": summary_key(channel, brand, digest),
            "kind": "summary",
            "channel": channel,
            "brand": brand,
            "period_start": digest.period_start,
            "period_end": digest.period_end,
            "recipients": [],
            "subject": message.text,
            "status": "pending",
            "attempts": 0,
            "created_at": utcnow(),
        }
        if insert_once(session, values) is not None:
            created += 1
    return created


async def deliver_digest_summary(
    factory: sessionmaker[Session], settings: RunSettings, brand: BrandSettings, digest: Digest
) -> DeliveryReport:
    """Queue and send the digest's summary through every channel of `brand` that takes summaries.

    Once per (period, channel): a second call for the same period sends nothing; a failed channel is
    retried with backoff by the next delivery round and never holds up the others.
    """
    lang = digest.lang
    channels = [channel for channel in channels_for(settings, brand, lang) if channel.summaries]
    if not channels:
        return DeliveryReport()
    public_url = settings.web.public_url
    message = summarize(
        digest, settings.schedule.timezone, lang, public_url.rstrip("/") if public_url else None
    )
    with session_scope(factory) as session:
        enqueue_summary(session, brand.slug, [channel.name for channel in channels], digest, message)
    report = await deliver_pending(
        factory,
        Routes({brand.slug: channels}),
        lang,
        brands={brand.slug: brand},
        zone_name=settings.schedule.timezone,
        retry_after=settings.alerts.retry_after_seconds,
        public_url=public_url,
    )
    log.info("digest_summary_delivered", brand=brand.slug, sent=report.sent, failed=report.failed)
    return report
