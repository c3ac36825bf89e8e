"""The facts of each fake a report lists: names, links, times, reasons, contacts and evidence hashes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from monitor.display import local_time
from monitor.errors import MonitorError
from monitor.evidence import EvidenceArchive
from monitor.i18n import Language, tr
from monitor.notify.render import display
from monitor.notify.views import describe_reason, platform_name
from monitor.scoring import FETCHED_PLATFORMS
from monitor.store.evidence_files import EvidenceFileRepository
from monitor.store.reports import ReportRepository
from monitor.store.schema import Finding

# Long enough for any real name or link; a 10,000-character name is cut, never allowed to bury the rest.
MAX_NAME = 300
MAX_URL = 1000
MAX_REASONS = 8
_CONTACT_WORDS = {
    "phone": ("Điện thoại", "Phone"),
    "zalo": ("Zalo", "Zalo"),
    "bank": ("Tài khoản ngân hàng", "Bank account"),
}


@dataclass(frozen=True)
class EvidenceEntry:
    """One file kept as evidence: what it is, when it was taken and its SHA-256."""

    kind: str  # capture | screenshot | officer
    label: str
    sha256: str
    taken_at: str
    media_type: str | None
    url: str | None


@dataclass(frozen=True)
class Fake:
    """One fake as a letter, a packet or a form block shows it; every string is already safe text."""

    finding_id: int
    number: int
    name: str
    platform: str
    platform_label: str
    url: str
    identity: str
    first_seen: str
    last_seen: str
    reasons: tuple[str, ...]
    contacts: tuple[str, ...]
    evidence: tuple[EvidenceEntry, ...]
    not_fetched: str | None


def select_findings(
    session: Session, brand: str, finding_ids: Sequence[int], triage: str | None, lang: Language
) -> list[Finding]:
    """The findings a report is about: the given ids (of this brand) or every one with this triage."""
    if finding_ids:
        found: list[Finding] = []
        for finding_id in dict.fromkeys(finding_ids):
            finding = session.get(Finding, finding_id)
            if finding is None or finding.brand != brand:
                raise MonitorError(
                    tr(
                        f"không có phát hiện #{finding_id} của {brand}",
                        f"no finding #{finding_id} of {brand}",
                        lang,
                    )
                )
            found.append(finding)
        return found
    if triage is None:
        raise MonitorError(tr("cần --finding ID hoặc --triage", "give --finding ID or --triage", lang))
    chosen = ReportRepository(session).findings_with_triage(brand, triage)
    if not chosen:
        raise MonitorError(
            tr(
                f"không có phát hiện nào của {brand} ở trạng thái phân loại {triage!r}",
                f"no finding of {brand} has triage {triage!r}",
                lang,
            )
        )
    return chosen


def build_fakes(
    session: Session, archive: EvidenceArchive, findings: Sequence[Finding], zone: str, lang: Language = "vi"
) -> list[Fake]:
    files = EvidenceFileRepository(session)
    fakes = []
    for number, finding in enumerate(findings, start=1):
        entries: list[EvidenceEntry] = []
        seen: set[str] = set()
        for capture in archive.captures(session, finding.id):
            if capture.sha256 in seen:
                continue
            seen.add(capture.sha256)
            entries.append(
                EvidenceEntry(
                    kind="capture",
                    label=tr("Trang đã lưu", "Saved page", lang),
                    sha256=capture.sha256,
                    taken_at=local_time(capture.first_fetched_at, zone),
                    media_type=str(capture.headers.get("content-type") or "") or None,
                    url=display(capture.url, MAX_URL),
                )
            )
        for row in files.for_finding(finding.id):
            label = (
                tr("Ảnh chụp màn hình", "Screenshot", lang)
                if row.kind == "screenshot"
                else tr("Tệp của cán bộ", "Officer's file", lang)
            )
            if row.filename:
                label = f"{label}: {display(row.filename, 120)}"
            entries.append(
                EvidenceEntry(
                    kind=row.kind,
                    label=label,
                    sha256=row.sha256,
                    taken_at=local_time(row.created_at, zone),
                    media_type=row.media_type,
                    url=display(row.source_url, MAX_URL) if row.source_url else None,
                )
            )
        fakes.append(
            Fake(
                finding_id=finding.id,
                number=number,
                name=display(finding.name, MAX_NAME),
                platform=finding.platform,
                platform_label=platform_name(finding.platform, lang),
                url=display(finding.url, MAX_URL),
                identity=display(finding.identity, MAX_NAME),
                first_seen=local_time(finding.first_seen_at, zone),
                last_seen=local_time(finding.last_seen_at, zone),
                reasons=tuple(describe_reason(reason, lang) for reason in finding.reasons[:MAX_REASONS]),
                contacts=contacts_of(finding.signals, lang),
                evidence=tuple(entries),
                not_fetched=_not_fetched(finding, lang),
            )
        )
    return fakes


def contacts_of(signals: Sequence[object], lang: Language) -> tuple[str, ...]:
    """Phones, Zalo ids and bank accounts found on the fake's page, as 'Điện thoại: 0901…' lines."""
    out: list[str] = []
    for signal in signals:
        if not isinstance(signal, str):
            continue
        kind, _, value = signal.partition(":")
        words = _CONTACT_WORDS.get(kind)
        if words is None or not value:
            continue
        line = f"{words[1] if lang == 'en' else words[0]}: {display(value, 80)}"
        if line not in out:
            out.append(line)
    return tuple(out[:20])


def _not_fetched(finding: Finding, lang: Language) -> str | None:
    if finding.platform in FETCHED_PLATFORMS:
        return None
    name = platform_name(finding.platform, lang)
    return tr(
        f"Công cụ không tự động tải trang {name} (cần đăng nhập); bằng chứng là ảnh do cán bộ chụp.",
        f"The monitor never fetches {name} pages (they need a login); "
        "the evidence is the officer's screenshots.",
        lang,
    )
