"""Look-alike candidates: every fuzzer family, the forms fakes used, exclusions and hostile profiles."""

from __future__ import annotations

from collections import Counter

import pytest

from monitor.domains.names import finding_key, is_hostname, to_ascii
from monitor.domains.permutations import FAMILIES, TIERS, generate
from tests.domains.brand import brand

TLDS = ["vn", "com.vn", "com", "net", "info", "online", "top", "xyz"]


@pytest.fixture(scope="module")
def names() -> dict[str, str]:
    return {p.domain: p.fuzzer for p in generate(brand(), TLDS)}


# The fakes reported against the office, and the forms the issue lists.
@pytest.mark.parametrize(
    "fake",
    [
        "dichvucongbaohiemxahoi.com",
        "bhxh.co",
        "baohiemxahoi.biz",
        "datlichbhxh.com",
        "govvvn.com",
        "baohiemxahoi.govvvn.com",
        "baohiemxahoi.gov-vn.xyz",
        "baohiemxahoi.gov.vn.com",
        "binhduong.baohiemxahoi.gov.vn.top",
        "baohiemxahoi-gov.vn",
        "bhxhbinhduong.vn",
        "bhxh-binhduong.com.vn",
        "binhduong.bhxh.online",
        "vssid-hcm.info",
        "bhxh.bd.xyz",
        "binhduong.baohiemxahoi.com",
        "bảohiểmxãhội.vn",
        "baohiemxahoj.vn",
        "baohiemxahio.com",
    ],
)
def test_known_fakes_are_candidates(names: dict[str, str], fake: str) -> None:
    ascii_form = to_ascii(fake)
    assert ascii_form is not None
    assert ascii_form in names


@pytest.mark.parametrize("domain", ["binhduong.baohiemxahoi.gov.vn", "baohiemxahoi.gov.vn"])
def test_every_family_is_present_for_each_official_domain(domain: str) -> None:
    found = Counter(p.fuzzer for p in generate(brand(official_domains=[domain]), TLDS))
    wanted = set(FAMILIES) - {"various"}  # joined sub-domain forms exist only with a sub-domain
    assert wanted <= set(found), wanted - set(found)


def test_families_label_what_they_did(names: dict[str, str]) -> None:
    assert names["baohiemxahoi.biz"] == "tld-swap"
    assert names["baohiemxahoi.govvvn.com"] == "gov-lookalike"
    assert names["datlichbhxh.com"] == "keyword"
    assert names["baohiemxahoj.vn"] == "replacement"
    assert names["baohiemxahio.com"] == "transposition"
    assert names["baohiemxaho.com"] == "omission"
    assert names["bao-hiemxahoi.com"] == "hyphenation"
    assert names[str(to_ascii("bảohiểmxãhội.vn"))] == "homoglyph"
    assert names["bao.hiemxahoi.com"] == "subdomain"


def test_official_allowlisted_and_gov_vn_names_are_excluded(names: dict[str, str]) -> None:
    assert "baohiemxahoi.gov.vn" not in names
    assert "binhduong.baohiemxahoi.gov.vn" not in names
    assert "baobinhduong.vn" not in names  # a real newspaper, allowlisted
    assert "baohiemxahoi.vn" not in names  # allowlisted in this profile
    assert not [n for n in names if n.endswith(".gov.vn")]


def test_names_are_valid_unique_and_ordered_by_tier() -> None:
    permutations = generate(brand(), TLDS)
    domains = [p.domain for p in permutations]
    assert len(domains) == len(set(domains))
    assert all(is_hostname(d) and d.isascii() for d in domains)
    tier_of = {family: rank for rank, tier in enumerate(TIERS) for family in tier}
    tiers = [tier_of[p.fuzzer] for p in permutations]
    assert tiers == sorted(tiers)
    idn = next(p for p in permutations if p.domain.startswith("xn--"))
    assert idn.display != idn.domain
    assert not idn.display.isascii()


def test_typing_typos_of_gov_vn_stay_under_the_first_tld() -> None:
    typing = [p.domain for p in generate(brand(), TLDS) if p.fuzzer in {"insertion", "bitsquatting"}]
    assert typing
    assert {finding_key(d).split(".", 1)[1] for d in typing} == {"vn"}


def test_a_registrable_official_domain_is_fuzzed_in_its_own_tld() -> None:
    found = {p.domain: p.fuzzer for p in generate(brand(official_domains=["vssbd.com.vn"]), ["com"])}
    assert found["vsbd.com.vn"] == "omission"
    assert found["vvssbd.com.vn"] == "repetition"
    assert "vssbd.com.vn" not in found
    assert found["vssbd.biz"] == "tld-swap"
    assert "vssbd.com" in found  # also a keyword on its own, which ranks first


@pytest.mark.parametrize(
    "hostile",
    ["x" * 10_000, "\x00\x1f\x7f", "\ud800\udfff", "", "   ", "a" * 64, "<script>", "ﷺ" * 50],
)
def test_hostile_profiles_never_crash(hostile: str) -> None:
    profile = brand(
        organization_terms=["BHXH", hostile],
        location_terms=[hostile],
        official_domains=["baohiemxahoi.gov.vn", hostile, hostile + ".com"],
        names=[hostile],
    )
    found = generate(profile, ["com", hostile, "", "."])
    assert found
    assert all(is_hostname(p.domain) for p in found)
