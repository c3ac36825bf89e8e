"""Findings lifecycle, pure: previous state + what this scan saw -> new / changed / gone / ...

Outcomes are named once here and used everywhere, with the codes of verdicts, triage and runs (their
words are in monitor.notify.texts). A source that did not run cleanly never turns an absence into a
miss, so a blocked search engine cannot make a live fake look "gone".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Verdict = Literal["impersonation", "suspect", "clear"]
# Where a finding stands now (its lifecycle).
Status = Literal["active", "gone", "taken_down"]
# What reading a candidate's page this scan said about it (the stored code is monitor.page_state).
PageOutcome = Literal["content", "unavailable", "blocked", "unverified", "failed", "not_fetched"]
EventKind = Literal["new", "changed", "gone", "taken_down", "reappeared"]
Outcome = Literal["new", "changed", "gone", "taken_down", "reappeared", "seen", "missed", "kept"]
# Officers' decision on a finding; every code but "untriaged" is an action they record.
Triage = Literal["untriaged", "confirmed", "dismissed", "reported", "taken_down", "official"]
# One source's run in a scan, and the scan's own run.
SourceStatus = Literal["ok", "partial", "blocked", "failed", "skipped"]
ScanStatus = Literal["running", "ok", "partial", "failed", "interrupted"]
RunStatus = Literal[SourceStatus, ScanStatus]

REPORTABLE: frozenset[Verdict] = frozenset({"impersonation", "suspect"})
EVENT_KINDS: tuple[EventKind, ...] = ("new", "changed", "gone", "taken_down", "reappeared")
TRIAGE_ACTIONS: tuple[Triage, ...] = ("confirmed", "dismissed", "reported", "taken_down", "official")
# Officers said "not a fake" or "ours": alerts and digests stay silent about it (unless renamed).
SILENCING_TRIAGE: frozenset[Triage] = frozenset({"dismissed", "official"})
# Fakes nobody has reported yet: the digest keeps reminding of those still live.
NOT_REPORTED: frozenset[Triage] = frozenset({"untriaged", "confirmed"})
# A run that found nothing usable, and one that brought results back (even from some queries only).
RUN_FAILING: frozenset[RunStatus] = frozenset({"blocked", "failed"})
RUN_SUCCEEDED: frozenset[RunStatus] = frozenset({"ok", "partial"})


@dataclass(frozen=True)
class Known:
    """A stored finding as the diff needs it."""

    identity: str
    name: str
    verdict: Verdict
    status: Status
    sources: frozenset[str]
    misses: int = 0
    content_hash: str | None = None


@dataclass(frozen=True)
class Seen:
    """A scored candidate of this scan."""

    identity: str
    name: str
    verdict: Verdict
    sources: frozenset[str]
    page: PageOutcome = "not_fetched"
    content_hash: str | None = None


@dataclass(frozen=True)
class Change:
    """What happens to one identity in this scan; `fields` lists what changed for `changed`."""

    identity: str
    outcome: Outcome
    misses: int = 0
    fields: tuple[str, ...] = field(default_factory=tuple)


def same_name(a: str, b: str) -> bool:
    """Names equal up to case and white space: a search engine's spacing is not a rename."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def observe(known: Known | None, seen: Seen) -> Change:
    """The outcome for an identity this scan saw."""
    if known is None:
        if seen.verdict in REPORTABLE and seen.page != "unavailable":
            return Change(seen.identity, "new")
        return Change(seen.identity, "kept")
    if seen.page == "unavailable":
        outcome: Outcome = "kept" if known.status == "taken_down" else "taken_down"
        return Change(seen.identity, outcome, misses=known.misses)
    if known.status != "active":
        return Change(seen.identity, "reappeared")
    changed = _changed_fields(known, seen)
    return Change(seen.identity, "changed" if changed else "seen", fields=changed)


def _changed_fields(known: Known, seen: Seen) -> tuple[str, ...]:
    changed: list[str] = []
    if not same_name(known.name, seen.name):
        changed.append("name")
    if known.verdict != seen.verdict:
        changed.append("verdict")
    # Only compare page content when both scans actually read the page.
    if known.content_hash and seen.content_hash and known.content_hash != seen.content_hash:
        changed.append("content")
    return tuple(changed)


def absent(known: Known, clean_sources: frozenset[str], gone_after: int) -> Change:
    """The outcome for an active finding this scan did not see.

    It counts as a miss only when every source that ever found it ran `ok` in this scan;
    otherwise the absence proves nothing and the finding is kept as it was.
    """
    if known.status != "active":
        return Change(known.identity, "kept", misses=known.misses)
    if not known.sources or not known.sources <= clean_sources:
        return Change(known.identity, "kept", misses=known.misses)
    misses = known.misses + 1
    return Change(known.identity, "gone" if misses >= gone_after else "missed", misses=misses)
