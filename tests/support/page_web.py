"""A loopback web for page-state scans: Brave-like results, YouTube channel search, and pages that
answer, time out, are too large or fail, each at the path the monitor must ask for."""

from __future__ import annotations

import html
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tests.support.loopback import serve

# Pages larger than this are refused; the web's settings set http.max_response_bytes to it.
MAX_BYTES = 100_000


@dataclass
class Page:
    """One page: its answer, or `hang` (no answer until the web closes) or `size` bytes of filler."""

    status: int = 200
    body: str = ""
    hang: bool = False
    size: int | None = None


@dataclass
class PageWeb:
    """What the web shows; tests change it between scans."""

    results: list[tuple[str, str, str]] = field(default_factory=list)
    channels: list[tuple[str, str, str]] = field(default_factory=list)
    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    base: str = ""

    def overrides(self) -> dict[str, str]:
        """MONITOR_* settings that point Brave, YouTube and the platforms' pages at this web."""
        return {
            "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
            "MONITOR_HTTP__MAX_RETRIES": "0",
            "MONITOR_HTTP__TIMEOUT": "3",
            "MONITOR_HTTP__MAX_RESPONSE_BYTES": str(MAX_BYTES),
            "MONITOR_SOURCES__BRAVE__URL": f"{self.base}/brave/res/v1/web/search",
            "MONITOR_SOURCES__BRAVE__API_KEY": "page-web-key",
            "MONITOR_SOURCES__BRAVE__MAX_QUERIES": "1",
            "MONITOR_SOURCES__BRAVE__MAX_PAGES": "1",
            "MONITOR_SOURCES__YOUTUBE__API_KEY": "page-web-key",
            "MONITOR_SOURCES__YOUTUBE__API_URL": f"{self.base}/youtube/v3",
            "MONITOR_SOURCES__YOUTUBE__MAX_QUERIES": "1",
            "MONITOR_SOURCES__YOUTUBE__URL": self.base,
            "MONITOR_SOURCES__TELEGRAM__URL": f"{self.base}/tme",
            "MONITOR_SOURCES__TIKTOK__URL": f"{self.base}/tiktok",
            "MONITOR_SOURCES__TIKTOK__OEMBED_URL": f"{self.base}/tiktok/oembed",
            "MONITOR_SOURCES__DUCKDUCKGO__ENABLED": "false",
            "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
            "MONITOR_SOURCES__CRTSH__ENABLED": "false",
            "MONITOR_SOURCES__SEARXNG__URL": "",
            "MONITOR_SOURCES__GOOGLE_CSE__ENABLED": "false",
        }

    def asked(self, path: str) -> int:
        return self.requests.count(path)

    async def answer(self, request: Request) -> Response:
        path = request.url.path
        if path == "/robots.txt":
            return PlainTextResponse("User-agent: *\nAllow: /\n")
        if path.startswith("/brave/"):
            items = [{"title": t, "url": u, "description": s} for t, u, s in self.results]
            return JSONResponse(
                {"type": "search", "query": {"more_results_available": False}, "web": {"results": items}}
            )
        if path == "/youtube/v3/search":
            return JSONResponse(
                {"kind": "youtube#searchListResponse", "items": [_channel(*c) for c in self.channels]}
            )
        if path == "/youtube/v3/channels":
            # The Data API is down: the monitor reads the channel page itself.
            return JSONResponse({"error": {"code": 503}}, status_code=503)
        shown = path + (f"?{request.url.query}" if request.url.query else "")
        self.requests.append(shown)
        page = self.pages.get(shown)
        if page is None:
            return PlainTextResponse("404 Not Found", status_code=404)
        if page.hang:
            await anyio.to_thread.run_sync(self.release.wait)
        if page.size is not None:
            return Response(b"<html>" + b" " * page.size + b"</html>", media_type="text/html")
        return Response(page.body, status_code=page.status, media_type="text/html; charset=utf-8")


@contextmanager
def page_web() -> Iterator[PageWeb]:
    web = PageWeb()
    app = Starlette(routes=[Route("/{path:path}", web.answer)])
    with serve(app) as base:
        web.base = base
        try:
            yield web
        finally:
            web.release.set()  # hanging pages answer now, so the server can stop


def _channel(channel_id: str, title: str, description: str) -> dict[str, Any]:
    return {
        "kind": "youtube#searchResult",
        "id": {"kind": "youtube#channel", "channelId": channel_id},
        "snippet": {
            "channelId": channel_id,
            "title": title,
            "description": description,
            "channelTitle": title,
        },
    }


def telegram_page(name: str, description: str, *, group: bool = False) -> str:
    n, d = html.escape(name), html.escape(description)
    extra = "2 345 members, 120 online" if group else "1 204 subscribers"
    action = "Join Group" if group else "View in Telegram"
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: Join Group Chat</title>'
        f'<meta property="og:title" content="{n}"><meta property="og:description" content="{d}">'
        f'</head><body><div class="tgme_page"><div class="tgme_page_title"><span dir="auto">{n}</span></div>'
        f'<div class="tgme_page_extra">{extra}</div><div class="tgme_page_description">{d}</div>'
        f'<a class="tgme_action_button_new" href="tg://join?invite=x">{action}</a>'
        "</div></body></html>"
    )


def youtube_page(channel_id: str, name: str, description: str) -> str:
    n, d = html.escape(name), html.escape(description)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{n} - YouTube</title>'
        f'<meta property="og:title" content="{n}"><meta property="og:description" content="{d}">'
        f'<meta property="og:type" content="profile">'
        f'<link rel="canonical" href="https://www.youtube.com/channel/{channel_id}">'
        f"</head><body><h1>{n}</h1><p>{d}</p></body></html>"
    )
