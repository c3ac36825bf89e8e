"""Every change of one simulated scan for one brand, as the scan computes it (for tests)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from monitor.diff import Change, Known, Seen, absent, observe


def diff(
    known: Mapping[str, Known],
    seen: Iterable[Seen],
    clean_sources: Iterable[str],
    gone_after: int,
) -> list[Change]:
    """Sightings first, then the absences; an identity seen twice in one scan is a bug."""
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
