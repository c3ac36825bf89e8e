"""The registry and what every source shares: text cleaning, budgets, planning, skip reasons."""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from pydantic import SecretStr
from starlette.responses import HTMLResponse, JSONResponse, Response
from structlog.testing import capture_logs

from monitor.net.client import HttpClient
from monitor.queries import Query
from monitor.redact import mask_url, scrub
from monitor.settings import BrandsFile, BraveSettings, DuckDuckGoSettings, SearxngSettings, SourcesSettings
from monitor.sources import SOURCES
from monitor.sources.base import SearchSource, make_hit, plain_text
from monitor.sources.brave import BraveSource
from monitor.sources.duckduckgo import DuckDuckGoSource
from monitor.sources.searxng import SearxngSource
from tests.sources import fixtures as fx
from tests.sources.loopback import Seen, engine, http_settings, queries, run_source

REPO = Path(__file__).resolve().parents[2]


def test_registry_keys_are_config_sections() -> None:
    assert set(SOURCES) == {"brave", "searxng", "duckduckgo", "google_cse", "youtube"}
    assert set(SOURCES) <= set(SourcesSettings.model_fields)
    for key, cls in SOURCES.items():
        assert cls.key == key
        assert issubclass(cls, SearchSource)


def _built(settings: SourcesSettings) -> dict[str, SearchSource[Any]]:
    async def go() -> dict[str, SearchSource[Any]]:
        async with HttpClient.from_settings(http_settings()) as client:
            return {key: cls.from_settings(getattr(settings, key), client) for key, cls in SOURCES.items()}

    return asyncio.run(go())


def test_defaults_only_duckduckgo_runs() -> None:
    sources = _built(SourcesSettings())
    assert {key: s.available() is None for key, s in sources.items()} == {
        "duckduckgo": True,
        "brave": False,
        "searxng": False,
        "google_cse": False,
        "youtube": False,
    }


def test_configured_sources_become_available() -> None:
    settings = SourcesSettings.model_validate(
        {
            "brave": {"api_key": SecretStr("k")},
            "searxng": {"url": "http://127.0.0.1:8888"},
            "google_cse": {"api_key": SecretStr("k"), "cx": "c"},
            "youtube": {"api_key": SecretStr("k")},
            "duckduckgo": {"enabled": False},
        }
    )
    available = {key: s.available() for key, s in _built(settings).items()}
    assert available["brave"] is None
    assert available["searxng"] is None
    assert available["google_cse"] is None
    assert available["youtube"] is None
    assert available["duckduckgo"] == "đã tắt trong cấu hình"


def test_source_plans_within_its_budget() -> None:
    brand = BrandsFile.model_validate(
        tomllib.loads((REPO / "config" / "brands.toml").read_text("utf-8"))
    ).brands[0]
    source = DuckDuckGoSource(DuckDuckGoSettings(max_queries=7, max_pages=2), client=None)  # type: ignore[arg-type]
    planned = source.plan(brand)
    assert len(planned) == 7
    assert planned[0].text == 'site:facebook.com "Bảo hiểm xã hội tỉnh Bình Dương"'
    assert {q.page for q in planned} <= {1, 2}


def test_run_keeps_to_max_queries_and_max_pages() -> None:
    todo = [*queries("a", "b", "c", "d"), Query("a", page=2)]
    with engine(lambda seen, index: HTMLResponse(fx.DDG_RESULTS)) as (eng, base):
        result = run_source(DuckDuckGoSource, DuckDuckGoSettings(url=base + "/", max_queries=2), todo)
    assert (result.status, result.requests) == ("ok", 2)
    assert [r.form["q"] for r in eng.requests] == ["a", "b"]


def test_a_later_page_without_its_first_is_not_fetched() -> None:
    with engine(lambda seen, index: HTMLResponse(fx.DDG_RESULTS)) as (eng, base):
        settings = DuckDuckGoSettings(url=base + "/", max_pages=2)
        result = run_source(DuckDuckGoSource, settings, [Query("a", page=2)])
    assert (result.status, result.requests, eng.requests) == ("ok", 0, [])


def test_no_queries_is_skipped() -> None:
    result = run_source(DuckDuckGoSource, DuckDuckGoSettings(), [])
    assert (result.status, result.requests, result.reason) == ("skipped", 0, "không có truy vấn nào để chạy")


def test_unreachable_engine_is_failed() -> None:
    with engine(lambda seen, index: HTMLResponse("")) as (_, base):
        closed = base  # the server stops when the block ends
    result = run_source(SearxngSource, SearxngSettings(url=closed), queries("a", "b"), lang="en")
    assert (result.status, result.requests) == ("failed", 2)
    assert "connection failed" in result.reason


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<strong>Laravel</strong> is &amp; was", "Laravel is & was"),
        ("a < b and <b>c</b>", "a < b and c"),
        ("line\nbreak\t tab", "line break tab"),
        ("", ""),
        ("x" * 5000, "x" * 999 + "…"),
        ("<script>alert(1)</script>ok", "alert(1)ok"),
    ],
)
def test_plain_text(fragment: str, text: str) -> None:
    assert plain_text(fragment) == text


