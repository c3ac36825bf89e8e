"""Normalisation: every trick of the brief folds to the same tokens and is reported."""

from __future__ import annotations

import unicodedata

import pytest

import monitor.matching.normalize as nz
from monitor.matching import BrandProfile
from monitor.matching.normalize import canonical_tones, fold, is_syllable, normalize, place_tone

BRAND_TOKENS = ("bhxh", "binh", "duong")


@pytest.mark.parametrize(
    ("text", "trick"),
    [
        ("𝐁𝐇𝐗𝐇 Bình Dương", nz.DECORATED),  # mathematical bold
        ("ＢＨＸＨ Bình Dương", nz.DECORATED),  # fullwidth
        ("ⒷⒽⓍⒽ Bình Dương", nz.DECORATED),  # enclosed
        ("🄱🄷🅇🄷 Bình Dương", nz.DECORATED),  # squared
        ("🅱🅷🆇🅷 Bình Dương", nz.DECORATED),  # negative squared
        ("🇧🇭🇽🇭 Bình Dương", nz.DECORATED),  # regional indicators
        ("ʙʜxʜ Bình Dương", nz.DECORATED),  # small capitals
        ("BHXH Bình Dư\u200bơng", nz.INVISIBLE),  # zero-width space
        ("BHXH Bình Dư\u200cơng", nz.INVISIBLE),  # zero-width non-joiner
        ("BHXH Bình Dư\u200dơng", nz.INVISIBLE),  # zero-width joiner
        ("BHXH Bình Dư\u2060ơng", nz.INVISIBLE),  # word joiner
        ("BHXH Bình Dư\ufeffơng", nz.INVISIBLE),  # byte order mark
        ("BHXH Bình Dư\u00adơng", nz.INVISIBLE),  # soft hyphen
        ("BHXH Bình Dư\u034fơng", nz.INVISIBLE),  # combining grapheme joiner
        ("BHXH Bình Dư\ufe0fơng", nz.INVISIBLE),  # variation selector
        ("BHXH Bình Dư\u3164ơng", nz.INVISIBLE),  # Hangul filler
        ("BHXH Bình Dư\u200eơng", nz.INVISIBLE),  # bidi mark
        ("BHXH \u202egnoưD hnìB\u202c", nz.BIDI),  # right-to-left override
        ("ВНХН Вình Dương", nz.HOMOGLYPHS),  # Cyrillic
        ("ΒΗΧΗ Bình Dương", nz.HOMOGLYPHS),  # Greek
        ("BHXH Bınh Dương", nz.HOMOGLYPHS),  # dotless i
        ("B H X H Bình Dương", nz.SPACED),
        ("B.H.X.H Bình Dương", nz.SPACED),
        ("B-H-X-H Bình Dương", nz.SPACED),
        ("8HXH Bình Dương", nz.DIGITS),
        ("BHXH B1nh Dương", nz.DIGITS),
        ("BHXH B!nh Dương", nz.DIGITS),
        ("BHXH Blnh Dương", nz.LOOKALIKE),
    ],
)
def test_tricks_fold_to_the_brand_and_are_reported(profile: BrandProfile, text: str, trick: str) -> None:
    result = profile.normalizer.normalize(text)
    assert result.tokens == BRAND_TOKENS
    assert trick in result.tricks


@pytest.mark.parametrize(
    "text",
    [
        "BHXHBinhDuong",
        "BHXHBìnhDương",
        "bhxh.binhduong",
        "bhxh_binhduong",
        "bhxhbinhduong",
        "bhxh-binh-duong",
    ],
)
def test_camel_case_and_glued_names_split(profile: BrandProfile, text: str) -> None:
    assert profile.normalizer.normalize(text).tokens == BRAND_TOKENS


def test_plain_spelling_reports_no_trick(profile: BrandProfile) -> None:
    result = profile.normalizer.normalize("Bảo hiểm xã hội tỉnh Bình Dương")
    assert result.tokens == ("bao", "hiem", "xa", "hoi", "tinh", "binh", "duong")
    assert result.tricks == {}


def test_stroke_d_and_its_lookalikes_stay_apart_from_d() -> None:
    # Đ, Icelandic eth and African D all read as đ, never as plain d ("BĐ" is Bình Định).
    for text in ("BĐ", "BÐ", "BƉ", "bđ"):
        assert normalize(text).tokens == ("bđ",), text
    assert normalize("BD").tokens == ("bd",)
    assert fold("Đ") == "đ"


def test_nfd_input_folds_like_nfc() -> None:
    nfc = "Bảo hiểm xã hội Bình Dương"
    assert normalize(unicodedata.normalize("NFD", nfc)).tokens == normalize(nfc).tokens


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("hoà", "hòa"),
        ("Khánh Hoà", "Khánh Hòa"),
        ("thuỷ", "thủy"),
        ("khoẻ", "khỏe"),
        ("Thanh Hoá", "Thanh Hóa"),
    ],
)
def test_tone_placement_is_made_one(old: str, new: str) -> None:
    assert canonical_tones(old) == new
    assert canonical_tones(new) == new
    assert normalize(old).tokens == normalize(new).tokens


