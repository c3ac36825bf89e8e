"""Pages are read while the searches still run: the stream does not wait for every source."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from monitor.scan import Scanner
from monitor.settings import load_settings
from monitor.store.db import open_database
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[2]
WAIT = 20.0
FAKE_TITLE = "BHXH Bình Dương hỗ trợ rút BHXH 1 lần"


@dataclass
class Web:
    """A Brave-like API whose second answer waits until the first result's page was asked for."""

    page_read: threading.Event = field(default_factory=threading.Event)
    searches: int = 0
    waited: list[bool] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def search(request: Request) -> Response:
            with self.lock:
                self.searches += 1
                number = self.searches
            if number == 1:
                items = [{"title": FAKE_TITLE, "url": "https://t.me/bhxh_binhduong_hotro", "description": ""}]
            else:
                self.waited.append(await asyncio.to_thread(self.page_read.wait, WAIT))
                items = []
            body = {"query": {"more_results_available": False}, "web": {"results": items}}
            return JSONResponse(body)

        async def robots(request: Request) -> Response:
            return PlainTextResponse("User-agent: *\nAllow: /\n")

        async def page(request: Request) -> Response:
            self.page_read.set()
            return HTMLResponse(f"<html><head><title>{FAKE_TITLE}</title></head><body></body></html>")

        return Starlette(
            routes=[
                Route("/search", search),
                Route("/robots.txt", robots),
                Route("/{name}", page),
            ]
        )


@pytest.fixture
def web() -> Iterator[tuple[Web, str]]:
    state = Web()
    with serve(state.app()) as base:
        yield state, base


def test_a_page_is_read_before_the_search_that_found_it_has_finished(
    web: tuple[Web, str], tmp_path: Path
) -> None:
    state, base = web
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
        "MONITOR_HTTP__TIMEOUT": str(WAIT + 10),
        "MONITOR_SOURCES__BRAVE__URL": f"{base}/search",
        "MONITOR_SOURCES__BRAVE__API_KEY": "key",
        "MONITOR_SOURCES__BRAVE__MAX_QUERIES": "2",
        "MONITOR_SOURCES__TELEGRAM__URL": base,
    }
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    engine = open_database(settings.database.url)
    try:
        report = asyncio.run(Scanner(settings, engine, notify=False).run(["bhxh-binh-duong"], ["brave"]))
    finally:
        engine.dispose()
    assert state.searches == 2
    assert state.waited == [True]  # the page was asked for while the second search was pending
    assert [item["identity"] for item in report.events["new"]] == ["telegram:bhxh_binhduong_hotro"]
