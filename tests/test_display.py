"""Display-safe JSON: readable UTF-8, invisible and reordering characters escaped, values unchanged."""

from __future__ import annotations

import json
import unicodedata

import pytest

from monitor.display import json_text


@pytest.mark.parametrize(
    "char",
    [
        "\u202e",
        "\u202a",
        "\u2066",
        "\u2067",
        "\u2068",
        "\u2069",
        "\u200e",
        "\u200f",
        "\u061c",
        "\u2028",
        "\u2029",
        "\u200b",
        "\u200d",
        "\ufeff",
        "\u00ad",
        "\u0085",
        "\x7f",
        "\U000e0041",
        "\U0001d173",
    ],
)
def test_format_and_separator_characters_are_escaped(char: str) -> None:
    value = {"name": f"a{char}b", f"k{char}": [char]}
    dumped = json_text(value, indent=2)
    assert char not in dumped
    assert json.loads(dumped) == value


def test_every_format_character_of_the_bmp_is_escaped() -> None:
    chars = [chr(c) for c in range(0x10000) if unicodedata.category(chr(c)) == "Cf"]
    dumped = json_text("".join(chars))
    assert not any(ch in dumped for ch in chars)
    assert json.loads(dumped) == "".join(chars)


def test_vietnamese_and_emoji_stay_readable() -> None:
    value = {"tên": "Bảo hiểm xã hội tỉnh Bình Dương 🇻🇳", "n": 1, "ok": True, "none": None}
    dumped = json_text(value)
    assert "Bảo hiểm xã hội tỉnh Bình Dương 🇻🇳" in dumped
    assert json.loads(dumped) == value
    assert json_text(value, sort_keys=True) == json.dumps(value, ensure_ascii=False, sort_keys=True)


def test_astral_characters_become_surrogate_pairs_and_lone_surrogates_stay_encodable() -> None:
    assert json_text("\U000e0001") == '"\\udb40\\udc01"'
    dumped = json_text("x\ud800y")
    dumped.encode("utf-8")  # printable to any UTF-8 stream
    assert json.loads(dumped) == "x\ud800y"
