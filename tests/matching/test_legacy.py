"""Legacy encodings: text typed in TCVN3, VNI, VIQR or UTF-8 mis-read as cp1252 is repaired."""

from __future__ import annotations

import pytest

from monitor.matching.legacy import repair

NAME = "Bảo hiểm xã hội tỉnh Bình Dương"


@pytest.mark.parametrize(
    ("typed", "encoding"),
    [
        # TCVN3 read as Latin-1: ư is byte 0xAD, a soft hyphen.
        ("B¶o hiÓm x· héi tØnh B×nh D\u00ad¬ng", "tcvn3"),
        # VNI Windows: the base letter followed by a mark character.
        ("Baûo hieåm xaõ hoäi tænh Bình Döông", "vni"),
        # UTF-8 bytes shown as Windows-1252.
        ("Báº£o hiá»ƒm xÃ£ há»™i tá»‰nh BÃ¬nh DÆ°Æ¡ng", "cp1252"),
        # VIQR: ASCII marks after each vowel.
        ("Ba?o hie^?m xa~ ho^.i ti?nh Bi`nh Du+o+ng", "viqr"),
    ],
)
def test_legacy_text_is_repaired(typed: str, encoding: str) -> None:
    assert repair(typed) == (NAME, encoding)


def test_mojibake_with_bytes_cp1252_leaves_undefined_is_repaired() -> None:
    # "ờ" is E1 BB 9D; 0x9D has no cp1252 character and arrives as U+009D.
    broken = "NgÆ°á»\x9di lao Ä‘á»™ng"
    assert repair(broken) == ("Người lao động", "cp1252")


@pytest.mark.parametrize(
    "text",
    [
        NAME,
        "BHXH Bình Dương",
        "Hòa Bình",
        "Nguyễn Thị Ánh Tuyết",
        "What? Yes.",
        "Café Bình Dương",
        "Müller",
        "",
    ],
)
def test_unicode_and_plain_text_are_left_alone(text: str) -> None:
    assert repair(text) == (text, None)
