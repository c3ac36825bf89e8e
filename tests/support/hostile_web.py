"""A loopback search whose fakes include a rot13 page, 200,000 nested <div>s and a /channel/UC…"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.support.loopback import serve
from tests.support.page_web import PageWeb, telegram_page, youtube_page

SNIPPET = "Hỗ trợ rút BHXH 1 lần nhanh, nhận tiền trong ngày. Liên hệ Zalo 0901 234 567."
# The rot13 page's own name differs from its search title: a stored hash of it proves it was read.
ROT13_NAME = "BHXH Bình Dương – Kênh hỗ trợ rút bảo hiểm một lần (CSKH)"
ROT13_TYPE = "text/html; charset=rot13"
NESTED_DIVS = 200_000
CHANNEL = "UCbhxhBinhDuongHoTroRut01"
REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Fake:
    """One planted fake: how the search shows it, the identity it must get and the page behind it."""

    identity: str
    url: str
    title: str
    path: str
    body: bytes
    content_type: str = "text/html; charset=utf-8"


def nested_divs(count: int = NESTED_DIVS) -> bytes:
    """`count` unclosed <div>s inside an otherwise ordinary page (about 5 bytes each)."""
    return b"<!DOCTYPE html><html><head><title>x</title></head><body>" + b"<div>" * count + b"</body></html>"


def hostile_fakes() -> tuple[Fake, ...]:
    rot13 = telegram_page(ROT13_NAME, SNIPPET).encode("utf-8")
    return (
        Fake(
            "telegram:bhxhbd_rut_mot_lan",
            "https://t.me/bhxhbd_rut_mot_lan",
            "BHXH Bình Dương hỗ trợ rút 1 lần – Telegram",
            "/tme/bhxhbd_rut_mot_lan",
            rot13,
            ROT13_TYPE,
        ),
        Fake(
            "tiktok:@bhxhbd.hotro.rut",
            "https://www.tiktok.com/@bhxhbd.hotro.rut",
            "Bảo Hiểm Xã Hội Bình Dương - Hỗ trợ rút BHXH 1 lần (@bhxhbd.hotro.rut) | TikTok",
            "/tiktok/@bhxhbd.hotro.rut",
            nested_divs(),
        ),
        Fake(
            f"youtube:channel:{CHANNEL}",
            f"https://www.youtube.com/channel/{CHANNEL}",
            "Bảo Hiểm Xã Hội Bình Dương - Hỗ trợ rút BHXH 1 lần - YouTube",
            f"/channel/{CHANNEL}",
            youtube_page(CHANNEL, "Bảo Hiểm Xã Hội Bình Dương - Hỗ trợ rút BHXH 1 lần", SNIPPET).encode(),
        ),
        Fake(
            "telegram:bhxhbd_cskh_nhom",
            "https://t.me/bhxhbd_cskh_nhom",
            "Bảo Hiểm Xã Hội Bình Dương CSKH – Telegram",
            "/tme/bhxhbd_cskh_nhom",
            telegram_page("Bảo Hiểm Xã Hội Bình Dương CSKH", SNIPPET, group=True).encode(),
        ),
        Fake(
            "youtube:@bhxhbd.tuvan",
            "https://www.youtube.com/@bhxhbd.tuvan",
            "Bảo Hiểm Xã Hội Bình Dương Tư Vấn - YouTube",
            "/@bhxhbd.tuvan",
            youtube_page("UCbhxhBinhDuongTuVan00001", "Bảo Hiểm Xã Hội Bình Dương Tư Vấn", SNIPPET).encode(),
        ),
    )


@dataclass
class HostileWeb(PageWeb):
    """PageWeb whose planted pages are served as raw bytes with their own Content-Type.

    `robots` is the robots.txt of the whole web; `arrived[path]` is set when the page at `path` is
    asked for; `hold` (when set) keeps the Brave search from answering until `release` is set, so
    a test can catch a scan mid-search.
    """

    fakes: tuple[Fake, ...] = field(default_factory=hostile_fakes)
    robots: str = "User-agent: *\nAllow: /\n"
    arrived: dict[str, threading.Event] = field(default_factory=dict)
    hold: threading.Event = field(default_factory=threading.Event)
    searching: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.results = [(fake.title, fake.url, SNIPPET) for fake in self.fakes]
        self.arrived = {fake.path: threading.Event() for fake in self.fakes}

    def overrides(self) -> dict[str, str]:
        return {
            **super().overrides(),
            # The nested-div page is about 1 MB: it must be fetched, then refused by the parser.
            "MONITOR_HTTP__MAX_RESPONSE_BYTES": "5000000",
            "MONITOR_HTTP__TIMEOUT": "120",  # a busy machine must not turn a page into a timeout
        }

    def command_env(self, db_url: str, scratch: Path) -> dict[str, str]:
        """The environment of a `python -m monitor ...` subprocess scanning this web into `db_url`."""
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
            **self.overrides(),
            "MONITOR_CONFIG": str(REPO / "config" / "monitor.toml"),
            "MONITOR_DATABASE__URL": db_url,
            "MONITOR_EVIDENCE__DIR": str(scratch / "evidence"),
            "MONITOR_LOG_FORMAT": "json",
        }

    async def serve_raw(self, request: Request) -> Response:
        path = request.url.path
        if path == "/robots.txt":
            self.requests.append(path)
            return PlainTextResponse(self.robots)
        if path.startswith("/brave/") and self.hold.is_set():
            self.searching.set()
            await anyio.to_thread.run_sync(self.release.wait)
        for fake in self.fakes:
            if path == fake.path:
                self.requests.append(path)
                self.arrived[path].set()
                return Response(fake.body, headers={"content-type": fake.content_type})
        return await self.answer(request)


@contextmanager
def hostile_web() -> Iterator[HostileWeb]:
    web = HostileWeb()
    app = Starlette(routes=[Route("/{path:path}", web.serve_raw)])
    with serve(app) as base:
        web.base = base
        try:
            yield web
        finally:
            web.release.set()
