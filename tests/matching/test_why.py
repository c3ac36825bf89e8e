"""Each case the second version of the matcher was built for, as the issue describes it."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from monitor.commands.context import CliContext
from monitor.commands.match import match_command
from monitor.matching import Matcher, MatchResult
from monitor.matching.normalize import MAX_CHARS
from tests.matching.conftest import CONFIG


def codes(result: MatchResult) -> set[str]:
    return {reason.code for reason in result.reasons}


def capped_by(result: MatchResult) -> set[str]:
    return {reason.code for reason in result.reasons if reason.weight < 0}


# -- a perfect copy of the office's name and an ordinary tagline -----------------------------


@pytest.mark.parametrize(
    "name",
    [
        "BHXH Bình Dương - Chân Thành - Uy Tín",
        "BHXH Bình Dương - Vì Nhân Dân Phục Vụ",
        "BHXH Bình Dương - Thanh Niên",
        "BHXH Bình Dương - Tuổi Trẻ",
        "BHXH Bình Dương - Chăm Lo Dân Sinh",
        "BHXH Bình Dương - Giải Ngân Qua Ngân Hàng",
        "BHXH Bình Dương - Đại Đoàn Kết",
    ],
)
def test_a_tagline_never_clears_the_office_name(matcher: Matcher, name: str) -> None:
    result = matcher.score(name)
    assert result.verdict == "impersonation", result.to_dict()
    assert not capped_by(result)


@pytest.mark.parametrize("suffix", ["pt1", "pvl", "plo"])
def test_junk_suffixes_are_not_read_as_insurers_or_newspapers(matcher: Matcher, suffix: str) -> None:
    result = matcher.score(f"BHXH Bình Dương {suffix}")
    assert result.verdict == "impersonation", result.to_dict()
    assert "third_party" not in codes(result)


def test_cap_terms_never_come_from_digit_or_lookalike_folds(matcher: Matcher) -> None:
    # Written as they are, the insurers' names still name another body.
    for name in ("PTI Bình Dương", "PVI Bình Dương"):
        assert "third_party" in codes(matcher.score(name)), name
    for name in ("Bảo hiểm xã hội PT1 Bình Dương", "Bảo hiểm xã hội PVl Bình Dương"):
        assert "third_party" not in codes(matcher.score(name)), name


# -- the seed case, staff personas and lures -------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Bảo hiểm xã hội tỉnh Bình Dương - Thu gom sổ BHXH mùa dịch",
        "Giang - Nhân viên tiếp nhận hồ sơ BHXH Bình Dương",
        "Lương Uyên - Chuyên viên BHXH tỉnh Bình Dương",
        "Nguyễn Thanh Tùng - Phó Giám đốc BHXH tỉnh Bình Dương",
        "Trợ cấp thất nghiệp Tết - BHXH Bình Dương",
    ],
)
def test_seed_case_personas_and_lures_are_impersonation(matcher: Matcher, name: str) -> None:
    result = matcher.score(name)
    assert result.verdict == "impersonation", result.to_dict()
    assert "descriptive_text" not in codes(result)


def test_staff_titles_and_lures_raise_the_score(matcher: Matcher) -> None:
    plain = matcher.score("BHXH Bình Dương").score
    staff = matcher.score("Chuyên viên BHXH Bình Dương")
    assert "staff_title" in codes(staff)
    assert staff.score > plain
    lure = matcher.score("BHXH Bình Dương - Thu gom sổ")
    assert "scam_phrase" in codes(lure)
    assert lure.score > plain


def test_staff_of_another_province_stays_clear(matcher: Matcher) -> None:
    assert matcher.score("Nguyễn Thanh Tùng - Phó Giám đốc BHXH tỉnh Bình Phước").verdict == "clear"


# -- negative evidence respects the text -----------------------------------------------------


def test_a_district_must_agree_with_the_diacritics_written(matcher: Matcher) -> None:
    result = matcher.score("BHXH Bình Dương Tư Vấn Hỗ Trợ")
    assert result.verdict == "impersonation"
    assert "other_location" not in codes(result)
    # Written as the district is, or without diacritics, it is still the district.
    assert matcher.score("BHXH Vân Hồ").verdict == "clear"
    assert matcher.score("BHXH Van Ho").verdict == "clear"


@pytest.mark.parametrize("name", ["BHXH Bình Dương - Long An Toàn", "BHXH Bình Dương - Hòa Bình Hạnh Phúc"])
def test_a_place_in_a_tagline_is_not_another_place(matcher: Matcher, name: str) -> None:
    result = matcher.score(name)
    assert result.verdict == "impersonation", result.to_dict()
    assert "other_location" not in capped_by(result)


def test_another_place_that_names_the_page_still_caps(matcher: Matcher) -> None:
    for name in ("BHXH Hòa Bình - Hạnh Phúc", "BHXH Long An - An toàn", "BHXH Bình Định - Chân Thành"):
        assert matcher.score(name).verdict == "clear", name


def test_no_term_spans_a_separator(matcher: Matcher) -> None:
    # "Thành - Uy" is not "thành ủy"; "Thành ủy Bình Dương" is.
    assert "third_party" not in codes(matcher.score("BHXH Bình Dương - Chân Thành - Uy Tín"))
    assert "third_party" in codes(matcher.score("Thành ủy Bình Dương - BHXH"))


def test_a_body_that_names_the_page_still_caps(matcher: Matcher) -> None:
    for name in (
        "Báo Bình Dương - BHXH Bình Dương",
        "VnExpress - BHXH Bình Dương",
        "Đại lý thu BHXH Bình Dương",
    ):
        assert matcher.score(name).verdict != "impersonation", name
    # The source at the end of a news title is who the page is.
    assert matcher.score("BHXH Bình Dương chi trả lương hưu | Báo Bình Dương").verdict != "impersonation"


# -- former districts, the region, the parent city and the app -------------------------------


@pytest.mark.parametrize(
    "name", ["BHXH Thủ Dầu Một", "BHXH Dĩ An", "bhxhthuanan.com", "BHXH khu vực IV", "bhxhkhuvuc4.com"]
)
def test_office_and_own_former_district_or_region(matcher: Matcher, name: str) -> None:
    assert matcher.score(name).verdict == "impersonation", matcher.score(name).to_dict()


def test_a_place_shared_with_another_province_stays_suspect(matcher: Matcher) -> None:
    assert matcher.score("BHXH Tân Uyên").verdict == "suspect"
    assert matcher.score("BHXH huyện Tân Uyên - Lai Châu").verdict == "clear"


@pytest.mark.parametrize(
    "name",
    [
        "BHXH TP.HCM - cơ sở Bình Dương",
        "BHXH TP.HCM chi nhánh Bình Dương",
        "Bảo hiểm xã hội Thành phố Hồ Chí Minh cơ sở Bình Dương",
    ],
)
def test_the_parent_city_is_not_another_place(matcher: Matcher, name: str) -> None:
    result = matcher.score(name)
    assert result.verdict == "impersonation", result.to_dict()
    assert "parent_office" in codes(result)


def test_the_parent_city_alone_is_its_own_office(matcher: Matcher) -> None:
    assert matcher.score("BHXH TP.HCM").verdict == "clear"
    assert matcher.score("BHXH TP.HCM - cơ sở Quận 1").verdict == "clear"
    assert matcher.score("Bảo hiểm xã hội Thành phố Hồ Chí Minh").verdict == "clear"


@pytest.mark.parametrize("name", ["vssid-binhduong.com", "VssID Bình Dương", "Dịch vụ công BHXH Bình Dương"])
def test_the_app_and_the_portal_stand_for_the_agency(matcher: Matcher, name: str) -> None:
    assert matcher.score(name).verdict == "impersonation", matcher.score(name).to_dict()


def test_the_app_with_another_place_is_clear(matcher: Matcher) -> None:
    assert matcher.score("VssID Bình Phước").verdict == "clear"


# -- hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix", ["\u200b" * 1000, "\u200b" * 100_000, " " * 5000, "\U0001f525" * 2000, "\u202a\u202c" * 800]
)
def test_what_takes_no_room_cannot_push_the_name_out(matcher: Matcher, prefix: str) -> None:
    assert len(prefix) >= MAX_CHARS
    assert matcher.score(prefix + "BHXH Bình Dương").verdict == "impersonation"


def test_combining_floods_are_cleaned_before_the_cut(matcher: Matcher) -> None:
    flood = "".join(letter + "\u0338" * 300 for letter in "BHXH")
    assert matcher.score(flood + " Bình Dương").verdict == "impersonation"


@pytest.mark.parametrize("name", ["\u202eBHXH Bình Dương", "\u202egnơưD hnìB HXHB"])
def test_a_right_to_left_override_does_not_hide_the_name(matcher: Matcher, name: str) -> None:
    result = matcher.score(name)
    assert result.verdict == "impersonation", result.to_dict()
    assert "bidi_override" in codes(result)


@pytest.mark.parametrize(
    "name", ["bhxhbinhduong%2Ecom", "BHXH%20B%C3%ACnh%20D%C6%B0%C6%A1ng", "bhxh%252Ebinhduong"]
)
def test_percent_encoded_names_are_decoded(matcher: Matcher, name: str) -> None:
    assert matcher.score(name).verdict == "impersonation"


def test_an_encoded_official_domain_is_still_allowlisted(matcher: Matcher) -> None:
    assert "allowlisted" in codes(matcher.score("binhduong%2Ebaohiemxahoi.gov.vn"))


@click.group()
@click.pass_context
def _root(ctx: click.Context) -> None:
    ctx.obj = CliContext(config=CONFIG, lang="vi")


_root.add_command(match_command)


def test_plain_output_escapes_control_characters_as_json_does(tmp_path: Path) -> None:
    name = "BHXH Bình Dương \x1b[2J\x1b]0;title\x07\u202e\u2028x\x85"
    result = CliRunner().invoke(_root, ["match", name])
    assert result.exit_code == 0
    line = result.stdout
    assert line.count("\n") == 1
    assert line.endswith("\n")
    assert not any(ch in line for ch in "\x1b\x07\u202e\u2028\x85")
    assert "\\u001b[2J\\u001b]0;title\\u0007\\u202e\\u2028x\\u0085" in line


# -- the headline cap stays ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "BHXH Bình Dương cảnh báo trang giả mạo",
        "BHXH Bình Dương - Cảnh báo lừa đảo",
        "BHXH tỉnh Bình Dương tổ chức hội nghị tổng kết",
        "Giám đốc BHXH tỉnh Bình Dương nói về chính sách mới",
        "Phó Giám đốc BHXH Bình Dương: Người dân cần cảnh giác",
        "Bình Dương: BHXH tỉnh chi trả lương hưu qua tài khoản",
        "Người lao động Bình Dương rút BHXH một lần tăng mạnh",
    ],
)
def test_a_headline_about_the_office_is_never_impersonation(matcher: Matcher, name: str) -> None:
    result = matcher.score(name)
    assert result.verdict != "impersonation", result.to_dict()
