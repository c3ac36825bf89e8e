"""The labelled names: one case per row of labelled_names.tsv and of heldout_names.tsv."""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.matching import Matcher
from tests.matching.conftest import HELDOUT, LABELLED, labelled_rows

ALLOWED = {
    "impersonation": {"impersonation"},
    "suspect": {"suspect"},
    "clear": {"clear"},
    "flagged": {"impersonation", "suspect"},
    "not_impersonation": {"suspect", "clear"},
}
ROWS = labelled_rows(LABELLED)
HELDOUT_ROWS = labelled_rows(HELDOUT)


@pytest.mark.parametrize(("expect", "category", "name"), ROWS, ids=[f"{c}:{n[:40]}" for _, c, n in ROWS])
def test_labelled_name(matcher: Matcher, expect: str, category: str, name: str) -> None:
    result = matcher.score(name)
    assert result.verdict in ALLOWED[expect], (category, name, result.to_dict())


@pytest.mark.parametrize(
    ("expect", "category", "name"), HELDOUT_ROWS, ids=[f"{c}:{n[:40]}" for _, c, n in HELDOUT_ROWS]
)
def test_heldout_name(matcher: Matcher, expect: str, category: str, name: str) -> None:
    result = matcher.score(name)
    assert result.verdict in ALLOWED[expect], (category, name, result.to_dict())


def test_the_file_covers_what_it_must() -> None:
    categories = Counter(category.split("/")[0] for _, category, _ in ROWS)
    assert len(ROWS) >= 250
    tricks = {category for _, category, _ in ROWS if category.startswith("variant/")}
    for trick in ("decorated", "invisible", "bidi", "homoglyph", "spaced", "digits", "glued", "typo", "scam"):
        assert f"variant/{trick}" in tricks
    for legacy in ("vni", "tcvn3", "cp1252", "viqr"):
        assert f"variant/legacy-{legacy}" in tricks
    for kind in ("other_office", "local_body", "insurer", "newspaper", "law_firm", "ordinary", "personal"):
        assert categories[kind] >= 5, kind


def test_the_heldout_file_covers_what_it_must() -> None:
    categories = Counter(category for _, category, _ in HELDOUT_ROWS)
    groups = Counter(category.split("/")[0] for _, category, _ in HELDOUT_ROWS)
    assert len(HELDOUT_ROWS) >= 200
    for kind in (
        "scam",
        "glued",
        "typo",
        "decorated",
        "invisible",
        "homoglyph",
        "digits",
        "spaced",
        "sub_unit",
    ):
        assert categories[f"variant/{kind}"] >= 2, kind
    assert categories["variant/later_name"] >= 5
    for kind in ("province", "district", "region", "tricked"):
        assert categories[f"other_office/{kind}"] >= 10, kind
    for kind in ("national", "local_body", "insurer", "newspaper", "law_firm", "ordinary", "personal"):
        assert groups[kind] >= 5, kind


def test_no_name_is_in_both_files() -> None:
    assert not {name for _, _, name in ROWS} & {name for _, _, name in HELDOUT_ROWS}
