"""The labelled names: one case per row of labelled_names.tsv."""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.matching import Matcher
from tests.matching.conftest import labelled_rows

ALLOWED = {
    "impersonation": {"impersonation"},
    "suspect": {"suspect"},
    "clear": {"clear"},
    "flagged": {"impersonation", "suspect"},
    "not_impersonation": {"suspect", "clear"},
}
ROWS = labelled_rows()


@pytest.mark.parametrize(("expect", "category", "name"), ROWS, ids=[f"{c}:{n[:40]}" for _, c, n in ROWS])
def test_labelled_name(matcher: Matcher, expect: str, category: str, name: str) -> None:
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
