"""Machine submissions after an officer's approval: Netcraft's API and RDAP-found abuse e-mails, once each."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from monitor.diff import NOT_REPORTED
from monitor.errors import MonitorError
from monitor.evidence import EvidenceArchive
from monitor.log import get_logger
from monitor.notify.email import EmailChannel
from monitor.reports.cases import Fake, build_fakes
from monitor.reports.channels import Channel, catalogue
from monitor.reports.messages import abuse_message
from monitor.reports.netcraft import NetcraftClient
from monitor.reports.rdap import RdapClient
from monitor.settings import BrandSettings, Settings
from monitor.store.db import session_scope
from monitor.store.findings import FindingRepository
from monitor.store.reports import ReportRepository
from monitor.store.schema import Finding
from monitor.store.schema_reports import Report

log = get_logger(__name__)
# Netcraft's answer that nothing was found: the report was not acted on.
NETCRAFT_REFUSED = frozenset({"no threats", "rejected"})


@dataclass(frozen=True)
class Transports:
    """Test seams: the HTTP transports and TLS context the clients use (None: the real ones)."""

    netcraft: httpx.AsyncBaseTransport | None = None
    rdap: httpx.AsyncBaseTransport | None = None
    tls: ssl.SSLContext | None = None


@dataclass(frozen=True)
class Outcome:
    report_id: int
    finding_id: int
    channel: str
    # sent | failed | skipped
    result: str
    detail: str


def mark_reported(session: Session, finding_id: int, actor: str | None, note: str) -> None:
    """The finding's triage becomes `reported` the first time a report of it goes out."""
    finding = session.get(Finding, finding_id)
    if finding is not None and finding.triage in NOT_REPORTED:
        FindingRepository(session).mark(finding, "reported", note, actor)


async def submit_approved(
    settings: Settings,
    factory: sessionmaker[Session],
    brand: BrandSettings,
    *,
    actor: str | None,
    now: Callable[[], datetime],
    report_ids: Sequence[int] = (),
    transports: Transports = Transports(),
) -> list[Outcome]:
    """Send every approved, never-sent report of the brand's machine channels once."""
    channels = {channel.key: channel for channel in catalogue(brand) if channel.machine}
    with session_scope(factory) as session:
        reports = ReportRepository(session).list(brand=brand.slug, status="not_submitted", limit=10_000)
        wanted = [
            (r.id, r.finding_id, r.channel)
            for r in reports
            if r.channel in channels and r.approved_at is not None and (not report_ids or r.id in report_ids)
        ]
    outcomes = []
    for report_id, finding_id, key in sorted(wanted):
        with session_scope(factory) as session:
            report = ReportRepository(session).get(report_id)
            claimed = report is not None and ReportRepository(session).begin_sending(report, now=now())
        if not claimed:
            outcomes.append(Outcome(report_id, finding_id, key, "skipped", "already sending or sent"))
            continue
        outcomes.append(
            await _send_one(
                settings, factory, brand, channels[key], report_id, finding_id, actor, now, transports
            )
        )
    return outcomes


async def _send_one(
    settings: Settings,
    factory: sessionmaker[Session],
    brand: BrandSettings,
    channel: Channel,
    report_id: int,
    finding_id: int,
    actor: str | None,
    now: Callable[[], datetime],
    transports: Transports,
) -> Outcome:
    with session_scope(factory) as session:
        finding = session.get(Finding, finding_id)
        if finding is None:
            raise MonitorError(f"no finding #{finding_id}")
        archive = EvidenceArchive(settings.evidence.dir)
        fake = build_fakes(session, archive, [finding], settings.evidence.display_timezone)[0]
    try:
        if channel.kind == "netcraft":
            destination = settings.reports.netcraft.url
            reference = await NetcraftClient(settings.reports.netcraft, transports.netcraft).report_url(
                finding.url, f"Impersonation of {brand.name} (Vietnamese public office): {fake.name}"
            )
        else:
            destination, reference = await _abuse_mail(settings, brand, fake, report_id, transports)
    except MonitorError as exc:
        with session_scope(factory) as session:
            report = ReportRepository(session).get(report_id)
            if report is not None:
                report.sending_at = None  # nothing recorded as sent: it may be tried again
                ReportRepository(session).update(report, now=now(), actor=actor, note=f"failed: {exc}"[:500])
        log.warning("report_submit_failed", report=report_id, channel=channel.key, error=str(exc)[:300])
        return Outcome(report_id, finding_id, channel.key, "failed", str(exc)[:300])
    with session_scope(factory) as session:
        repo = ReportRepository(session)
        report = repo.get(report_id)
        if report is not None:
            repo.mark_submitted(
                report,
                now=now(),
                actor=actor,
                destination=destination,
                reference=reference,
                follow_up_days=settings.reports.follow_up_days,
            )
            mark_reported(session, finding_id, actor, f"report #{report_id} → {channel.key}")
    log.info("report_submitted", report=report_id, channel=channel.key)
    return Outcome(report_id, finding_id, channel.key, "sent", reference or destination)


async def _abuse_mail(
    settings: Settings, brand: BrandSettings, fake: Fake, report_id: int, transports: Transports
) -> tuple[str, str]:
    contact = await RdapClient(
        settings.reports.rdap_bootstrap_url, settings.reports.rdap_timeout, transports.rdap
    ).abuse_contact(fake.url)
    if contact is None:
        raise MonitorError(f"RDAP names no abuse contact for {fake.url[:200]}")
    email = settings.email
    if not email.smtp_host or not email.sender:
        raise MonitorError("[email] smtp_host and sender are needed to send abuse e-mails")
    seed = f"report:{report_id}:{fake.url}:{contact.email}"
    domain = email.sender.rpartition("@")[2] or "monitor.invalid"
    message_id = f"<report-{report_id}-{hashlib.sha256(seed.encode()).hexdigest()[:24]}@{domain}>"
    message = abuse_message(
        brand,
        fake,
        domain=contact.domain,
        holder=contact.holder,
        sender=email.sender,
        recipient=contact.email,
        message_id=message_id,
    )
    channel = EmailChannel(
        email.model_copy(update={"recipients": [contact.email]}), tls_context=transports.tls
    )
    await channel.send_message(message)
    return f"mailto:{contact.email}", message_id


async def poll_netcraft(
    settings: Settings,
    factory: sessionmaker[Session],
    brand: BrandSettings,
    *,
    now: Callable[[], datetime],
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Outcome]:
    """Ask Netcraft about every open submission; keep its state, a 'no threats' answer is a refusal."""
    keys = {channel.key for channel in catalogue(brand) if channel.kind == "netcraft"}
    with session_scope(factory) as session:
        open_reports = [
            (r.id, r.finding_id, r.channel, r.reference)
            for status in ("submitted", "waiting")
            for r in ReportRepository(session).list(brand=brand.slug, status=status, limit=10_000)
            if r.channel in keys and r.reference
        ]
    client = NetcraftClient(settings.reports.netcraft, transport)
    outcomes = []
    for report_id, finding_id, key, reference in open_reports:
        try:
            state = await client.state(reference or "")
        except MonitorError as exc:
            outcomes.append(Outcome(report_id, finding_id, key, "failed", str(exc)[:300]))
            continue
        with session_scope(factory) as session:
            repo = ReportRepository(session)
            report: Report | None = repo.get(report_id)
            if report is not None:
                repo.note_remote_state(report, state, now=now())
                if state.lower() in NETCRAFT_REFUSED:
                    repo.update(report, now=now(), actor="netcraft", status="refused", answer=state)
        outcomes.append(Outcome(report_id, finding_id, key, "polled", state))
    return outcomes
