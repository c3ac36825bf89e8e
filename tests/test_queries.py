"""Query planning from the brand profile."""

from __future__ import annotations

import pytest

from monitor.queries import (
    MAX_PAGES,
    MAX_QUERY_CHARS,
    MAX_TERMS,
    PAGE_PENALTY,
    SITES,
    Query,
    _exclusions,
    _key,
    _terms,
    _text,
    plan,
)
from monitor.settings import BrandSettings


def _brand(**overrides: object) -> BrandSettings:
    data: dict[str, object] = {
        "slug": "bhxh-binh-duong",
        "name": "Bảo hiểm xã hội tỉnh Bình Dương",
        "names": ["BHXH Bình Dương", "bhxh  bình dương", "BHXH tỉnh Bình Dương"],
        "organization_terms": ["BHXH"],
        "official_domains": ["binhduong.baohiemxahoi.gov.vn", "baohiemxahoi.gov.vn", "vss.gov.vn"],
        "scam_phrases": ["rút BHXH 1 lần", "hỗ trợ"],
    }
    data.update(overrides)
    return BrandSettings.model_validate(data)


def test_first_queries_cover_facebook_and_the_main_platforms() -> None:
    queries = plan(_brand(), 6)
    assert [q.text for q in queries] == [
        'site:facebook.com "Bảo hiểm xã hội tỉnh Bình Dương"',
        'site:tiktok.com "Bảo hiểm xã hội tỉnh Bình Dương"',
        '"Bảo hiểm xã hội tỉnh Bình Dương" -site:baohiemxahoi.gov.vn -site:vss.gov.vn',
        'site:facebook.com "BHXH Bình Dương"',
        'site:tiktok.com "BHXH Bình Dương"',
        '"BHXH Bình Dương" -site:baohiemxahoi.gov.vn -site:vss.gov.vn',
    ]
    assert queries[0] == Query(queries[0].text, "facebook.com", None, 1, "Bảo hiểm xã hội tỉnh Bình Dương")
    assert queries[2].site is None


def test_every_combination_is_planned_once() -> None:
    brand = _brand()
    queries = plan(brand, 10_000)
    names = 3  # "bhxh  bình dương" repeats "BHXH Bình Dương"
    assert len(queries) == names * len(SITES) * (1 + len(brand.scam_phrases))
    assert len({q.text.casefold() for q in queries}) == len(queries)
    assert {q.site for q in queries} == {site for site, _ in SITES}
    assert {q.phrase for q in queries} == {None, "rút BHXH 1 lần", "hỗ trợ"}
    phrased = [q for q in queries if q.phrase]
    assert all(q.text.endswith(f'"{q.phrase}"') or "-site:" in q.text for q in phrased)


def test_prefix_of_a_longer_plan_is_the_shorter_plan() -> None:
    brand = _brand()
    full = plan(brand, 10_000)
    for size in (1, 5, 12, 20, 40):
        assert plan(brand, size) == full[:size]


def test_more_valuable_queries_come_first() -> None:
    queries = plan(_brand(), 10_000)
    position = {(q.site, q.name, q.phrase): i for i, q in enumerate(queries)}
    official, short = "Bảo hiểm xã hội tỉnh Bình Dương", "BHXH Bình Dương"
    assert position[("facebook.com", official, None)] == 0
    assert position[("facebook.com", short, None)] < position[("youtube.com", short, None)]
    assert position[("facebook.com", official, None)] < position[("facebook.com", official, "rút BHXH 1 lần")]
    assert (
        position[("facebook.com", official, "rút BHXH 1 lần")]
        < position[("facebook.com", official, "hỗ trợ")]
    )


def test_pages_come_after_first_pages_and_follow_their_query() -> None:
    queries = plan(_brand(), 10_000, pages=3)
    firsts = {q.text: i for i, q in enumerate(queries) if q.page == 1}
    for index, query in enumerate(queries):
        if query.page > 1:
            earlier = [i for i, q in enumerate(queries) if q.text == query.text and q.page == query.page - 1]
            assert earlier
            assert earlier[0] < index
    assert len(queries) == 3 * len(firsts)
    assert queries[0].page == 1
    assert queries[1].page == 1


def test_pages_are_bounded() -> None:
    queries = plan(_brand(names=[], scam_phrases=[]), 10_000, pages=500)
    assert max(q.page for q in queries) == MAX_PAGES


def test_open_web_queries_leave_out_official_domains() -> None:
    web = [q for q in plan(_brand(), 10_000) if q.site is None]
    assert web
    for query in web:
        assert query.text.endswith("-site:baohiemxahoi.gov.vn -site:vss.gov.vn")
        # binhduong.baohiemxahoi.gov.vn is covered by its parent domain.
        assert "binhduong.baohiemxahoi" not in query.text


