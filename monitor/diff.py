"""Findings lifecycle, pure: previous state + what this scan saw -> new / changed / gone / ...

Outcomes are named once here and used everywhere. A source that did not run cleanly never turns
an absence into a miss, so a blocked search engine cannot make a live fake look "gone".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Verdict = Literal["impersonation", "suspect", "clear"]
Status = Literal["active", "gone", "taken_down"]
PageState = Literal["content", "unavailable", "blocked", "unverified", "failed", "not_fetched"]
EventKind = Literal["new", "changed", "gone", "taken_down", "reappeared"]
Outcome = Literal["new", "changed", "gone", "taken_down", "reappeared", "seen", "missed", "kept"]

REPORTABLE: frozenset[Verdict] = frozenset({"impersonation", "suspect"})
EVENT_KINDS: tuple[EventKind, ...] = ("new", "changed", "gone", "taken_down", "reappeared")


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
    page: PageState = "not_fetched"
    content_hash: str | None = None


@dataclass(frozen=True)
class Change:
    """What happens to one identity in this scan; `fields` lists what changed for `changed`."""

    identity: str
    outcome: Outcome
    misses: int = 0
    fields: tuple[str, ...] = field(default_factory=tuple)

    @property
    def is_event(self) -> bool:
        return self.outcome in EVENT_KINDS


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


def diff(
    known: Mapping[str, Known],
    seen: Iterable[Seen],
    clean_sources: Iterable[str],
    gone_after: int,
) -> list[Change]:
    """Every change of one scan for one brand: sightings first, then the absences."""
    clean = frozenset(clean_sources)
    changes: list[Change] = []
    seen_ids: set[str] = set()
    for item in seen:
        if item.identity in seen_ids:
            raise ValueError(f"identity seen twice in one scan: {item.identity}")
        seen_ids.add(item.identity)
        changes.append(observe(known.get(item.identity), item))
    for identity, state in known.items():
        if identity not in seen_ids:
            changes.append(absent(state, clean, gone_after))
    return changes


def merge_sources(known: Known, seen: Seen) -> Known:
    """The finding after a sighting: its sources grow, misses reset."""
    return replace(known, sources=known.sources | seen.sources, misses=0)
