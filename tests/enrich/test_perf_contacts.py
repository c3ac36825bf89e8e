"""The phone matcher is skipped for texts too short in digits to hold a Vietnamese number."""

from __future__ import annotations

import phonenumbers
import pytest

from monitor.enrich import contacts
from monitor.enrich.contacts import extract_contacts

FEW_DIGITS = [
    "BHXH Bình Dương hỗ trợ rút BHXH 1 lần 170",
    "Trang số 170",
    "Gọi 113 hoặc 19",
    "+84 12 34",
    "Zalo 090 123",
    "０９０ １２３",  # full-width digits count as digits
    "١٢٣٤٥٦",  # so do other scripts' digits
    "1.800.12",
]


@pytest.mark.parametrize("text", FEW_DIGITS)
def test_texts_with_few_digits_hold_no_vietnamese_number(text: str) -> None:
    # What the shortcut assumes: the matcher itself finds nothing Vietnamese in such a text.
    found = phonenumbers.PhoneNumberMatcher(text, "VN", leniency=phonenumbers.Leniency.VALID)
    assert [m for m in found if phonenumbers.region_code_for_number(m.number) == "VN"] == []


@pytest.mark.parametrize("text", FEW_DIGITS)
def test_the_matcher_is_not_built_for_them(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the phone matcher ran")

    monkeypatch.setattr(contacts.phonenumbers, "PhoneNumberMatcher", refuse)
    assert extract_contacts(text).phones == ()


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Liên hệ 0901 234 170", "0901234170"),
        ("Hotline 1900 1234", "19001234"),
        ("Gọi ０９０１２３４５６７", "0901234567"),
    ],
)
def test_texts_with_enough_digits_are_still_matched(text: str, phone: str) -> None:
    assert extract_contacts(text).phones == (phone,)


def test_the_threshold_is_the_shortest_vietnamese_number() -> None:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("VN")
    assert metadata is not None
    assert contacts._MIN_PHONE_DIGITS == min(metadata.general_desc.possible_length) == 7
