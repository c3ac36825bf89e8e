"""The parse guard: markup lexbor would chew on for minutes is refused, real pages pass unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.enrich.markup import parse_html
from monitor.enrich.pages import extract_page
from monitor.errors import ParseError, ParseLimitExceeded
from monitor.html_guard import MAX_DEPTH, MAX_ELEMENTS, MAX_END_TAGS, prescan

DEEP = MAX_DEPTH + 10


def _distinct(tag: str, count: int) -> str:
    return "".join(f"<{tag} id=i{i}>" for i in range(count))


# Shapes measured slow in lexbor (benchmarks/parse.py), each past one limit, and the limit named.
HOSTILE = [
    ("nested div", "<div>" * DEEP, "depth"),
    ("nested div, closed", "<div>" * DEEP + "</div>" * DEEP, "depth"),
    ("nested ul", "<ul>" * DEEP, "depth"),
    ("nested dl dt", "<dl><dt>" * DEEP, "depth"),
    ("nested li in dd", "<li><dd>" * DEEP, "depth"),
    ("nested section", "<section>" * DEEP, "depth"),
    ("nested span", "<span>" * DEEP + "<div></div>" * 10, "depth"),
    ("nested custom element", "<x-a>" * DEEP, "depth"),
    ("self-closing html element", "<div/>" * DEEP, "depth"),
    ("self-closing outside svg", "<path/>" * DEEP, "depth"),
    ("svg left by a breakout tag", "<svg><p>" + "<path/>" * DEEP, "depth"),
    ("html breakout inside svg", "<svg>" + "<div/>" * DEEP, "depth"),
    ("svg style is markup", "<svg><style>" + "<div>" * DEEP + "</style></svg>", "depth"),
    ("nested tables", "<table><tr><td>" * DEEP, "depth"),
    ("form end keeps its children", "<form><span></form>" * DEEP, "depth"),
    ("stray end tags close nothing", "<div>" * DEEP + "</span></b></p>" * DEEP, "depth"),
    ("end tag past a special element", "<span><div></span>" * DEEP, "depth"),
    ("short comment form", "<!-->" + "<div>" * DEEP + "-->", "depth"),
    ("distinct open formatting", "<div>" + _distinct("b", 600), "depth"),
    (
        "formatting left open by block ends",
        "".join(f"<div><b id=i{i}></div>" for i in range(600)),
        "formatting",
    ),
    ("options in one select", "<select>" + "<option>x" * 2_500, "options"),
    ("distinct attributes", "<div " + " ".join(f"a{i}=1" for i in range(400)) + ">", "attributes"),
    ("too many elements", "<p>x" * (MAX_ELEMENTS + 1), "elements"),
    ("too many end tags", "<span>" * 500 + "</x>" * (MAX_END_TAGS + 1), "end_tags"),
]


@pytest.mark.parametrize(("name", "markup", "limit"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_markup_is_refused_before_parsing(name: str, markup: str, limit: str) -> None:
    with pytest.raises(ParseLimitExceeded) as refused:
        parse_html(markup)
    assert refused.value.limit == limit
    assert refused.value.value > refused.value.maximum
    assert isinstance(refused.value, ParseError)


BENIGN = [
    ("siblings", "<div><span>x</span></div>" * 5_000, 2),
    ("unclosed paragraphs", "<div>" + "<p>text" * 5_000 + "</div>", 2),
    ("unclosed list items", "<ul>" + "<li>item" * 5_000 + "</ul>", 2),
    ("table rows without end tags", "<table>" + "<tr><td>a<td>b" * 2_000 + "</table>", 4),
    ("inline svg of many paths", "<svg>" + '<path d="M0 0"/>' * 5_000 + "</svg>", 1),
    ("markup inside script", "<script>var s = '" + "<div>" * 5_000 + "';</script>", 0),
    ("markup inside textarea", "<textarea>" + "<div>" * 5_000 + "</textarea>", 0),
    ("markup inside a comment", "<!-- " + "<div>" * 5_000 + " -->", 0),
    ("formatting closed by block ends", "<p><b>x</p>" * 5_000, 2),
    ("closed formatting", "<b>x</b><i>y</i>" * 5_000, 1),
    ("many short selects", "<select><option>a<option>b</select>" * 2_000, 2),
    ("unclosed div under a closed one", ("<div>" + "<span>" * 30 + "</div>") * 500, 31),
]


@pytest.mark.parametrize(("name", "markup", "depth"), BENIGN, ids=[case[0] for case in BENIGN])
def test_ordinary_markup_parses_with_its_real_depth(name: str, markup: str, depth: int) -> None:
    assert prescan(markup).depth == depth
    assert parse_html(markup).body is not None


def test_limits_can_be_lowered() -> None:
    assert prescan("<div>" * 20).depth == 20
    with pytest.raises(ParseLimitExceeded):
        prescan("<div>" * 20, max_depth=10)


def test_extract_page_names_the_refusal() -> None:
    page = extract_page("web", "https://example.vn/", 200, "<div>" * DEEP)
    assert (page.outcome, page.reason) == ("content", "parse_limit")


def test_every_real_page_passes_far_below_the_limits(realworld: Path) -> None:
    pages = sorted(realworld.rglob("*.html"))
    assert len(pages) >= 30
    deepest = 0
    for path in pages:
        shape = prescan(path.read_text(encoding="utf-8", errors="replace"))
        deepest = max(deepest, shape.depth)
        assert shape.elements < MAX_ELEMENTS // 10, path
        assert shape.end_tags < MAX_END_TAGS // 10, path
    assert 10 < deepest < MAX_DEPTH // 8