def test_search_phrases_are_used_as_written() -> None:
    brand = _brand(search_phrases=['BHXH Bình Dương lừa đảo -"tin tức"'])
    queries = plan(brand, 10_000)
    custom = [q for q in queries if q.name.startswith("BHXH Bình Dương lừa đảo")]
    assert {q.site for q in custom} == {site for site, _ in SITES}
    # Quotes inside a term would end the engine's phrase early: they are dropped.
    assert custom[0].text == "site:facebook.com BHXH Bình Dương lừa đảo -tin tức"
    assert queries.index(custom[0]) < 3


@pytest.mark.parametrize("max_queries", [0, -1])
def test_no_budget_no_queries(max_queries: int) -> None:
    assert plan(_brand(), max_queries) == []


def test_hostile_profile_is_bounded_and_clean() -> None:
    brand = _brand(
        name="BHXH\x00 Bình\u202e Dương",
        names=["x" * 10_000, "", "   ", '"', *(f"Tên {i}" for i in range(5000))],
        scam_phrases=["y" * 10_000, *(f"cụm {i}" for i in range(5000))],
        official_domains=["", ".", "EXAMPLE.vn."],
    )
    queries = plan(brand, 50, pages=10)
    assert len(queries) == 50
    assert queries[0].text == 'site:facebook.com "BHXH Bình Dương"'
    for query in queries:
        assert len(query.text) <= 380
        assert "\x00" not in query.text
        assert "\ud800" not in query.text
        assert "\u202e" not in query.text
    web = [q for q in plan(brand, 500) if q.site is None]
    assert web
    assert web[0].text.endswith("-site:example.vn")


def _every_query_sorted(brand: BrandSettings, max_queries: int, pages: int) -> list[Query]:
    """The plan as its docstring states it: every combination weighed, sorted, the first kept."""
    limit = min(max_queries, MAX_TERMS)
    names = _terms(brand.all_names, limit)
    phrases = [p for p in _terms(brand.scam_phrases, limit) if _key(p) not in {_key(n) for n in names}]
    custom = _terms(brand.search_phrases, limit)
    excluded = _exclusions(brand.official_domains)
    ranked: list[tuple[tuple[int, ...], Query]] = []
    for page in range(1, max(1, min(pages, MAX_PAGES)) + 1):
        extra = PAGE_PENALTY * (page - 1)
        for site_index, (site, penalty) in enumerate(SITES):
            for name_index, name in enumerate(names):
                for phrase_index, phrase in enumerate([None, *phrases]):
                    weight = name_index + penalty + (phrase_index and phrase_index + 1) + extra
                    text = _text(site, [f'"{name}"'] + ([f'"{phrase}"'] if phrase else []), excluded)
                    query = Query(text, site, phrase, page, name)
                    ranked.append(((weight, page, phrase_index, name_index, site_index), query))
            for custom_index, terms in enumerate(custom):
                weight = 1 + custom_index + penalty + extra
                query = Query(_text(site, [terms], excluded), site, None, page, terms)
                ranked.append(((weight, page, 0, -1, site_index), query))
    ranked.sort(key=lambda item: item[0])
    chosen: list[Query] = []
    seen: set[tuple[str, int]] = set()
    for _, query in ranked:
        key = (_key(query.text), query.page)
        if len(query.text) > MAX_QUERY_CHARS or key in seen:
            continue
        seen.add(key)
        chosen.append(query)
    return chosen[:max_queries]


@pytest.mark.parametrize(
    ("overrides", "pages"),
    [
        ({}, 1),
        ({}, 10),
        ({"search_phrases": ["BHXH lừa đảo", "rút tiền BHXH", "hỗ trợ BHXH"]}, 4),
        ({"names": [f"Tên {i}" for i in range(30)], "scam_phrases": [f"cụm {i}" for i in range(30)]}, 10),
        # Long terms make queries too long to send; repeats make queries already planned.
        ({"names": ["x" * 119, "BHXH", "bhxh"], "scam_phrases": ["y" * 119, "BHXH", "lừa"]}, 3),
        ({"search_phrases": [f"câu {i}" for i in range(12)], "scam_phrases": []}, 2),
    ],
)
def test_plan_keeps_the_order_of_one_full_sort(overrides: dict[str, object], pages: int) -> None:
    brand = _brand(**overrides)
    everything = _every_query_sorted(brand, 100_000, pages)
    assert len(everything) > 12
    for size in (1, 2, 5, 13, 40, 100, 100_000):
        assert plan(brand, size, pages=pages) == everything[:size]
