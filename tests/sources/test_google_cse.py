"""Google Custom Search JSON API: parsing of both vintages, the 2027 sunset, and loopback runs."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.responses import JSONResponse, PlainTextResponse, Response

from monitor.errors import ParseError
from monitor.settings import GoogleCseSettings
from monitor.sources.google_cse import GoogleCseSource, parse_response
from tests.sources import fixtures as fx
from tests.sources.loopback import Seen, engine, queries, run_source


@pytest.mark.parametrize(
    ("name", "count", "with_snippet", "title", "link"),
    [
        (
            "cse_v1_2010-11_netboss.json",
            10,
            8,
            "EE364a: Lecture Videos",
            "http://www.stanford.edu/class/ee364a/videos.html",
        ),
        (
            "cse_v1_2021-12_googleclone.json",
            10,
            10,
            "Hello Saigon - Google Maps",
            "https://www.google.com/maps/search/?api=1&query=Hello+Saigon&query_place_id=ChIJm5D0G5JZwokRv3D9O8bWAp4",
        ),
    ],
)
def test_real_captures(
    realworld: Path, name: str, count: int, with_snippet: int, title: str, link: str
) -> None:
    page = parse_response(json.loads((realworld / "google_cse" / name).read_text(encoding="utf-8")))
    assert len(page.hits) == count
    assert sum(1 for h in page.hits if h.snippet) == with_snippet
    assert (page.hits[0].title, page.hits[0].url) == (title, link)
    assert all(h.title and h.url.startswith("http") for h in page.hits)
    assert page.more is True


def test_own_fixture() -> None:
    page = parse_response(fx.CSE_RESULTS)
    assert [(h.title, h.url, h.snippet) for h in page.hits] == [
        (
            "BHXH Bình Dương | TikTok",
            "https://www.tiktok.com/@bhxh.binhduong?lang=vi",
            "Hỗ trợ rút BHXH một lần.",
        ),
        ("Trang không có mô tả", "https://example.vn/a", ""),
    ]
    assert page.more is True
    empty = parse_response(fx.CSE_EMPTY)
    assert (empty.hits, empty.more) == ([], False)


@pytest.mark.parametrize("payload", [None, [], {}, {"items": "x"}, {"error": {"code": 500}}])
def test_malformed_answers_raise(payload: object) -> None:
    with pytest.raises(ParseError):
        parse_response(payload)


def _settings(base: str, **overrides: Any) -> GoogleCseSettings:
    values: dict[str, Any] = {
        "url": base + "/customsearch/v1",
        "api_key": SecretStr("cse-test-key"),
        "cx": "cx123",
    }
    values.update(overrides)
    return GoogleCseSettings.model_validate(values)


def test_run_happy_path_warns_about_the_sunset() -> None:
    with engine(lambda seen, index: JSONResponse(fx.CSE_RESULTS)) as (eng, base):
        result = run_source(GoogleCseSource, _settings(base), queries("q1"), lang="en")
    assert (result.key, result.status, result.requests, result.results) == ("google_cse", "ok", 1, 2)
    assert eng.requests[0].params == {
        "key": "cse-test-key",
        "cx": "cx123",
        "q": "q1",
        "num": "10",
        "start": "1",
        "hl": "vi",
        "gl": "vn",
    }
    assert any("2027-01-01" in w for w in result.warnings)


def test_second_page_starts_at_eleven() -> None:
    with engine(lambda seen, index: JSONResponse(fx.CSE_RESULTS)) as (eng, base):
        source_settings = _settings(base)
        result = run_source(GoogleCseSource, source_settings, queries("q1", pages=2) + queries("q2"))
    # Pages beyond the first come only in plan order (after the first page of the same query).
    assert [r.params["start"] for r in eng.requests] == ["1", "11", "1"]
    assert [s.rank for s in result.sightings[:4]] == [1, 2, 3, 4]


@pytest.mark.parametrize("status", [403, 429])
def test_refusals_are_blocked_with_googles_message(status: int) -> None:
    body = {"error": {"code": status, "message": "Quota exceeded for quota metric 'Queries'", "status": "X"}}
    with engine(lambda seen, index: JSONResponse(body, status_code=status)) as (_, base):
        result = run_source(GoogleCseSource, _settings(base), queries("a", "b"))
    assert (result.status, result.requests) == ("blocked", 1)
    assert "Quota exceeded" in result.reason


def test_the_key_never_shows_in_the_reason() -> None:
    body = {"error": {"code": 400, "message": "Bad request for key=cse-test-key&cx=cx123"}}
    with engine(lambda seen, index: JSONResponse(body, status_code=400)) as (_, base):
        result = run_source(GoogleCseSource, _settings(base), queries("a"))
    assert result.status == "failed"
    assert "400" in result.reason
    assert "cse-test-key" not in result.reason


def test_5xx_after_retries_is_failed() -> None:
    with engine(lambda seen, index: PlainTextResponse("x", status_code=504)) as (eng, base):
        result = run_source(GoogleCseSource, _settings(base), queries("a"))
    assert (result.status, len(eng.requests)) == ("failed", 2)


def test_malformed_json_is_failed() -> None:
    with engine(
        lambda seen, index: Response('{"kind": "something#else"}', media_type="application/json")
    ) as (_, base):
        result = run_source(GoogleCseSource, _settings(base), queries("a"))
    assert (result.status, result.results) == ("failed", 0)


def test_no_results_is_ok() -> None:
    with engine(lambda seen, index: JSONResponse(fx.CSE_EMPTY)) as (_, base):
        result = run_source(GoogleCseSource, _settings(base), queries("a"))
    assert (result.status, result.results) == ("ok", 0)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"api_key": None}, "MONITOR_SOURCES__GOOGLE_CSE__API_KEY"),
        ({"api_key": SecretStr("")}, "MONITOR_SOURCES__GOOGLE_CSE__API_KEY"),
        ({"cx": None}, "cx"),
        ({"enabled": False}, "tắt"),
    ],
)
def test_skipped_without_what_it_needs(overrides: dict[str, Any], fragment: str) -> None:
    with engine(lambda seen, index: JSONResponse(fx.CSE_RESULTS)) as (eng, base):
        result = run_source(GoogleCseSource, _settings(base, **overrides), queries("a"))
    assert (result.status, result.requests, eng.requests) == ("skipped", 0, [])
    assert fragment in result.reason


def test_after_the_sunset_the_google_endpoint_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(GoogleCseSource, "today", lambda self: date(2027, 1, 1))
    settings = GoogleCseSettings(api_key=SecretStr("k"), cx="c")
    assert "2027-01-01" in (GoogleCseSource(settings, client=None).available() or "")  # type: ignore[arg-type]

    def answer(seen: Seen, index: int) -> Response:
        return JSONResponse(fx.CSE_RESULTS)

    # A compatible endpoint elsewhere still runs.
    with engine(answer) as (_, base):
        result = run_source(GoogleCseSource, _settings(base), queries("a"))
    assert result.status == "ok"
