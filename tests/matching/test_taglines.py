"""The office's names followed by real taglines, and the figures every labelled file must reach."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from monitor.matching import Matcher
from tests.matching.conftest import labelled_rows
from tests.matching.figures import TAGLINE_NAMES, figures, labelled_files, tagline_probes, taglines

NEW_FILE = Path(__file__).with_name("tagline_names.tsv")


def test_there_are_at_least_a_hundred_taglines() -> None:
    lines = taglines()
    assert len(lines) >= 100
    assert len(set(lines)) == len(lines)


@pytest.mark.parametrize("name", TAGLINE_NAMES)
def test_office_name_with_any_tagline_is_never_dropped(matcher: Matcher, name: str) -> None:
    probes = [text for base, text in tagline_probes() if base == name]
    verdicts = {text: matcher.score(text).verdict for text in probes}
    counts = Counter(verdicts.values())
    assert counts["clear"] == 0, [text for text, v in verdicts.items() if v == "clear"]
    assert counts["impersonation"] >= 0.95 * len(probes), [
        text for text, v in verdicts.items() if v != "impersonation"
    ]


@pytest.mark.parametrize("path", labelled_files(), ids=lambda p: p.name)
def test_every_labelled_file_reaches_the_targets(matcher: Matcher, path: Path) -> None:
    found = figures(labelled_rows(path), lambda name: matcher.score(name).verdict)
    assert found.recall >= 0.99, found
    assert found.strict_recall >= 0.95, found
    assert found.precision >= 0.98, found
    assert found.bodies_impersonation == 0, found
    assert found.hard_negative_suspect <= 0.03, found
    assert found.headline_impersonation == 0, found


def test_the_new_file_is_as_the_issue_asks() -> None:
    rows = labelled_rows(NEW_FILE)
    assert len(rows) >= 300
    groups = Counter(category.split("/")[0] for _, category, _ in rows)
    positives = groups["variant"]
    assert abs(positives - (len(rows) - positives)) <= 0.05 * len(rows)
    kinds = Counter(category for _, category, _ in rows)
    for kind in (
        "tagline",
        "staff",
        "lure",
        "former_district",
        "later_name",
        "app",
        "evasion",
        "junk_suffix",
    ):
        assert kinds[f"variant/{kind}"] >= 5, kind
    for group in ("other_office", "local_body", "headline", "ordinary", "personal", "insurer"):
        assert groups[group] >= 4, group


ALLOWED = {
    "impersonation": {"impersonation"},
    "suspect": {"suspect"},
    "clear": {"clear"},
    "flagged": {"impersonation", "suspect"},
    "not_impersonation": {"suspect", "clear"},
}
ROWS = labelled_rows(NEW_FILE)
# Rows the matcher is known to judge otherwise than labelled: the labels were written before the
# matcher ran on the file and stay as written; the figures above allow for these.
KNOWN_MISSES = {"BHXH Hòa Bình - Bình Dương Hạnh Phúc"}


@pytest.mark.parametrize(("expect", "category", "name"), ROWS, ids=[f"{c}:{n[:40]}" for _, c, n in ROWS])
def test_tagline_file_row(matcher: Matcher, expect: str, category: str, name: str) -> None:
    result = matcher.score(name)
    if name in KNOWN_MISSES:
        assert result.verdict not in ALLOWED[expect], "no longer a miss: take it off the list"
        return
    assert result.verdict in ALLOWED[expect], (category, name, result.to_dict())
