"""Brave Search API: parsing, rate-limit headers, and runs against a loopback API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.responses import JSONResponse, PlainTextResponse, Response

from monitor.errors import ParseError
from monitor.settings import BraveSettings
from monitor.sources.brave import BraveSource, parse_response, rate_limits
from tests.sources import fixtures as fx
from tests.sources.loopback import Seen, engine, queries, run_source


def test_real_capture_gives_every_web_result(realworld: Path) -> None:
    payload = json.loads(
        (realworld / "brave" / "brave_api_2024-03_larallama.json").read_text(encoding="utf-8")
    )
    page = parse_response(payload)
    assert len(page.hits) == 17
    assert page.more is True
    first = page.hits[0]
    assert (first.title, first.url) == (
        "Laravel - The PHP Framework For Web Artisans",
        "https://laravel.com/",
    )
    assert first.snippet.startswith(
        "Laravel is a PHP web application framework with expressive, elegant syntax."
    )
    for hit in page.hits:
        assert hit.title
        assert hit.url.startswith("https://")
        assert hit.snippet
        assert "<strong>" not in hit.snippet
        assert "</strong>" not in hit.snippet


def test_own_fixture() -> None:
    page = parse_response(fx.BRAVE_RESULTS)
    assert [(h.title, h.url, h.snippet) for h in page.hits] == [
        (
            "BHXH Bình Dương - Hỗ trợ | Facebook",
            "https://m.facebook.com/profile.php?id=100089999999999&mibextid=abc",
            "Hỗ trợ rút BHXH 1 lần nhanh & uy tín",
        ),
        ("Bảo hiểm xã hội Bình Dương", "https://binhduong.baohiemxahoi.gov.vn/", "Cổng thông tin điện tử"),
    ]
    assert page.more is True


def test_no_web_section_is_an_empty_search() -> None:
    page = parse_response(fx.BRAVE_EMPTY)
    assert (page.hits, page.more) == ([], False)


@pytest.mark.parametrize(
    "payload",
    [None, [], "text", {}, {"type": "ErrorResponse"}, {"web": []}, {"web": {"results": "x"}}, {"web": {}}],
)
def test_malformed_answers_raise(payload: object) -> None:
    with pytest.raises(ParseError):
        parse_response(payload)


@pytest.mark.parametrize(
    ("headers", "windows"),
    [
        (
            {"x-ratelimit-remaining": "1, 14999", "x-ratelimit-reset": "1, 1419704"},
            [(1, 1.0), (14999, 1419704.0)],
        ),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"}, [(0, 1.0)]),
        ({"x-ratelimit-remaining": "a, b", "x-ratelimit-reset": "1, 2"}, []),
        ({"x-ratelimit-remaining": "nan", "x-ratelimit-reset": "1"}, []),
        ({"x-ratelimit-remaining": "-1", "x-ratelimit-reset": "1"}, []),
        ({}, []),
    ],
)
def test_rate_limit_headers(headers: dict[str, str], windows: list[tuple[int, float]]) -> None:
    assert rate_limits(headers) == windows


def _settings(base: str, **overrides: Any) -> BraveSettings:
    values: dict[str, Any] = {"url": base + "/res/v1/web/search", "api_key": SecretStr("brave-test-key")}
    values.update(overrides)
    return BraveSettings.model_validate(values)


def _ok(seen: Seen, index: int) -> Response:
    return JSONResponse(
        fx.BRAVE_RESULTS, headers={"X-RateLimit-Remaining": "1, 1000", "X-RateLimit-Reset": "1, 9"}
    )


def test_run_happy_path() -> None:
    with engine(_ok) as (eng, base):
        result = run_source(BraveSource, _settings(base), queries("q1", "q2"))
    assert (result.key, result.status, result.requests, result.results, result.reason) == (
        "brave",
        "ok",
        2,
        4,
        "",
    )
    request = eng.requests[0]
    assert (request.method, request.path) == ("GET", "/res/v1/web/search")
    assert request.params == {"q": "q1", "count": "20", "offset": "0", "search_lang": "vi"}
    assert request.headers["x-subscription-token"] == "brave-test-key"
    assert [s.rank for s in result.sightings] == [1, 2, 1, 2]
    assert result.sightings[0].snippet == "Hỗ trợ rút BHXH 1 lần nhanh & uy tín"


def test_second_page_uses_offset_only_when_there_are_more() -> None:
    def answer(seen: Seen, index: int) -> Response:
        return JSONResponse(fx.BRAVE_RESULTS if seen.params["q"] == "more" else fx.BRAVE_EMPTY)

    with engine(answer) as (eng, base):
        result = run_source(BraveSource, _settings(base, count=5), queries("more", "none", pages=2))
    assert result.status == "ok"
    assert [(r.params["q"], r.params["offset"], r.params["count"]) for r in eng.requests] == [
        ("more", "0", "5"),
        ("none", "0", "5"),
        ("more", "1", "5"),
    ]
    assert [s.rank for s in result.sightings] == [1, 2, 3, 4]


def test_short_rate_limit_window_is_waited_out() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    def answer(seen: Seen, index: int) -> Response:
        return JSONResponse(
            fx.BRAVE_RESULTS, headers={"X-RateLimit-Remaining": "0, 500", "X-RateLimit-Reset": "1, 9000"}
        )

    with engine(answer) as (_, base):
        result = run_source(BraveSource, _settings(base), queries("a", "b"), sleep=sleep)
    assert (result.status, result.requests) == ("ok", 2)
    assert waits == [1.0]


def test_used_up_quota_stops_the_source() -> None:
    def answer(seen: Seen, index: int) -> Response:
        return JSONResponse(
            fx.BRAVE_RESULTS, headers={"X-RateLimit-Remaining": "1, 0", "X-RateLimit-Reset": "1, 86400"}
        )

    with engine(answer) as (eng, base):
        result = run_source(BraveSource, _settings(base), queries("a", "b", "c"), lang="en")
    assert (result.status, result.requests, result.results, len(eng.requests)) == ("partial", 1, 2, 1)
    assert "quota" in result.reason
    assert "24.0 h" in result.reason


@pytest.mark.parametrize(("status", "word"), [(403, "403"), (401, "401"), (429, "429")])
def test_refusals_are_blocked(status: int, word: str) -> None:
    body = {
        "type": "ErrorResponse",
        "error": {"code": "RATE_LIMITED", "detail": "Request rate limit exceeded"},
    }
    with engine(lambda seen, index: JSONResponse(body, status_code=status)) as (_eng, base):
        result = run_source(BraveSource, _settings(base), queries("a", "b"))
    assert (result.status, result.requests) == ("blocked", 1)
    assert word in result.reason
    assert "Request rate limit exceeded" in result.reason
    assert "brave-test-key" not in result.reason


def test_5xx_after_retries_is_failed() -> None:
    with engine(lambda seen, index: PlainTextResponse("bad gateway", status_code=502)) as (eng, base):
        result = run_source(BraveSource, _settings(base), queries("a"))
    assert (result.status, result.requests, len(eng.requests)) == ("failed", 1, 2)
    assert "502" in result.reason


def test_rejected_request_is_failed_with_the_api_detail() -> None:
    body = {
        "type": "ErrorResponse",
        "error": {"code": "VALIDATION", "detail": "Unable to validate request parameter(s)"},
    }
    with engine(lambda seen, index: JSONResponse(body, status_code=422)) as (_, base):
        result = run_source(BraveSource, _settings(base), queries("a"))
    assert result.status == "failed"
    assert "422" in result.reason
    assert "Unable to validate" in result.reason


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<html>maintenance</html>", "not valid JSON"),
        ("{", "not valid JSON"),
        ("", "not valid JSON"),
        ('{"unexpected": true}', "unexpected shape (Brave: the answer has neither web results"),
        ('{"web": {"results": 5}}', "unexpected shape (Brave: web.results is missing or not a list)"),
    ],
)
def test_malformed_json_is_failed_not_empty(body: str, reason: str) -> None:
    with engine(lambda seen, index: Response(body, media_type="application/json")) as (_, base):
        result = run_source(BraveSource, _settings(base), queries("a"), lang="en")
    assert (result.status, result.results) == ("failed", 0)
    assert reason in result.reason


def test_missing_key_is_skipped_without_requests() -> None:
    with engine(_ok) as (eng, base):
        result = run_source(BraveSource, BraveSettings(url=base + "/res/v1/web/search"), queries("a"))
    assert (result.status, result.requests, eng.requests) == ("skipped", 0, [])
    assert "MONITOR_SOURCES__BRAVE__API_KEY" in result.reason


def test_explicitly_disabled_is_skipped_even_with_a_key() -> None:
    with engine(_ok) as (eng, base):
        result = run_source(BraveSource, _settings(base, enabled=False), queries("a"))
    assert (result.status, eng.requests) == ("skipped", [])
