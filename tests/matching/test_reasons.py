"""Reason texts: every code the matcher emits reads as a sentence in Vietnamese and English."""

from __future__ import annotations

from monitor.matching import Matcher, Reason, describe
from monitor.matching.reasons import TEXTS
from tests.matching.conftest import HELDOUT, labelled_rows


def test_every_emitted_code_has_both_sentences(matcher: Matcher) -> None:
    rows = labelled_rows() + labelled_rows(HELDOUT)
    seen = {r.code for _, _, name in rows for r in matcher.score(name).reasons}
    seen |= {
        r.code for r in matcher.score("BHXH Bình Dương", context="rút BHXH 1 lần", signals=["x"]).reasons
    }
    assert seen <= set(TEXTS)
    for code in seen:
        vi, en = TEXTS[code]
        assert vi
        assert en
        assert vi != en


def test_describe_inserts_the_detail() -> None:
    reason = Reason("other_location", "Bình Định", -25)
    assert describe(reason) == "Tên chỉ một nơi khác, không phải địa bàn của cơ quan: Bình Định"
    assert describe(reason, "en") == "The name points to another place, not the office's area: Bình Định"


def test_describe_without_detail_drops_the_colon() -> None:
    assert describe(Reason("bidi_override", "", 15), "en").endswith("from what it is")
    assert ":" not in describe(Reason("no_location", "", 0))


def test_unknown_code_falls_back_to_its_detail() -> None:
    assert describe(Reason("brand_new_code", "chi tiết", 0)) == "chi tiết"
    assert describe(Reason("brand_new_code", "", 0)) == "brand_new_code"
