"""Lifecycle rules, table by table: never a false "gone", every event once."""

from __future__ import annotations

import pytest

from monitor.diff import Change, Known, Seen, absent, observe
from tests.support.scan_changes import diff

DDG = frozenset({"duckduckgo"})
BOTH = frozenset({"duckduckgo", "brave"})


def known(**kw: object) -> Known:
    base: dict[str, object] = {
        "identity": "facebook:page:fake",
        "name": "BHXH Bình Dương",
        "verdict": "impersonation",
        "status": "active",
        "sources": DDG,
        "misses": 0,
        "content_hash": "h1",
    }
    base.update(kw)
    return Known(**base)  # type: ignore[arg-type]


def seen(**kw: object) -> Seen:
    base: dict[str, object] = {
        "identity": "facebook:page:fake",
        "name": "BHXH Bình Dương",
        "verdict": "impersonation",
        "sources": DDG,
        "page": "content",
        "content_hash": "h1",
    }
    base.update(kw)
    return Seen(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "now", "outcome", "fields"),
    [
        (None, seen(), "new", ()),
        (None, seen(verdict="suspect"), "new", ()),
        (None, seen(verdict="clear"), "kept", ()),
        (None, seen(page="unavailable"), "kept", ()),
        (known(), seen(), "seen", ()),
        (known(), seen(name="  bhxh  bình dương "), "seen", ()),
        (known(), seen(name="BHXH Bình Dương - Hỗ trợ rút 1 lần"), "changed", ("name",)),
        (known(), seen(verdict="suspect"), "changed", ("verdict",)),
        (known(), seen(content_hash="h2"), "changed", ("content",)),
        (known(), seen(content_hash=None, page="blocked"), "seen", ()),
        (known(content_hash=None), seen(content_hash="h2"), "seen", ()),
        (known(), seen(page="unavailable"), "taken_down", ()),
        (known(status="taken_down"), seen(page="unavailable"), "kept", ()),
        (known(status="taken_down"), seen(), "reappeared", ()),
        (known(status="gone"), seen(), "reappeared", ()),
    ],
)
def test_observe(before: Known | None, now: Seen, outcome: str, fields: tuple[str, ...]) -> None:
    change = observe(before, now)
    assert change.outcome == outcome
    assert change.fields == fields


@pytest.mark.parametrize(
    ("state", "clean", "outcome", "misses"),
    [
        (known(), DDG, "missed", 1),
        (known(misses=1), DDG, "missed", 2),
        (known(misses=2), DDG, "gone", 3),
        (known(misses=2), frozenset(), "kept", 2),  # its source blocked or failed: no miss
        (known(misses=2, sources=BOTH), DDG, "kept", 2),  # one of its sources not clean
        (known(misses=2, sources=BOTH), BOTH, "gone", 3),
        (known(sources=frozenset()), DDG, "kept", 0),
        (known(status="gone"), DDG, "kept", 0),
        (known(status="taken_down"), DDG, "kept", 0),
    ],
)
def test_absent(state: Known, clean: frozenset[str], outcome: str, misses: int) -> None:
    change = absent(state, clean, gone_after=3)
    assert (change.outcome, change.misses) == (outcome, misses)


def test_gone_only_after_k_clean_scans_and_blocked_scans_do_not_count() -> None:
    state = known()
    history: list[str] = []
    for clean in (DDG, frozenset(), DDG, frozenset(), DDG):
        change = absent(state, clean, gone_after=3)
        history.append(change.outcome)
        state = Known(**{**state.__dict__, "misses": change.misses})
    assert history == ["missed", "kept", "missed", "kept", "gone"]


def test_diff_covers_seen_and_absent_and_refuses_duplicates() -> None:
    other = known(identity="tiktok:@fake2")
    changes = diff({"facebook:page:fake": known(), "tiktok:@fake2": other}, [seen()], DDG, 3)
    assert changes == [Change("facebook:page:fake", "seen"), Change("tiktok:@fake2", "missed", misses=1)]
    with pytest.raises(ValueError, match="twice"):
        diff({}, [seen(), seen()], DDG, 3)
