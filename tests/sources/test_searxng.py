"""SearXNG JSON API: parsing, partial coverage, the format=json refusal, and loopback runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse, PlainTextResponse, Response

from monitor.errors import ParseError
from monitor.settings import SearxngSettings
from monitor.sources.searxng import SearxngSource, parse_response
from tests.sources import fixtures as fx
from tests.sources.loopback import Seen, engine, queries, run_source

CAPTURE = "searxng_json_2026-08_shortlist.json"


def test_real_capture(realworld: Path) -> None:
    page = parse_response(json.loads((realworld / "searxng" / CAPTURE).read_text(encoding="utf-8")))
    assert len(page.hits) == 6
    assert page.hits[0].title == "What other shows do you rate as highly as (or close to) Severance?"
    assert page.hits[0].url.startswith("https://www.reddit.com/r/SeveranceAppleTVPlus/comments/1idlrtq/")
    assert all(h.title and h.url.startswith("https://") and h.snippet for h in page.hits)
    assert page.unresponsive == [
        ("brave", "Suspended: too many requests"),
        ("duckduckgo", "CAPTCHA"),
        ("startpage", "Suspended: CAPTCHA"),
    ]


def test_real_capture_end_to_end_is_partial_coverage(realworld: Path) -> None:
    body = (realworld / "searxng" / CAPTURE).read_bytes()
    with engine(lambda seen, index: Response(body, media_type="application/json")) as (_, base):
        result = run_source(SearxngSource, SearxngSettings(url=base), queries("severance"), lang="en")
    assert (result.status, result.results) == ("partial", 6)
    assert "brave (Suspended: too many requests)" in result.reason
    assert "duckduckgo (CAPTCHA)" in result.reason


def test_own_fixture() -> None:
    page = parse_response(fx.SEARXNG_RESULTS)
    assert [(h.title, h.url, h.snippet) for h in page.hits] == [
        ("Hỗ trợ BHXH Bình Dương", "https://zalo.me/84912345678", "Liên hệ Zalo để được hỗ trợ"),
        ("BHXH Bình Dương", "https://t.me/s/bhxh_bd", ""),
    ]
    assert page.unresponsive == []


@pytest.mark.parametrize(
    "payload",
    [None, [], {}, {"results": None}, {"results": "x"}, {"error": "x"}],
)
def test_malformed_answers_raise(payload: object) -> None:
    with pytest.raises(ParseError):
        parse_response(payload)


def test_odd_unresponsive_entries_are_tolerated() -> None:
    page = parse_response(
        {"results": [], "unresponsive_engines": [["bing"], "x", [], [1, None], ["e" * 500, "r"]]}
    )
    assert [engine for engine, _ in page.unresponsive] == ["bing", "1", "e" * 59 + "…"]


def _answer(payload: dict[str, Any]) -> Any:
    return lambda seen, index: JSONResponse(payload)


def test_run_happy_path() -> None:
    with engine(_answer(fx.SEARXNG_RESULTS)) as (eng, base):
        result = run_source(SearxngSource, SearxngSettings(url=base + "/"), queries("q1", "q2"))
    assert (result.key, result.status, result.requests, result.results, result.reason) == (
        "searxng",
        "ok",
        2,
        4,
        "",
    )
    request = eng.requests[0]
    assert (request.method, request.path) == ("GET", "/search")
    assert request.params == {
        "q": "q1",
        "format": "json",
        "pageno": "1",
        "language": "vi",
        "categories": "general",
        "safesearch": "0",
    }


def test_instance_under_a_path_and_paging() -> None:
    with engine(_answer(fx.SEARXNG_RESULTS)) as (eng, base):
        settings = SearxngSettings(url=base + "/searx", max_pages=2)
        result = run_source(SearxngSource, settings, queries("q", pages=2))
    assert result.status == "ok"
    assert [(r.path, r.params["pageno"]) for r in eng.requests] == [
        ("/searx/search", "1"),
        ("/searx/search", "2"),
    ]
    assert [s.rank for s in result.sightings] == [1, 2, 3, 4]


def test_403_explains_the_json_format_setting() -> None:
    with engine(lambda seen, index: PlainTextResponse("Forbidden", status_code=403)) as (_, base):
        result = run_source(SearxngSource, SearxngSettings(url=base), queries("a", "b"))
    assert (result.status, result.requests) == ("blocked", 1)
    assert "search.formats" in result.reason
    assert "json" in result.reason


def test_rate_limited_by_the_limiter_is_blocked() -> None:
    with engine(lambda seen, index: PlainTextResponse("Too Many Requests", status_code=429)) as (_, base):
        result = run_source(SearxngSource, SearxngSettings(url=base), queries("a"))
    assert result.status == "blocked"
    assert "429" in result.reason


@pytest.mark.parametrize(
    ("why", "status"),
    [("CAPTCHA", "blocked"), ("Suspended: access denied", "blocked"), ("timeout", "failed")],
)
def test_no_results_while_engines_are_down_is_never_ok(why: str, status: str) -> None:
    payload = {"query": "q", "results": [], "unresponsive_engines": [["google", why], ["bing", why]]}
    with engine(_answer(payload)) as (_, base):
        result = run_source(SearxngSource, SearxngSettings(url=base), queries("a"))
    assert (result.status, result.results) == (status, 0)
    assert f"google ({why})" in result.reason


def test_some_engines_down_is_partial() -> None:
    payload = {**fx.SEARXNG_RESULTS, "unresponsive_engines": [["duckduckgo", "CAPTCHA"]]}
    with engine(_answer(payload)) as (_, base):
        result = run_source(SearxngSource, SearxngSettings(url=base), queries("a"))
    assert (result.status, result.results) == ("partial", 2)


def test_5xx_after_retries_is_failed() -> None:
    with engine(lambda seen, index: PlainTextResponse("unavailable", status_code=503)) as (eng, base):
        result = run_source(SearxngSource, SearxngSettings(url=base), queries("a", "b"))
    assert (result.status, result.requests, len(eng.requests)) == ("failed", 2, 4)


def test_html_instead_of_json_is_failed() -> None:
    with engine(
        lambda seen, index: Response("<html><body>SearXNG</body></html>", media_type="text/html")
    ) as (_, base):
        result = run_source(SearxngSource, SearxngSettings(url=base), queries("a"))
    assert (result.status, result.results) == ("failed", 0)
    assert "JSON" in result.reason


def test_without_url_it_is_skipped() -> None:
    result = run_source(SearxngSource, SearxngSettings(), queries("a"))
    assert (result.status, result.requests) == ("skipped", 0)
    assert "MONITOR_SOURCES__SEARXNG__URL" in result.reason


def test_requests_are_counted_per_page_seen() -> None:
    def answer(seen: Seen, index: int) -> Response:
        return JSONResponse(fx.SEARXNG_RESULTS if seen.params["pageno"] == "1" else {"results": []})

    with engine(answer) as (eng, base):
        result = run_source(SearxngSource, SearxngSettings(url=base, max_pages=3), queries("q", pages=3))
    # Page 2 was empty, so page 3 was not asked for.
    assert (result.status, result.requests, len(eng.requests)) == ("ok", 2, 2)
