"""Counts and text cleaning shared by every extractor."""

from __future__ import annotations

import pytest

from monitor.enrich.page import MAX_COUNT, PageInfo, clean_text, parse_count, truncate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("11.3M", 11_300_000),
        ("783.4K Followers", 783_400),
        ("11 286 994 subscribers", 11_286_994),
        ("11\u2009286\u2009994 subscribers", 11_286_994),
        ("11\u202f286\u202f994", 11_286_994),
        ("2\u00a0805 members", 2_805),
        ("97 957 members, 4 138 online", 97_957),
        ("8 122 955 monthly users", 8_122_955),
        ("4,69 M de suscriptores", 4_690_000),
        ("4,69 millones de suscriptores", 4_690_000),
        ("1,2 Tr người đăng ký", 1_200_000),
        ("12,5 N người theo dõi", 12_500),
        ("1.234 người theo dõi", 1_234),
        ("1,234 followers", 1_234),
        ("12.345.678", 12_345_678),
        ("1.5B", 1_500_000_000),
        ("2 members", 2),
        ("783400", 783_400),
        (783_400, 783_400),
    ],
)
def test_parse_count_reads_every_written_form(text: object, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    "text", ["", "no digits", None, True, -5, 3.5, "9" * 400, "99999999999999 subscribers"]
)
def test_parse_count_answers_none_for_non_counts(text: object) -> None:
    assert parse_count(text) is None


def test_parse_count_caps_absurd_values() -> None:
    assert parse_count("999999 B") is None
    assert parse_count("9 B") == 9_000_000_000 <= MAX_COUNT


def test_clean_text_drops_controls_bidi_and_lone_surrogates() -> None:
    dirty = "B\x00H\x07X\u200bH \u202eBình\ud800 Dương\n\tx"
    assert clean_text(dirty) == "BHXH Bình? Dương x"


def test_clean_text_multiline_keeps_lines_and_caps() -> None:
    text = clean_text("a  b\r\n\r\n\r\nc\u00a0d", 100, multiline=True)
    assert text == "a b\n\nc d"
    assert clean_text("x" * 10_000, 300) == "x" * 299 + "…"
    assert truncate("abc", 3) == "abc"


def test_clean_text_normalises_decomposed_vietnamese() -> None:
    decomposed = "Bi\u0300nh Du\u031bo\u031bng"
    assert clean_text(decomposed) == "Bình Dương"


def test_page_info_texts_skip_empty_parts() -> None:
    info = PageInfo(platform="web", url="https://x.vn/", title="T", posts=("p1", ""), text_excerpt="")
    assert info.texts() == ["T", "p1"]
    assert info.name == "T"
