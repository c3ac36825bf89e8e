"""Scoring: organisation and place apart, signals that never decide alone, allowlist, hostile input."""

from __future__ import annotations

import dataclasses
import gc
import random

import pytest
from rapidfuzz import fuzz

from monitor.matching import BrandProfile, Matcher, MatchResult, verdict_for
from monitor.matching.normalize import fold
from monitor.settings import BrandSettings


def codes(result: MatchResult) -> set[str]:
    return {reason.code for reason in result.reasons}


def test_another_province_keeps_clear_where_generic_fuzzy_ratios_fail(matcher: Matcher) -> None:
    ours, theirs = "Bảo hiểm xã hội tỉnh Bình Dương", "Bảo hiểm xã hội tỉnh Hải Dương"
    assert fuzz.WRatio(fold(ours), fold(theirs)) > 85  # why a plain ratio is not enough
    assert matcher.score(ours).verdict == "impersonation"
    other = matcher.score(theirs)
    assert other.verdict == "clear"
    assert "other_location" in codes(other)


@pytest.mark.parametrize(
    "name", ["BHXH BĐ", "BHXH BÐ", "BHXH Bình Định", "BHXH Binh Dinh", "BHXH Bình Phước"]
)
def test_abbreviations_are_resolved_before_folding(matcher: Matcher, name: str) -> None:
    assert matcher.score(name).verdict == "clear"


def test_our_abbreviation_is_ours(matcher: Matcher) -> None:
    result = matcher.score("BHXH BD")
    assert result.verdict == "impersonation"
    assert {"organization_match", "location_match"} <= codes(result)


@pytest.mark.parametrize("name", ["BHXH Bình Dưong", "BHXH Bihn Duong", "BHXH Bình Zương", "BHXH Bìn Dươg"])
def test_typos_of_our_place_are_flagged(matcher: Matcher, name: str) -> None:
    assert matcher.score(name).verdict in ("impersonation", "suspect")


def test_a_typo_is_named_as_such(matcher: Matcher) -> None:
    result = matcher.score("BHXH Bihn Duong")
    typo = next(r for r in result.reasons if r.code == "location_typo")
    assert "bihn duong" in typo.detail
    assert "Bình Dương" in typo.detail


@pytest.mark.parametrize(
    "name",
    [
        "Hỗ trợ rút BHXH 1 lần 0909123456 ✔ chính thức",  # no place: never an alert
        "Tư vấn chốt sổ, gộp sổ 24/7 - Hotline 0912345678",
        "Shop hoàn tiền CSKH tổng đài ✔",
    ],
)
def test_signals_never_make_an_alert_alone(matcher: Matcher, name: str) -> None:
    assert matcher.score(name).verdict != "impersonation"


def test_signals_raise_the_score(matcher: Matcher) -> None:
    plain = matcher.score("BHXH Bình Dương").score
    scam = matcher.score("BHXH Bình Dương - Hỗ trợ rút BHXH 1 lần")
    assert scam.score > plain
    assert "scam_phrase" in codes(scam)
    phone = matcher.score("BHXH Bình Dương 0909 123 456")
    assert "phone_number" in codes(phone)
    assert phone.score > plain
    hotline = matcher.score("BHXH Bình Dương 1900 9068")
    assert "official_hotline" in codes(hotline)


def test_context_adds_evidence_but_never_a_verdict(matcher: Matcher) -> None:
    context = "BHXH Bình Dương hỗ trợ rút BHXH 1 lần, gọi 0909123456"
    alone = matcher.score("Trang cá nhân", context=context)
    assert alone.verdict == "clear"
    base = matcher.score("BHXH Thủ Dầu Một")
    with_context = matcher.score("BHXH Thủ Dầu Một", context=context)
    assert with_context.score > base.score
    assert "context_signal" in codes(with_context)


def test_upstream_signals_never_decide_alone(matcher: Matcher) -> None:
    assert matcher.score("Nguyễn Văn An", signals=["uses_logo", "new_account"]).verdict == "clear"
    flagged = matcher.score("BHXH Thủ Dầu Một", signals=["uses_logo"])
    assert "signal" in codes(flagged)


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("Bảo hiểm xã hội tỉnh Bình Dương", "https://binhduong.baohiemxahoi.gov.vn/tin-tuc"),
        ("BHXH Bình Dương", "http://dichvucong.baohiemxahoi.gov.vn"),
        ("Báo Bình Dương - BHXH", "https://baobinhduong.vn/bhxh"),
        ("binhduong.baohiemxahoi.gov.vn", None),
    ],
)
def test_official_and_legitimate_domains_are_allowlisted(
    matcher: Matcher, name: str, url: str | None
) -> None:
    result = matcher.score(name, url=url)
    assert (result.verdict, result.score) == ("clear", 0)
    assert codes(result) == {"allowlisted"}


