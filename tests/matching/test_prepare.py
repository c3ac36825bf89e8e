"""Steps before a name is read: URL decoding, long input, separators and diacritic marks."""

from __future__ import annotations

from monitor.matching import BrandProfile
from monitor.matching.prepare import DERIVED, agrees, percent_decode, shorten
from monitor.matching.profile import marks_of


def test_percent_decoding_once_and_twice() -> None:
    assert percent_decode("bhxh%2Ebinhduong") == "bhxh.binhduong"
    assert percent_decode("bhxh%252Ebinhduong") == "bhxh.binhduong"
    assert percent_decode("100% uy tín") == "100% uy tín"


def test_shorten_drops_what_takes_no_room_before_the_cut() -> None:
    text, hidden = shorten("\u200b" * 5000 + "a  \U0001f525  b" + "\u0301" * 50, 1000)
    assert text.split() == ["a", "b\u0301\u0301"]
    assert hidden
    kept, _ = shorten("\u202eabc" + " " * 3000, 1000)
    assert kept.startswith("\u202eabc")


def test_separators_give_breaks_but_a_pipe_between_letters_is_a_letter(profile: BrandProfile) -> None:
    norm = profile.normalizer.normalize("BHXH Bình Dương - Chân Thành | Uy Tín (x) · y: z")
    assert norm.tokens == ("bhxh", "binh", "duong", "chan", "thanh", "uy", "tin", "x", "y", "z")
    assert norm.breaks == (3, 5, 7, 8, 9)
    assert not profile.normalizer.normalize("BHXH B|nh Dương").breaks


def test_marks_keep_the_diacritics_written_and_flag_folded_tokens(profile: BrandProfile) -> None:
    norm = profile.normalizer.normalize("Tư Vấn Hoà pt1 van")
    assert norm.tokens == ("tu", "van", "hoa", "pti", "van")
    assert norm.marks == ("tư", "vấn", "hòa", DERIVED, "")
    assert marks_of("Huyện Vân Hồ") == ("huyện", "vân", "hồ")


def test_agreement_of_diacritics() -> None:
    term = ("vân", "hồ")
    assert agrees(term, ("vân", "hồ"), 0, 2)
    assert agrees(term, ("", ""), 0, 2)  # written without diacritics: may be the district
    assert not agrees(term, ("vấn", "hỗ"), 0, 2)
    assert not agrees(term, (DERIVED, ""), 0, 2)
    assert agrees(term, (), 0, 2)  # marks unknown
