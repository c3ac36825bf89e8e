"""URL parsing and logging: query strings and user info never reach a log line."""

from __future__ import annotations

import httpx
import pytest

from monitor.errors import UnsafeURLError
from monitor.net.urls import loggable, origin, parse_url, shown


def test_loggable_drops_query_and_user_info() -> None:
    url = "https://user:pw@www.googleapis.com/customsearch/v1?key=AIzaSECRET&q=bhxh"
    assert loggable(url) == "https://www.googleapis.com/customsearch/v1"
    assert loggable(httpx.URL("http://[::1]:8080/a?token=x")) == "http://[::1]:8080/a"


def test_shown_is_bounded_masked_and_encodable() -> None:
    text = shown("https://x/?api_key=abc&q=" + "a" * 10_000 + "\ud800")
    assert "abc" not in text
    assert len(text) < 400
    text.encode("utf-8")
    assert shown("bad \ud800 host") == "bad \\ud800 host"


def test_origin_fills_in_default_ports() -> None:
    assert origin(httpx.URL("https://Example.com/a")) == ("https", "example.com", 443)
    assert origin(httpx.URL("http://example.com:8080/")) == ("http", "example.com", 8080)


def test_params_are_merged() -> None:
    assert (
        str(parse_url("https://x.vn/s?a=1", {"q": "Bình Dương"}))
        == "https://x.vn/s?a=1&q=B%C3%ACnh+D%C6%B0%C6%A1ng"
    )


@pytest.mark.parametrize(
    "raw",
    ["", "not a url", "http://", "http://[::1/", "http://\ud800/", "http://x:99999/", "a" * 10_000],
)
def test_hostile_urls_are_refused_cleanly(raw: str) -> None:
    with pytest.raises(UnsafeURLError):
        parse_url(raw)
