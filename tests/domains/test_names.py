"""Host-name helpers: folding, IDNA, public-suffix split and finding keys."""

from __future__ import annotations

import pytest

from monitor.domains.names import (
    finding_key,
    fold,
    is_restricted,
    is_under,
    parent_zone,
    to_ascii,
    to_unicode,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Bảo hiểm xã hội", "baohiemxahoi"),
        ("BHXH", "bhxh"),
        ("Bình Dương", "binhduong"),
        ("B.Dương", "bduong"),
        ("Đắk Lắk", "daklak"),
        ("", ""),
        ("\x00\ud800 ", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("name", "ascii_form"),
    [
        ("BaoHiemXaHoi.COM.", "baohiemxahoi.com"),
        ("bảohiểmxãhội.vn", "xn--bohimxhi-wza8627efka2i.vn"),
        ("a..b", None),
        ("-bad.com", None),
        ("localhost", None),
        ("x" * 10_000 + ".com", None),
        ("bad\x00.com", None),
        ("\ud800.com", None),
        ("", None),
    ],
)
def test_to_ascii(name: str, ascii_form: str | None) -> None:
    assert to_ascii(name) == ascii_form


def test_to_unicode_shows_idn_and_keeps_broken_punycode() -> None:
    assert to_unicode("xn--bohimxhi-wza8627efka2i.vn") == "bảohiểmxãhội.vn"
    assert to_unicode("xn--a.com") == "xn--a.com"  # not valid punycode: shown as it is
    assert to_unicode("plain.com") == "plain.com"


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("baohiemxahoj.com", "baohiemxahoj.com"),
        ("binhduong.baohiemxahoj.com.vn", "baohiemxahoj.com.vn"),
        ("baohiemxahoi.govvvn.com", "govvvn.com"),
        ("baohiemxahoi.gov.vn.com", "vn.com"),
        # Free hosting: the site, not the hoster.
        ("bhxh-binhduong.blogspot.com", "bhxh-binhduong.blogspot.com"),
        ("www.bhxh.github.io", "bhxh.github.io"),
        ("bhxh.netlify.app", "bhxh.netlify.app"),
        ("a.bhxh.wixsite.com", "bhxh.wixsite.com"),
        ("bhxh.weebly.com", "bhxh.weebly.com"),
        ("www.bhxh.000webhostapp.com", "bhxh.000webhostapp.com"),
    ],
)
def test_finding_key(host: str, key: str) -> None:
    assert finding_key(host) == key


def test_zone_helpers() -> None:
    assert parent_zone("a.b.com") == "b.com"
    assert is_restricted("binhduong.baohiemxahoi.gov.vn")
    assert not is_restricted("baohiemxahoi.gov.vn.com")
    assert is_under("hcm.baohiemxahoi.gov.vn", {"baohiemxahoi.gov.vn"})
    assert not is_under("xbaohiemxahoi.gov.vn", {"baohiemxahoi.gov.vn"})