def test_lookalike_domains_are_not_allowlisted(matcher: Matcher) -> None:
    for url in ("https://binhduong-baohiemxahoi.gov.vn.top", "https://baohiemxahoi.gov.vn.binhduong.xyz"):
        assert matcher.score("BHXH Bình Dương", url=url).verdict == "impersonation"


def test_official_handles_are_allowlisted(brand: BrandSettings) -> None:
    owned = brand.model_copy(update={"official_handles": ["facebook:bhxhbinhduong.official"]})
    matcher = Matcher(BrandProfile.from_settings(owned))
    assert codes(matcher.score("BHXH Bình Dương", identity="facebook:BHXHBinhDuong.Official")) == {
        "allowlisted"
    }
    assert (
        matcher.score("BHXH Bình Dương", identity="facebook:bhxh.binhduong.fake").verdict == "impersonation"
    )


def test_an_account_when_the_office_owns_none_is_a_reason(matcher: Matcher) -> None:
    result = matcher.score("BHXH Bình Dương", identity="tiktok:@bhxhbinhduong")
    assert "unofficial_account" in codes(result)


@pytest.mark.parametrize("name", ["Bảo hiểm xã hội Việt Nam", "Báo Bình Dương", "Công an tỉnh Bình Dương"])
def test_legitimate_lookalikes_by_name_are_clear(matcher: Matcher, name: str) -> None:
    assert matcher.score(name).verdict == "clear"


def test_score_is_the_sum_of_the_reasons(matcher: Matcher) -> None:
    names = [
        "BHXH Bình Dương - Hỗ trợ rút BHXH 1 lần ✔ 0909123456",
        "𝐁𝐇𝐗𝐇 B1nh Dư\u200dơng CSKH",
        "BHXH tỉnh Bình Định - Hỗ trợ",
        "Báo Bình Dương - Tin BHXH Bình Dương",
        "Luật sư tư vấn BHXH",
        "BHXH tỉnh Bình Dương tổ chức hội nghị tổng kết năm",
        "Nguyễn Văn Bình",
    ]
    for name in names:
        result = matcher.score(name)
        assert result.score == max(0, min(100, sum(r.weight for r in result.reasons))), name
        assert result.verdict == verdict_for(result.score)


def test_headlines_are_not_alerts(matcher: Matcher) -> None:
    result = matcher.score("BHXH tỉnh Bình Dương tổ chức hội nghị tổng kết năm 2024")
    assert result.verdict == "suspect"
    assert "descriptive_text" in codes(result)


def test_result_shape(matcher: Matcher) -> None:
    result = matcher.score("BHXH Bình Dương")
    data = result.to_dict()
    assert list(data) == ["score", "verdict", "reasons", "normalized"]
    assert data["normalized"] == "bhxh binh duong"
    assert {"code", "detail", "weight"} == set(data["reasons"][0])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 1  # type: ignore[misc]


def test_batch_matches_one_by_one(profile: BrandProfile) -> None:
    names = ["BHXH Bình Dương", "BHXH Bình Định", "", "BHXH Bình Dương", "ВНХН Вình Dương"]
    one = Matcher(profile)
    assert Matcher(profile).score_many(names) == [one.score(name) for name in names]


def test_verdict_thresholds() -> None:
    assert [verdict_for(s) for s in (0, 39, 40, 69, 70, 100)] == [
        "clear",
        "clear",
        "suspect",
        "suspect",
        "impersonation",
        "impersonation",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "x" * 10_000,
        "BHXH Bình Dương " * 800,
        "\ud800BHXH\udfff",
        "\x00\x07\x1b",
        "\u202e" * 100,
        "🇻🇳" * 5000,
    ],
)
def test_hostile_names_give_a_result(matcher: Matcher, name: str) -> None:
    result = matcher.score(name, context=name, url=name, identity=name, signals=[name])
    assert 0 <= result.score <= 100
    assert result.verdict == verdict_for(result.score)


def test_random_strings_never_raise(matcher: Matcher) -> None:
    rng = random.Random(20250701)
    alphabet = [chr(c) for c in (*range(0, 0x250), *range(0x1E00, 0x2100), *range(0xD800, 0xD810))]
    alphabet += ["\u200d", "\u202e", "\ufeff", "𝐁", "Đ", "ư", "ơ", "1", "8", "@", ".", "_", "-", " "]
    for _ in range(1500):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        result = matcher.score(name, url=name)
        assert 0 <= result.score <= 100


