"""Small hand-written answers of each engine, shaped like the real captures, for tests that run anywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"


def _read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


# html.duckduckgo.com, 2025+ layout: protocol-relative /l/?uddg= links, an ad, a "Next" form.
DDG_RESULTS = _read("ddg_results.html")

DDG_PAGE_TWO = _read("ddg_page_two.html")

DDG_NO_RESULTS = _read("ddg_no_results.html")

DDG_CHALLENGE = _read("ddg_challenge.html")

DDG_BLOCKED_403 = "If this error persists, please let us know: error-lite@duckduckgo.com"

DDG_UNRECOGNISED = "<html><body><h1>Welcome</h1><p>Something else entirely.</p></body></html>"

# Brave Search API /res/v1/web/search.
BRAVE_RESULTS: dict[str, Any] = {
    "type": "search",
    "query": {"original": "QUERY", "more_results_available": True},
    "mixed": {"type": "mixed", "main": [{"type": "web", "index": 0, "all": False}]},
    "web": {
        "type": "search",
        "results": [
            {
                "title": "BHXH Bình Dương - Hỗ trợ | Facebook",
                "url": "https://m.facebook.com/profile.php?id=100089999999999&mibextid=abc",
                "description": "Hỗ trợ <strong>rút BHXH 1 lần</strong> nhanh &amp; uy tín",
                "meta_url": {"hostname": "m.facebook.com"},
            },
            {
                "title": "Bảo hiểm xã hội Bình Dương",
                "url": "https://binhduong.baohiemxahoi.gov.vn/",
                "description": "Cổng thông tin điện tử",
            },
            {"title": "no url"},
            "garbage",
        ],
    },
}

BRAVE_EMPTY: dict[str, Any] = {
    "type": "search",
    "query": {"original": "QUERY", "more_results_available": False},
}

SEARXNG_RESULTS: dict[str, Any] = {
    "query": "QUERY",
    "number_of_results": 0,
    "results": [
        {
            "title": "Hỗ trợ BHXH Bình Dương",
            "url": "https://zalo.me/84912345678",
            "content": "Liên hệ Zalo để được hỗ trợ",
            "engine": "bing",
            "engines": ["bing"],
        },
        {"title": "BHXH Bình Dương", "url": "https://t.me/s/bhxh_bd", "content": "", "engines": ["google"]},
        {"title": "magnet", "url": None},
    ],
    "answers": [],
    "corrections": [],
    "infoboxes": [],
    "suggestions": [],
    "unresponsive_engines": [],
}

CSE_RESULTS: dict[str, Any] = {
    "kind": "customsearch#search",
    "queries": {
        "request": [{"searchTerms": "QUERY", "count": 10, "startIndex": 1}],
        "nextPage": [{"searchTerms": "QUERY", "count": 10, "startIndex": 11}],
    },
    "items": [
        {
            "kind": "customsearch#result",
            "title": "BHXH Bình Dương | TikTok",
            "link": "https://www.tiktok.com/@bhxh.binhduong?lang=vi",
            "snippet": "Hỗ trợ rút\nBHXH một lần.",
        },
        {"kind": "customsearch#result", "title": "Trang không có mô tả", "link": "https://example.vn/a"},
    ],
}

CSE_EMPTY: dict[str, Any] = {
    "kind": "customsearch#search",
    "queries": {"request": [{"searchTerms": "QUERY", "count": 10, "startIndex": 1}]},
    "searchInformation": {"totalResults": "0"},
}


def dumps(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)