@pytest.mark.parametrize(
    ("title", "url", "snippet", "kept"),
    [
        ("t", "https://x.vn/", "s", True),
        (None, "https://x.vn/", None, True),
        ("t", "javascript:alert(1)", "s", False),
        ("t", None, "s", False),
        ("t", 12, "s", False),
        ("t", "   ", "s", False),
    ],
)
def test_make_hit(title: object, url: object, snippet: object, kept: bool) -> None:
    hit = make_hit(title, url, snippet)
    assert (hit is not None) == kept
    if hit is not None:
        assert isinstance(hit.title, str)
        assert isinstance(hit.snippet, str)


KEY = "brv+Key/42=ab&c-9f"


def _echo_key(status: int, form: Callable[[str], str]) -> Callable[[Seen, int], Response]:
    """A search API that repeats the key it was sent in its error message, as some do."""

    def answer(seen: Seen, index: int) -> Response:
        sent = seen.headers.get("x-subscription-token", "")
        return JSONResponse(
            {"error": {"detail": f"invalid subscription token {form(sent)}"}}, status_code=status
        )

    return answer


@pytest.mark.parametrize(
    ("status", "form", "outcome"),
    [
        (401, str, "blocked"),
        (429, str, "blocked"),
        (422, str, "failed"),
        (422, quote, "failed"),
        (500, quote_plus, "failed"),
    ],
)
def test_a_key_echoed_by_the_engine_is_never_stored_or_logged(
    status: int, form: Callable[[str], str], outcome: str
) -> None:
    settings = BraveSettings(url="", api_key=SecretStr(KEY))
    with engine(_echo_key(status, form)) as (eng, base), capture_logs() as logs:
        settings = settings.model_copy(update={"url": base + "/res/v1/web/search"})
        result = run_source(BraveSource, settings, queries("a", "b"), lang="en")
    assert eng.requests[0].headers["x-subscription-token"] == KEY  # the key did reach the engine
    assert result.status == outcome
    assert "invalid subscription token ********" in result.reason
    logged = repr(logs)
    assert "invalid subscription token ********" in logged
    for shown in (KEY, quote(KEY), quote(KEY, safe=""), quote_plus(KEY)):
        assert shown not in result.reason
        assert shown not in logged


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        ("bad key AIzaSy-123 given", ["AIzaSy-123"], "bad key ******** given"),
        ("echo m%E1%BA%ADt%20kh%E1%BA%A9u và mật khẩu", ["mật khẩu"], "echo ******** và ********"),
        ('{"k": "a\\"b\\u00e9c"}', ['a"béc'], '{"k": "********"}'),
        ("abc is short", ["abc"], "abc is short"),
        (
            "see https://u:pw-9@h.vn/x?token=t1&page=2 now",
            [],
            "see https://u:********@h.vn/x?token=********&page=2 now",
        ),
        (
            "hook https://h.vn/services/T1/B2/Ab12Cd34Ef56Gh78",
            [],
            "hook https://h.vn/services/T1/B2/********",
        ),
        (
            "GET /search?api_key=k-1&sig=s-2&n=3 failed",
            [],
            "GET /search?api_key=********&sig=********&n=3 failed",
        ),
        ("long-key-0001 and long-key-0001x", ["long-key-0001", "long-key-0001x"], "******** and ********"),
        ("nothing secret here", [], "nothing secret here"),
    ],
)
def test_scrub(text: str, secrets: list[str], expected: str) -> None:
    assert scrub(text, secrets) == expected


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("sqlite:///data/monitor.db", "sqlite:///data/monitor.db"),
        ("postgresql+psycopg://user:secret@host/db", "postgresql+psycopg://user:********@host/db"),
        (
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        ),
        (
            "https://h.vn/hook?Token=a&x=1#access_token=b",
            "https://h.vn/hook?Token=********&x=1#access_token=********",
        ),
        (
            "https://h.vn/a?X-Api-Key=1&apikey=2&signature=3&auth=4&q=5",
            "https://h.vn/a?X-Api-Key=********&apikey=********&signature=********&auth=********&q=5",
        ),
        (
            "https://api.telegram.org/bot12345:AAbbCCdd99/sendMessage",
            "https://api.telegram.org/********/sendMessage",
        ),
        ("https://www.googleapis.com/customsearch/v1", "https://www.googleapis.com/customsearch/v1"),
        ("http://[::1/", "http://********"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked
