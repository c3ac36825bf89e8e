"""YouTube Data API channel search as a discovery source, against a loopback API."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from starlette.responses import JSONResponse, PlainTextResponse, Response

from monitor.settings import BrandsFile, YoutubeSettings
from monitor.sources import SOURCES
from monitor.sources.youtube import YoutubeSource
from tests.sources.loopback import Seen, engine, queries, run_source

REPO = Path(__file__).resolve().parents[2]

CHANNELS: dict[str, Any] = {
    "kind": "youtube#searchListResponse",
    "items": [
        {
            "kind": "youtube#searchResult",
            "id": {"kind": "youtube#channel", "channelId": "UCaaaaaaaaaaaaaaaaaaaaaa"},
            "snippet": {
                "channelId": "UCaaaaaaaaaaaaaaaaaaaaaa",
                "title": "BHXH Bình Dương - Hỗ trợ rút 1 lần",
                "description": "Liên hệ Zalo 0912 345 678",
                "channelTitle": "BHXH Bình Dương - Hỗ trợ rút 1 lần",
            },
        },
        {"kind": "youtube#searchResult", "id": {"kind": "youtube#channel", "channelId": "not-an-id"}},
        "garbage",
    ],
}


def _settings(base: str, **overrides: object) -> YoutubeSettings:
    values: dict[str, object] = {"api_url": base + "/youtube/v3", "api_key": SecretStr("k-123")}
    values.update(overrides)
    return YoutubeSettings.model_validate(values)


def test_registered_under_its_config_key() -> None:
    assert SOURCES["youtube"] is YoutubeSource


def test_channels_become_sightings_with_channel_urls() -> None:
    with engine(lambda seen, index: JSONResponse(CHANNELS)) as (eng, base):
        result = run_source(YoutubeSource, _settings(base), queries("BHXH Bình Dương"))
    assert (result.status, result.requests, result.results) == ("ok", 1, 1)
    sighting = result.sightings[0]
    assert sighting.url == "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa"
    assert sighting.title == "BHXH Bình Dương - Hỗ trợ rút 1 lần"
    seen = eng.requests[0]
    assert seen.path == "/youtube/v3/search"
    assert seen.params["type"] == "channel"
    assert seen.params["q"] == "BHXH Bình Dương"
    assert seen.params["key"] == "k-123"


def test_an_answer_without_items_is_zero_results() -> None:
    empty = {"kind": "youtube#searchListResponse", "pageInfo": {"totalResults": 0}}
    with engine(lambda seen, index: JSONResponse(empty)) as (_, base):
        result = run_source(YoutubeSource, _settings(base), queries("a"))
    assert (result.status, result.results) == ("ok", 0)


def test_quota_exceeded_is_blocked_not_empty() -> None:
    message = "The request cannot be completed because you have exceeded your quota."
    quota = {"error": {"code": 403, "message": message}}

    def answer(seen: Seen, index: int) -> Response:
        return JSONResponse(quota, status_code=403)

    with engine(answer) as (_, base):
        result = run_source(YoutubeSource, _settings(base), queries("a", "b"), lang="en")
    assert (result.status, result.results) == ("blocked", 0)
    assert "exceeded your quota" in result.reason


def test_html_instead_of_json_is_failed() -> None:
    with engine(lambda seen, index: PlainTextResponse("<html>oops</html>")) as (_, base):
        result = run_source(YoutubeSource, _settings(base), queries("a"), lang="en")
    assert result.status == "failed"
    assert "not valid JSON" in result.reason


def test_without_a_key_it_is_skipped_and_asks_nothing() -> None:
    with engine(lambda seen, index: JSONResponse(CHANNELS)) as (eng, base):
        result = run_source(YoutubeSource, _settings(base, api_key=None), queries("a"))
    assert (result.status, eng.requests) == ("skipped", [])
    assert "MONITOR_SOURCES__YOUTUBE__API_KEY" in result.reason


def test_plan_is_the_brand_names_without_site_filters() -> None:
    brand = BrandsFile.model_validate(
        tomllib.loads((REPO / "config" / "brands.toml").read_text("utf-8"))
    ).brands[0]
    source = YoutubeSource(YoutubeSettings(max_queries=3), client=None)  # type: ignore[arg-type]
    planned = [q.text for q in source.plan(brand)]
    assert planned == ["Bảo hiểm xã hội tỉnh Bình Dương", "BHXH tỉnh Bình Dương", "BHXH Bình Dương"]
    assert source.warnings() == []
    assert YoutubeSource(YoutubeSettings(max_queries=150), client=None).warnings()  # type: ignore[arg-type]