def test_another_brand_is_matched_by_its_own_config(brand: BrandSettings) -> None:
    # Nothing is special-cased for Bình Dương: the same code protects the Bình Định office.
    binh_dinh = brand.model_copy(
        update={
            "slug": "bhxh-binh-dinh",
            "name": "Bảo hiểm xã hội tỉnh Bình Định",
            "names": ["BHXH Bình Định"],
            "later_names": [],
            "location_terms": ["Bình Định", "BĐ"],
            "sub_units": ["Quy Nhơn", "An Nhơn"],
            "legitimate": [],
        }
    )
    matcher = Matcher(BrandProfile.from_settings(binh_dinh))
    assert matcher.score("BHXH Bình Định - Hỗ trợ rút 1 lần").verdict == "impersonation"
    assert matcher.score("BHXH BĐ").verdict == "impersonation"
    assert matcher.score("BHXH Quy Nhơn").verdict in ("impersonation", "suspect")
    assert matcher.score("BHXH Bình Dương").verdict == "clear"
    assert matcher.score("BHXH Bình Phước").verdict == "clear"


def test_a_place_named_like_a_district_of_the_province_beside_it_points_there(matcher: Matcher) -> None:
    for name in ("BHXH huyện Tân Uyên tỉnh Lai Châu", "BHXH Lai Châu - Tân Uyên"):
        result = matcher.score(name)
        assert result.verdict == "clear", name
        assert "other_location" in codes(result)
    # Alone, or beside the brand's own province, Tân Uyên is the brand's.
    assert matcher.score("BHXH Tân Uyên").verdict != "clear"
    assert matcher.score("BHXH Tân Uyên - Bình Dương").verdict == "impersonation"


def test_headline_words_keep_news_from_alerts(matcher: Matcher) -> None:
    result = matcher.score("BHXH Bình Dương đẩy mạnh cài đặt VssID")
    assert result.verdict == "suspect"
    assert "descriptive_text" in codes(result)
    # A headline word inside the name of a place is not one ("Hớn Quản" folds to "hon quan").
    assert matcher.score("BHXH Bình Dương - Hỗ trợ").verdict == "impersonation"


def test_short_names_and_synonyms_count_as_the_brand(matcher: Matcher) -> None:
    assert matcher.score("Binh Duong Social Security").verdict == "impersonation"
    assert matcher.score("Vietnam Social Security").verdict == "clear"
    tdm = matcher.score("BHXH TDM")
    assert tdm.verdict != "clear"
    assert "sub_unit_match" in codes(tdm)


def test_glued_regions_and_punycode_domains(matcher: Matcher) -> None:
    assert matcher.score("bhxhkv12").verdict == "clear"
    assert matcher.score("bhxhkv4").verdict == "impersonation"
    fake = matcher.score("xn--bhxh-bnh-dng-kfb25wog.com")
    assert fake.verdict == "impersonation"
    assert "punycode_domain" in codes(fake)


def test_a_province_s_newspaper_is_not_an_alert(matcher: Matcher) -> None:
    result = matcher.score("Báo Đồng Nai: BHXH Bình Dương giải đáp thắc mắc")
    assert result.verdict != "impersonation"
    assert "third_party" in codes(result)


def test_a_batch_leaves_the_garbage_collector_as_it_found_it(matcher: Matcher) -> None:
    assert gc.isenabled()
    matcher.score_many(["BHXH Bình Dương", "Nguyễn Văn An"])
    assert gc.isenabled()
    gc.disable()
    try:
        matcher.score_many(["BHXH Bình Dương"])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_official_logo_is_its_own_reason(matcher: Matcher) -> None:
    plain = matcher.score("BHXH Bình Dương hỗ trợ", identity="facebook:page:x")
    with_logo = matcher.score(
        "BHXH Bình Dương hỗ trợ", identity="facebook:page:x", signals=["logo:logo.png:3", "phone:0912345678"]
    )
    codes = {reason.code: reason for reason in with_logo.reasons}
    assert codes["official_logo"].detail == "logo.png"
    assert codes["official_logo"].weight > 0
    assert "logo:" not in codes["signal"].detail
    assert with_logo.score > plain.score
    # A logo never decides alone: a name that names neither the office nor its place stays clear.
    assert matcher.score("Shop hoa tươi", signals=["logo:logo.png:0"]).verdict == "clear"
