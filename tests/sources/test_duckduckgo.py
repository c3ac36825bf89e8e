"""DuckDuckGo HTML endpoint: parsing of every layout, block detection, and runs against loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from monitor.settings import DuckDuckGoSettings
from monitor.sources.duckduckgo import DuckDuckGoSource, parse_page
from tests.sources import fixtures as fx
from tests.sources.loopback import Seen, engine, queries, run_source

# (capture, results, first title, first URL) as listed in PROVENANCE.md.
CAPTURES = [
    (
        "ddg_html_2015-12_nikolait.html",
        30,
        "WHAT REALLY HAPPENED | The History The US Government HOPES ...",
        "http://whatreallyhappened.com/",
    ),
    (
        "ddg_html_2020-06_bisohns.i0.body.html",
        27,
        "Urban Dictionary: preaching to the choir",
        "https://www.urbandictionary.com/define.php?term=preaching%20to%20the%20choir",
    ),
    (
        "ddg_html_2020-07_bisohns.i2.body.html",
        27,
        "Urban Dictionary: preaching to the choir",
        "https://www.urbandictionary.com/define.php?term=preaching%20to%20the%20choir",
    ),
    (
        "ddg_html_2021-05_bisohns.i1.body.html",
        28,
        "Hello | Definition of Hello by Merriam-Webster",
        "https://www.merriam-webster.com/dictionary/hello",
    ),
    (
        "ddg_html_2026-07_celina.html",
        9,
        "Caffeine and Sleep Problems",
        "https://www.sleepfoundation.org/nutrition/caffeine-and-sleep",
    ),
]


@pytest.mark.parametrize(("name", "count", "title", "url"), CAPTURES)
def test_real_captures_give_every_result(
    realworld: Path, name: str, count: int, title: str, url: str
) -> None:
    page = parse_page((realworld / "duckduckgo" / name).read_text(encoding="utf-8", errors="replace"))
    assert page.kind == "results"
    assert len(page.hits) == count
    assert (page.hits[0].title, page.hits[0].url) == (title, url)
    for hit in page.hits:
        assert hit.title
        assert hit.snippet
        assert hit.url.startswith(("http://", "https://"))
        # Redirect links are unwrapped: no result points back at DuckDuckGo.
        assert "duckduckgo.com/l/" not in hit.url
        assert "uddg=" not in hit.url
    assert page.next_form is not None
    assert page.next_form["q"]


def test_real_2026_capture_keeps_paging_token(realworld: Path) -> None:
    page = parse_page((realworld / "duckduckgo" / "ddg_html_2026-07_celina.html").read_text(encoding="utf-8"))
    assert page.next_form is not None
    assert page.next_form["vqd"].startswith("4-")
    assert page.next_form["s"] == "10"


@pytest.mark.parametrize("status", [403, 200])
def test_real_403_page_is_blocked(realworld: Path, status: int) -> None:
    body = (realworld / "duckduckgo" / "ddg_html_2020-07_blocked403_bisohns.i2.body.html").read_text()
    assert parse_page(body, status).kind == "blocked"


def test_real_challenge_page_is_blocked(realworld: Path) -> None:
    body = (realworld / "duckduckgo" / "ddg_lite_challenge_2026-07_celina.html").read_text(encoding="utf-8")
    page = parse_page(body, 200)
    assert page.kind == "blocked"
    assert page.hits == []


def test_own_fixture_parses_results_and_skips_ads() -> None:
    page = parse_page(fx.DDG_RESULTS)
    assert page.kind == "results"
    assert [(h.title, h.url, h.snippet) for h in page.hits] == [
        (
            "Hỗ trợ BHXH Bình Dương | Facebook",
            "https://www.facebook.com/bhxh.binhduong.hotro",
            "Nhận hồ sơ rút BHXH 1 lần & cấp lại mật khẩu VssID.",
        ),
        ("BHXH BD (@bhxhbd.official) | TikTok", "https://www.tiktok.com/@bhxhbd.official", "Video hướng dẫn"),
    ]
    assert page.next_form == {"q": "QUERY", "s": "10", "dc": "11", "vqd": "4-1234567890", "kl": "vn-vi"}


def test_relative_redirect_links_are_unwrapped() -> None:
    page = parse_page(fx.DDG_PAGE_TWO)
    assert [h.url for h in page.hits] == ["https://t.me/bhxh_bd"]
    assert page.next_form is None


@pytest.mark.parametrize(
    ("markup", "status", "kind"),
    [
        (fx.DDG_NO_RESULTS, 200, "no_results"),
        (fx.DDG_CHALLENGE, 200, "blocked"),
        (fx.DDG_CHALLENGE, 202, "blocked"),
        (fx.DDG_BLOCKED_403, 403, "blocked"),
        (fx.DDG_BLOCKED_403, 200, "blocked"),
        (fx.DDG_RESULTS, 429, "blocked"),
        (fx.DDG_UNRECOGNISED, 200, "unknown"),
        ("", 200, "unknown"),
        ("<", 200, "unknown"),
        ("<div class='result'><a class='result__a' href='javascript:x'>", 200, "unknown"),
        ("<div class='result'><a class='result__a' href='http://[::1/x'>t</a></div>", 200, "unknown"),
        ("<div class='result'><h2><a>no href</a></h2></div>" * 500, 200, "unknown"),
        ("<div>" * 10_000 + "\x00\ud800" + "</div>" * 3, 200, "unknown"),
    ],
)
def test_page_kinds(markup: str, status: int, kind: str) -> None:
    assert parse_page(markup, status).kind == kind


def _settings(url: str, **overrides: object) -> DuckDuckGoSettings:
    return DuckDuckGoSettings.model_validate({"url": url + "/html/", **overrides})


def _results(seen: Seen, index: int) -> Response:
    return HTMLResponse(fx.DDG_RESULTS.replace("QUERY", seen.form.get("q", "")))


def test_run_happy_path() -> None:
    with engine(_results) as (eng, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("q one", "q two"))
    assert (result.key, result.status, result.requests, result.results, result.reason) == (
        "duckduckgo",
        "ok",
        2,
        4,
        "",
    )
    assert [(r.method, r.path) for r in eng.requests] == [("POST", "/html/"), ("POST", "/html/")]
    assert eng.requests[0].form == {"q": "q one", "b": "", "kl": "vn-vi"}
    assert eng.requests[0].headers["user-agent"].startswith("impersonation-monitor/")
    first = result.sightings[0]
    assert (first.source, first.query, first.rank) == ("duckduckgo", "q one", 1)
    assert first.url == "https://www.facebook.com/bhxh.binhduong.hotro"
    assert first.seen_at.tzinfo is not None
    assert [s.rank for s in result.sightings] == [1, 2, 1, 2]


def test_run_real_capture_end_to_end(realworld: Path) -> None:
    markup = (realworld / "duckduckgo" / "ddg_html_2026-07_celina.html").read_bytes()
    with engine(lambda seen, index: Response(markup, media_type="text/html")) as (_, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("caffeine"))
    assert (result.status, result.results) == ("ok", 9)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("ddg_html_2020-07_blocked403_bisohns.i2.body.html", 403),
        ("ddg_lite_challenge_2026-07_celina.html", 200),
    ],
)
def test_run_real_block_pages_end_to_end(realworld: Path, name: str, status: int) -> None:
    markup = (realworld / "duckduckgo" / name).read_bytes()
    with engine(lambda seen, index: Response(markup, status_code=status, media_type="text/html")) as (
        _,
        base,
    ):
        result = run_source(DuckDuckGoSource, _settings(base), queries("a", "b"))
    assert (result.status, result.requests, result.results) == ("blocked", 1, 0)


def test_second_page_posts_the_next_form() -> None:
    def answer(seen: Seen, index: int) -> Response:
        return HTMLResponse(
            fx.DDG_PAGE_TWO if seen.form.get("vqd") else fx.DDG_RESULTS.replace("QUERY", seen.form["q"])
        )

    with engine(answer) as (eng, base):
        result = run_source(DuckDuckGoSource, _settings(base, max_pages=2), queries("bhxh", pages=2))
    assert result.status == "ok"
    assert eng.requests[1].form == {"q": "bhxh", "s": "10", "dc": "11", "vqd": "4-1234567890", "kl": "vn-vi"}
    assert [(s.rank, s.url) for s in result.sightings][-1] == (3, "https://t.me/bhxh_bd")


def test_no_further_page_when_the_engine_has_none() -> None:
    with engine(lambda seen, index: HTMLResponse(fx.DDG_PAGE_TWO)) as (eng, base):
        result = run_source(DuckDuckGoSource, _settings(base, max_pages=2), queries("bhxh", pages=2))
    assert (result.status, result.requests, len(eng.requests)) == ("ok", 1, 1)


def test_explicit_no_results_is_ok_with_zero() -> None:
    with engine(lambda seen, index: HTMLResponse(fx.DDG_NO_RESULTS)) as (_, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("nothing here"))
    assert (result.status, result.results) == ("ok", 0)


def test_403_is_blocked_and_stops() -> None:
    with engine(lambda seen, index: PlainTextResponse(fx.DDG_BLOCKED_403, status_code=403)) as (eng, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("a", "b", "c"))
    assert (result.status, result.requests, result.results) == ("blocked", 1, 0)
    assert len(eng.requests) == 1
    assert "403" in result.reason


@pytest.mark.parametrize("status", [200, 202])
def test_challenge_page_is_blocked(status: int) -> None:
    with engine(lambda seen, index: HTMLResponse(fx.DDG_CHALLENGE, status_code=status)) as (_, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("a", "b"))
    assert (result.status, result.requests) == ("blocked", 1)
    assert "thử thách" in result.reason


def test_block_after_results_is_partial_and_keeps_them() -> None:
    def answer(seen: Seen, index: int) -> Response:
        return _results(seen, index) if index == 0 else HTMLResponse(fx.DDG_CHALLENGE)

    with engine(answer) as (_, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("a", "b", "c"), lang="en")
    assert (result.status, result.requests, result.results) == ("partial", 2, 2)
    assert "challenge" in result.reason
    assert "1/3" in result.reason


def test_5xx_after_retries_is_failed() -> None:
    with engine(lambda seen, index: PlainTextResponse("down", status_code=503)) as (eng, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("a", "b", "c", "d", "e"))
    assert result.status == "failed"
    # Three failures in a row stop the source; each was tried twice by the client.
    assert (result.requests, len(eng.requests)) == (3, 6)
    assert "503" in result.reason


def test_unrecognised_page_is_failed_not_empty() -> None:
    with engine(lambda seen, index: HTMLResponse(fx.DDG_UNRECOGNISED)) as (_, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("a"), lang="en")
    assert (result.status, result.results) == ("failed", 0)
    assert "not recognised" in result.reason


def test_robots_txt_is_honoured() -> None:
    with engine(_results, robots="User-agent: *\nDisallow: /html/\n") as (eng, base):
        result = run_source(DuckDuckGoSource, _settings(base), queries("a"))
    assert (result.status, len(eng.requests)) == ("blocked", 0)
    assert "robots" in result.reason


@pytest.mark.parametrize("overrides", [{"enabled": False}, {"url": ""}, {"max_queries": 0}])
def test_skipped_without_requests(overrides: dict[str, object]) -> None:
    with engine(_results) as (eng, base):
        settings = DuckDuckGoSettings.model_validate({"url": base + "/html/", **overrides})
        result = run_source(DuckDuckGoSource, settings, queries("a"))
    assert (result.status, result.requests, eng.requests) == ("skipped", 0, [])
    assert result.reason
