"""What officers see of a finding: display items, reasons in plain words, reporting links, source health."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.diff import RUN_FAILING, RUN_SUCCEEDED, same_name
from monitor.display import NO_TIME, local_time
from monitor.i18n import Language
from monitor.log import get_logger
from monitor.notes import note_text
from monitor.notify.render import MAX_URL_DISPLAY_CHARS, display, safe_href
from monitor.notify.texts import (
    PAGE_STATES,
    PLATFORMS,
    RUN_STATUS,
    SOURCES,
    STATUSES,
    TRIAGE,
    VERDICTS,
    label,
    text,
)
from monitor.store.schema import Finding, Observation, SourceRun
from monitor.store.views import FindingView

log = get_logger(__name__)

FACEBOOK_IMPERSONATION_FORM = "https://www.facebook.com/help/contact/295309487309948"
# Where each platform takes impersonation reports; websites go to Safe Browsing (and the authorities).
REPORT_PAGES: dict[str, str] = {
    "facebook": FACEBOOK_IMPERSONATION_FORM,
    "tiktok": "https://support.tiktok.com/en/safety-hc/report-a-problem/report-an-impersonation-account",
    "youtube": "https://support.google.com/youtube/answer/2801947",
    "instagram": "https://help.instagram.com/contact/636276399721841",
    "x": "https://help.x.com/forms/impersonation",
    "telegram": "https://telegram.org/support",
    "web": "https://safebrowsing.google.com/safebrowsing/report_phish/",
}
MAX_REASONS = 8
# The words (notify.texts) each coded field of a FindingView is shown with.
VOCABULARY: dict[str, dict[str, tuple[str, str]]] = {
    "verdict": VERDICTS,
    "status": STATUSES,
    "triage": TRIAGE,
    "platform": PLATFORMS,
    "page_state": PAGE_STATES,
}
TIME_FIELDS = frozenset({"first_seen_at", "last_seen_at"})


@dataclass(frozen=True)
class Link:
    label: str
    href: str | None


@dataclass(frozen=True)
class Item:
    """One finding as a mail shows it; every string is already safe to print."""

    finding_id: int
    event: str
    platform: str
    name: str
    url: str
    href: str | None
    score: int
    verdict: str
    reasons: tuple[str, ...]
    first_seen: str
    observed: str
    evidence: str | None
    triage: str
    notes: tuple[str, ...] = ()
    live_days: int | None = None
    report: tuple[Link, ...] = ()


@dataclass(frozen=True)
class SourceHealth:
    source: str
    line: str
    healthy: bool
    error: str | None = None


def finding_words(view: FindingView, field: str, lang: Language, zone: str) -> str:
    """One field of a finding as people read it: words for codes, local time for moments.

    Unsafe characters are left in: each surface escapes them its own way (terminal, CSV, HTML).
    """
    value = getattr(view, field)
    if field in TIME_FIELDS:
        return local_time(value, zone)
    table = VOCABULARY.get(field)
    if table is not None and isinstance(value, str):
        return label(table, value, lang)
    return "" if value is None else str(value)


def platform_name(platform: str, lang: Language) -> str:
    return label(PLATFORMS, platform, lang) if platform in PLATFORMS else display(platform.capitalize(), 40)


def describe_reason(reason: object, lang: Language) -> str:
    """A reason in plain words (the matcher's sentence); its code and detail if that is unavailable."""
    fields: Mapping[str, Any] = reason if isinstance(reason, Mapping) else {"code": str(reason)}
    code = str(fields.get("code") or "")
    detail = str(fields.get("detail") or "")
    try:
        weight = int(fields.get("weight") or 0)
    except (TypeError, ValueError):
        weight = 0
    try:
        # Imported here: the digest must still go out if the matcher package cannot load.
        from monitor.matching.reasons import Reason, describe
    except ImportError:
        log.warning("reason_texts_unavailable")
    else:
        return display(describe(Reason(code=code, detail=detail, weight=weight), lang), 300)
    shown = display(code.replace("_", " ") or "?", 80)
    return f"{shown}: {display(detail, 200)}" if detail.strip() else shown


def report_links(platform: str, lang: Language) -> tuple[Link, ...]:
    """Where to report a fake on `platform`."""
    page = REPORT_PAGES.get(platform)
    name = platform_name(platform, lang)
    if platform == "facebook":
        return (
            Link(text("report.facebook_form", lang), page),
            Link(text("report.in_app", lang, platform=name), None),
        )
    if platform == "web":
        return (Link(text("report.safe_browsing", lang), page),)
    if page is not None:
        return (Link(text("report.platform_page", lang, platform=name), page),)
    return (Link(text("report.in_app", lang, platform=name), None),)


def changed_fields(previous: Observation | None, current: Observation) -> tuple[str, ...]:
    if previous is None:
        return ()
    fields: list[str] = []
    if not same_name(previous.name, current.name):
        fields.append("name")
    if previous.verdict != current.verdict:
        fields.append("verdict")
    if previous.url != current.url:
        fields.append("url")
    if previous.content_hash and current.content_hash and previous.content_hash != current.content_hash:
        fields.append("content")
    return tuple(fields)


def change_lines(previous: Observation | None, current: Observation, lang: Language) -> tuple[str, ...]:
    lines: list[str] = []
    if previous is None:
        return ()
    for name in changed_fields(previous, current):
        if name == "name":
            lines.append(text("item.renamed", lang, old=display(previous.name)))
        elif name == "verdict":
            old, new = label(VERDICTS, previous.verdict, lang), label(VERDICTS, current.verdict, lang)
            lines.append(text("item.verdict_changed", lang, old=old, new=new))
        elif name == "url":
            lines.append(text("item.link_changed", lang, url=display(current.url, MAX_URL_DISPLAY_CHARS)))
        else:
            lines.append(text("item.content_changed", lang))
    return tuple(lines)


def make_item(
    finding: FindingView | Finding,
    observation: Observation | None,
    *,
    zone_name: str,
    lang: Language,
    previous: Observation | None = None,
    evidence: str | None = None,
    now: datetime | None = None,
) -> Item:
    """An item from the event's snapshot (or the finding's current state without one)."""
    view = finding if isinstance(finding, FindingView) else FindingView.of(finding)
    shown = view.as_seen(observation) if observation is not None else view
    evidence = (observation.evidence_sha256 if observation is not None else None) or evidence
    live_days = (now - view.first_seen_at).days if now is not None else None
    return Item(
        finding_id=view.id,
        event=observation.event if observation is not None else view.status,
        platform=platform_name(view.platform, lang),
        name=display(shown.name),
        url=display(shown.url, MAX_URL_DISPLAY_CHARS),
        href=safe_href(shown.url),
        score=shown.score,
        verdict=label(VERDICTS, shown.verdict, lang),
        reasons=tuple(describe_reason(r, lang) for r in shown.reasons[:MAX_REASONS]),
        first_seen=local_time(view.first_seen_at, zone_name, NO_TIME),
        observed=local_time(observation.observed_at if observation is not None else None, zone_name, NO_TIME),
        evidence=display(evidence, 64) if evidence else None,
        triage=label(TRIAGE, view.triage, lang),
        notes=change_lines(previous, observation, lang) if observation is not None else (),
        live_days=live_days,
        report=report_links(view.platform, lang),
    )


def source_health(
    runs: Sequence[SourceRun],
    zone_name: str,
    lang: Language,
    *,
    failing_after: int = 1,
    earlier: Sequence[SourceRun] = (),
) -> list[SourceHealth]:
    """One line per source that ran in the period, failing ones first.

    A source is failing when no run of the period succeeded (whatever the threshold), or once its
    last `failing_after` runs were blocked or failed (one bad run is noise, as
    lifecycle.source_error_after says). `earlier` runs, from before the period, only date the start
    of a failure that began before it. A failing line says how many runs failed of how many.
    """
    by_source: dict[str, list[SourceRun]] = {}
    for run in sorted(runs, key=lambda r: (r.started_at, r.id)):
        by_source.setdefault(run.source, []).append(run)
    before: dict[str, list[SourceRun]] = {}
    for run in sorted(earlier, key=lambda r: (r.started_at, r.id)):
        before.setdefault(run.source, []).append(run)
    out: list[SourceHealth] = []
    for key, source_runs in by_source.items():
        name = label(SOURCES, key, lang) if key in SOURCES else display(key, 40)
        last = source_runs[-1]
        streak: list[SourceRun] = []
        for run in reversed(before.get(key, []) + source_runs):
            if run.status not in RUN_FAILING:
                break
            streak.insert(0, run)
        failed = [run for run in source_runs if run.status in RUN_FAILING]
        succeeded = any(run.status in RUN_SUCCEEDED for run in source_runs)
        failing = bool(failed) and (not succeeded or len(streak) >= failing_after)
        healthy = not failing and last.status not in ("partial", "running")
        if failing:
            worst = failed[-1]
            status = "blocked" if worst.status == "blocked" else "failed"
            since = local_time((streak or failed)[0].started_at, zone_name, NO_TIME)
            line = text(
                f"source.{status}",
                lang,
                source=name,
                since=since,
                failed=len(failed),
                runs=len(source_runs),
                results=sum(r.results for r in source_runs),
            )
            error = display(note_text(worst.error, lang), 200) if worst.error else None
        else:
            error = display(note_text(last.error, lang), 200) if last.error and not healthy else None
            if last.status == "running":
                line = text("source.running", lang, source=name)
            else:
                results = sum(r.results for r in source_runs)
                shown = last.status if last.status in ("partial", "skipped") else "ok"
                line = text(f"source.{shown}", lang, source=name, runs=len(source_runs), results=results)
                if streak:
                    status = label(RUN_STATUS, last.status, lang)
                    line += text(
                        "source.last_failed", lang, failed=len(failed), runs=len(source_runs), status=status
                    )
                elif failed:
                    line += text("source.some_failed", lang, failed=len(failed), runs=len(source_runs))
        out.append(SourceHealth(source=key, line=line, healthy=healthy, error=error))
    return sorted(out, key=lambda h: (h.healthy, h.source))