@pytest.mark.parametrize(
    ("word", "placed"),
    [
        ("người", "người"),
        ("quý", "quý"),
        ("giữa", "giữa"),
        ("hoàng", "hoàng"),
        ("tuổi", "tuổi"),
        ("nghĩa", "nghĩa"),
    ],
)
def test_tone_placement_keeps_words_that_are_already_right(word: str, placed: str) -> None:
    assert place_tone(word) == placed


def test_phone_numbers_and_claim_symbols_are_taken_out() -> None:
    result = normalize("BHXH Bình Dương ✔ 0909.123.456 - +84 912 345 678 - 1900 9068")
    assert result.phones == ("0909123456", "0912345678", "19009068")
    assert result.claim_symbols == ("✔",)
    assert "0909" not in result.folded


def test_digit_words_are_not_read_as_letters(profile: BrandProfile) -> None:
    result = profile.normalizer.normalize("Rút BHXH 1 lần 24/7 năm 2024 bhxh2025")
    # Short numbers can belong to a term; long ones (years, counters) are left out.
    assert result.tokens == ("rut", "bhxh", "1", "lan", "24", "7", "nam", "bhxh")
    assert nz.DIGITS not in result.tricks


def test_syllable_shape() -> None:
    assert is_syllable("nghieng")
    assert is_syllable("binh")
    assert is_syllable("duong")
    assert not is_syllable("bhxh")
    assert not is_syllable("blnh")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x" * 10_000,
        "\ud800\udfff lone surrogates \udc80",
        "\x00\x01\x1b[31m control \x7f\x9b",
        "\u202e" * 50,
        "\u200d" * 5000,
        "🇻🇳" * 3000,
        "B" + "\u0301" * 5000,
        "\n\r\t",
        "Bình Dương " * 1000,
    ],
)
def test_hostile_input_gives_a_result(profile: BrandProfile, text: str) -> None:
    result = profile.normalizer.normalize(text)
    assert len(result.tokens) <= nz.MAX_CHARS
    result.folded.encode("utf-8")
    result.text.encode("utf-8")


@pytest.mark.parametrize(
    "text",
    [
        "xn--bhxh-bnh-dng-kfb25wog.com",
        "XN--BHXH-BNH-DNG-KFB25WOG.COM",
        "https://xn--bhxh-bnh-dng-kfb25wog.com/",
    ],
)
def test_punycode_labels_are_decoded_and_reported(profile: BrandProfile, text: str) -> None:
    result = profile.normalizer.normalize(text)
    assert " ".join(BRAND_TOKENS) in result.folded
    assert result.tricks[nz.PUNYCODE] == "bhxh-bình-dương"


def test_text_that_only_looks_like_punycode_is_left_alone() -> None:
    for text in ("xn--zzzz", "axn--bhxh-bnh-dng-kfb25wog", "xn--"):
        assert nz.PUNYCODE not in normalize(text).tricks, text


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("bhxhkv12", ("bhxh", "kv", "12")),  # glued beside a number: the digits are a number
        ("BHXHBD24h", ("bhxh", "bd", "24", "h")),
        ("bhxhbinhduong2024", BRAND_TOKENS),
        ("BHxãhội Bình Dương", ("bh", "xa", "hoi", "binh", "duong")),  # a capital inside a word
        ("BảohiểmXHBD", ("bao", "hiem", "xh", "bd")),
        ("hotrobhxhbdcskh", ("ho", "tro", "bhxh", "bd", "cskh")),
    ],
)
def test_glued_names_are_read_as_their_words(
    profile: BrandProfile, text: str, tokens: tuple[str, ...]
) -> None:
    result = profile.normalizer.normalize(text)
    assert result.tokens == tokens
    assert nz.DIGITS not in result.tricks


def test_lone_letters_join_only_into_whole_known_words(profile: BrandProfile) -> None:
    # "H.Ý Yên" is the district Ý Yên, not "hy" (a syllable of Đồng Hỷ) followed by "yên".
    assert profile.normalizer.normalize("BHXH H.Ý Yên").tokens == ("bhxh", "h", "y", "yen")
    assert profile.normalizer.normalize("B H X H B D").tokens == ("bhxh", "bd")


def test_an_l_is_read_as_i_only_into_a_known_word(profile: BrandProfile) -> None:
    assert nz.LOOKALIKE in profile.normalizer.normalize("BHXH Blnh Dương").tricks
    plo = profile.normalizer.normalize("PLO")
    assert plo.tokens == ("plo",)
    assert not plo.tricks
    # Place names spelt with an l are taken as written, not as a trick.
    assert not profile.normalizer.normalize("BHXH huyện Đắk Mil").tricks
