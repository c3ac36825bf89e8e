"""Officers' tips are discovered every scan: canonicalised, read, judged, recorded and linked."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from monitor.cli import cli
from monitor.discover.registry import registered_keys
from monitor.followups import FindingChange, FollowUpContext, FollowUpReport, run_followups
from monitor.report import ScanReport
from monitor.scan import Scanner
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingRepository
from monitor.store.tips import TipRepository
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[2]
BRAND = "bhxh-binh-duong"
FAKE = (
    "<html><head><title>BHXH Bình Dương - Hỗ trợ rút BHXH một lần</title></head>"
    "<body><p>Liên hệ Zalo 0901 234 567 để rút BHXH một lần.</p></body></html>"
)


@dataclass
class Site:
    paths: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def robots(request: Request) -> Response:
            return PlainTextResponse("User-agent: *\nAllow: /\n")

        async def page(request: Request) -> Response:
            with self.lock:
                self.paths.append(request.url.path)
            return HTMLResponse(FAKE)

        return Starlette(routes=[Route("/robots.txt", robots), Route("/{path:path}", page)])


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()
    with serve(state.app(), host="127.0.0.3") as base:
        yield state, base


def _settings(tmp_path: Path) -> Settings:
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
        "MONITOR_HTTP__MAX_RETRIES": "0",
        "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
        "MONITOR_SOURCES__CRTSH__ENABLED": "false",
        # Only the scan's own page reads are counted here; screenshots have their own tests.
        "MONITOR_SCREENSHOTS__ENABLED": "false",
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def _scan(settings: Settings) -> ScanReport:
    engine = open_database(settings.database.url)
    try:
        return asyncio.run(Scanner(settings, engine, notify=False).run(None, ["tip"]))
    finally:
        engine.dispose()


def test_a_tip_becomes_a_finding_read_at_its_page_and_is_linked_to_it(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    state, base = site
    settings = _settings(tmp_path)
    engine = open_database(settings.database.url)
    with session_scope(session_factory(engine)) as session:
        tip = TipRepository(session).add(BRAND, f"{base}/trang-gia?utm_source=zalo", "can.bo", note="Zalo")
    engine.dispose()
    first = _scan(settings)
    assert [s.name for s in first.sources] == ["tip"]
    assert first.sources[0].status == "ok"
    [new] = first.events["new"]
    assert new["platform"] == "web"
    assert state.paths == ["/trang-gia"]  # the canonical URL, tracking parameters dropped
    engine = open_database(settings.database.url)
    with session_scope(session_factory(engine)) as session:
        finding = FindingRepository(session).by_id(new["id"])
        assert finding is not None
        assert finding.sources == ["tip"]
        assert finding.page_state == "read"
        [linked] = TipRepository(session).for_brand(BRAND)
        assert linked.id == tip.id
        assert linked.finding_id == finding.id
    engine.dispose()
    second = _scan(settings)
    assert not any(second.events.values())
    assert len(state.paths) == 2  # read again: a tip is re-checked like any finding


def test_source_accepts_exactly_the_registered_keys(tmp_path: Path) -> None:
    assert {"duckduckgo", "brave", "domains", "crtsh", "tip", "known"} <= set(registered_keys())
    assert "telegram" not in registered_keys()
    env = {"MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}"}
    result = CliRunner().invoke(cli, ["scan", "--source", "telegram"], env=env)
    assert result.exit_code == 2
    for key in registered_keys():
        assert key in result.output


def test_a_failing_follow_up_is_reported_and_the_next_step_still_runs(tmp_path: Path) -> None:
    class Broken:
        key = "broken"

        def __init__(self, settings: Settings) -> None:
            self.settings = settings

        async def run(self, context: FollowUpContext) -> object:
            raise RuntimeError("disk full")

    class Counting:
        key = "counting"

        def __init__(self, settings: Settings) -> None:
            self.settings = settings

        async def run(self, context: FollowUpContext) -> object:
            return len(context.changes)

    settings = _settings(tmp_path)
    engine = open_database(settings.database.url)
    change = FindingChange("new", "web", "http://example.vn/", "high", "read")
    context = FollowUpContext(settings, BRAND, 1, session_factory(engine), {7: change})
    reports = asyncio.run(run_followups(context, {"broken": Broken, "counting": Counting}))
    engine.dispose()
    assert reports[0] == FollowUpReport("broken", BRAND, "failed", "RuntimeError: disk full")
    assert reports[1] == FollowUpReport("counting", BRAND, "ok", "1")
    context.stop.set()
    assert asyncio.run(run_followups(context, {"counting": Counting}))[0].status == "skipped"
