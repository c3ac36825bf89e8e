"""The archive breaking while many pages wait to be kept: no page reader waits for ever, and the
scan ends with the archive's error instead of hanging."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from monitor import scan_flow
from monitor.scan import Scanner
from monitor.scan_flow import BrandFlow
from monitor.settings import load_settings
from monitor.store.db import open_database
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[2]
TITLE = "BHXH Bình Dương hỗ trợ rút BHXH 1 lần"
PER_QUERY = 20
QUERIES = 6  # 120 pages kept: far more than the archive queue and the readers hold together


def app() -> Starlette:
    served = 0
    lock = threading.Lock()

    async def search(request: Request) -> Response:
        nonlocal served
        with lock:
            first, served = served, served + PER_QUERY
        items = [
            {"title": TITLE, "url": f"https://t.me/bhxh_binhduong_{n}", "description": ""}
            for n in range(first, first + PER_QUERY)
        ]
        return JSONResponse({"query": {"more_results_available": False}, "web": {"results": items}})

    async def robots(request: Request) -> Response:
        return PlainTextResponse("User-agent: *\nAllow: /\n")

    async def page(request: Request) -> Response:
        return HTMLResponse(f"<html><head><title>{TITLE}</title></head><body></body></html>")

    return Starlette(routes=[Route("/search", search), Route("/robots.txt", robots), Route("/{name}", page)])


@pytest.mark.parametrize("broken", ["archive raises", "archive answers short"])
def test_a_broken_archive_ends_the_scan_with_its_error(
    broken: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[int] = []
    built = BrandFlow.__init__

    def with_broken_archive(self: BrandFlow, *args: Any, **kwargs: Any) -> None:
        built(self, *args, **kwargs)
        archive = self.archive

        async def first_batch_breaks(enrichments: Sequence[Any]) -> Any:
            batches.append(len(enrichments))
            stored = await archive(enrichments)
            if len(batches) == 1:
                if broken == "archive raises":
                    raise OSError("No space left on device")
                return stored[:-1]  # what follows the archive breaks (strict zip)
            return stored

        self.archive = first_batch_breaks

    monkeypatch.setattr(BrandFlow, "__init__", with_broken_archive)
    monkeypatch.setattr(scan_flow, "ARCHIVE_BATCH", 4)
    with serve(app()) as base:
        env = {
            "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
            "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
            "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
            "MONITOR_SOURCES__BRAVE__URL": f"{base}/search",
            "MONITOR_SOURCES__BRAVE__API_KEY": "key",
            "MONITOR_SOURCES__BRAVE__MAX_QUERIES": str(QUERIES),
            "MONITOR_SOURCES__TELEGRAM__URL": base,
        }
        settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
        engine = open_database(settings.database.url)
        outcome: list[BaseException | None] = []
        ended = threading.Event()

        def scan() -> None:
            try:
                asyncio.run(Scanner(settings, engine, notify=False).run(["bhxh-binh-duong"], ["brave"]))
                outcome.append(None)
            except BaseException as exc:  # what the scan raised is the test's answer
                outcome.append(exc)
            finally:
                ended.set()

        runner = threading.Thread(target=scan, daemon=True)
        runner.start()
        try:
            # A hang (a reader blocked on the full archive queue) never sets it.
            assert ended.wait(timeout=120), "the scan hung after the archive broke"
        finally:
            engine.dispose()
    [error] = outcome
    expected = OSError if broken == "archive raises" else ValueError
    assert isinstance(error, expected)
    assert batches[0] >= 1
    assert len(batches) == 1
