"""Brand profiles: terms keyed by folded text, places elsewhere from the shipped data."""

from __future__ import annotations

import pytest

from monitor.matching import BrandProfile
from monitor.matching.lexicon import lexicon
from monitor.matching.profile import LOCATION, ORG, OTHER_LOCATION, OTHER_REGION, REGION, SUB_UNIT, host_of


def test_brand_terms_are_keyed_glued_and_folded(profile: BrandProfile) -> None:
    assert profile.brand_keys["bhxh"].kind == ORG
    assert profile.brand_keys["baohiemxahoi"].kind == ORG
    assert profile.brand_keys["binhduong"].kind == LOCATION
    assert profile.brand_keys["bd"].kind == LOCATION
    assert profile.brand_keys["thudaumot"].kind == SUB_UNIT
    assert profile.brand_keys["khuvuciv"].kind == REGION


def test_places_elsewhere_cover_old_and_new_provinces_and_districts(profile: BrandProfile) -> None:
    places = profile.place_keys
    for key in ("binhđinh", "binhdinh", "haiduong", "hochiminh", "hanoi", "caobang", "bđ", "quan1", "govap"):
        assert places[key].kind == OTHER_LOCATION, key
    assert places["khuvucxiv"].kind == OTHER_REGION
    # The brand's own province and its districts are never "elsewhere".
    for key in ("binhduong", "dian", "thuanan", "bencat", "bd"):
        assert key not in places, key


def test_shipped_data_has_the_63_and_the_34_provinces() -> None:
    units = lexicon().units
    provinces = {u.name for u in units if u.kind == "province"}
    assert len(provinces) >= 63
    assert {"Bình Dương", "Hồ Chí Minh", "Đắk Lắk", "Cà Mau"} <= provinces
    assert sum(1 for u in units if u.kind == "district") >= 690


def test_fuzzy_targets_are_whole_words_or_short_abbreviations(profile: BrandProfile) -> None:
    keys = {t.key: t.max_distance for t in profile.fuzzy}
    assert keys["binhduong"] == 2
    assert keys["baohiemxahoi"] == 2
    assert keys["bhxh"] == 1
    assert "bhxahoi" not in keys  # mixed abbreviations are matched exactly only


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://WWW.BaoHiemXaHoi.gov.vn/x?y", "baohiemxahoi.gov.vn"),
        ("binhduong.baohiemxahoi.gov.vn", "binhduong.baohiemxahoi.gov.vn"),
        ("http://[::1", None),
        ("", None),
        ("https://xn--bnh-dng-zya74nje.vn", "bình-dương.vn"),
    ],
)
def test_host_of(url: str, host: str | None) -> None:
    assert host_of(url) == host
