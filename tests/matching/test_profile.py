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


def test_places_shared_with_districts_elsewhere_are_known(profile: BrandProfile) -> None:
    # Tân Uyên is a city of Bình Dương and a district of Lai Châu.
    assert profile.shared_places["Tân Uyên"] == frozenset({"Lai Châu"})
    assert "Thủ Dầu Một" not in profile.shared_places
    # Places elsewhere carry their province.
    assert profile.place_keys["laichau"].category == "Lai Châu"
    assert profile.place_keys["govap"].category == "Hồ Chí Minh"


def test_short_names_of_the_brand_s_own_places_are_the_brand_s(profile: BrandProfile) -> None:
    assert profile.brand_keys["tdm"].kind == SUB_UNIT
    assert "tdm" not in profile.place_keys
    assert profile.place_keys["bmt"].kind == OTHER_LOCATION  # Buôn Ma Thuột, Đắk Lắk


def test_organization_synonyms_from_the_lexicon(profile: BrandProfile) -> None:
    assert profile.brand_keys["socialsecurity"].kind == ORG
    # The country's agency keeps its own, longer name.
    assert profile.place_keys["vietnamsocialsecurity"].kind == "national"


def test_every_province_has_its_newspaper(profile: BrandProfile) -> None:
    for key in ("baohaiduong", "baobinhđinh", "baobinhduong", "baocamau"):
        term = profile.word_keys[key]
        assert (term.kind, term.category) == ("third_party", "newspaper"), key
