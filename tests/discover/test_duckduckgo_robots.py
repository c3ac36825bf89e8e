"""DuckDuckGo's HTML page is a public page: a scan obeys its robots.txt and says so when it forbids."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from monitor.discover.registry import build_discoverers
from monitor.report import ScanReport
from monitor.scan import Scanner
from monitor.scan_outcome import assess, outcome_lines
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[2]
NO_RESULTS = '<html><body><div class="no-results">No results.</div></body></html>'


@dataclass
class Ddg:
    robots: str
    paths: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def robots(request: Request) -> Response:
            self._saw(request)
            return PlainTextResponse(self.robots)

        async def html(request: Request) -> Response:
            self._saw(request)
            return HTMLResponse(NO_RESULTS)

        return Starlette(
            routes=[Route("/robots.txt", robots), Route("/html/", html, methods=["GET", "POST"])]
        )

    def _saw(self, request: Request) -> None:
        with self.lock:
            self.paths.append(request.url.path)


def _settings(base: str, tmp_path: Path) -> Settings:
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        # The stand-in lives on loopback; the SSRF guard itself stays on for every other check.
        "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
        "MONITOR_HTTP__MAX_RETRIES": "0",
        "MONITOR_SOURCES__DUCKDUCKGO__URL": f"{base}/html/",
        "MONITOR_SOURCES__DUCKDUCKGO__MAX_QUERIES": "2",
        "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
        "MONITOR_SOURCES__CRTSH__ENABLED": "false",
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def _scan(settings: Settings) -> ScanReport:
    engine = open_database(settings.database.url)
    try:
        return asyncio.run(Scanner(settings, engine, notify=False).run(["bhxh-binh-duong"], ["duckduckgo"]))
    finally:
        engine.dispose()


@pytest.fixture
def forbidding() -> Iterator[tuple[Ddg, str]]:
    ddg = Ddg("User-agent: *\nDisallow: /html/\n")
    with serve(ddg.app()) as base:
        yield ddg, base


@pytest.fixture
def allowing() -> Iterator[tuple[Ddg, str]]:
    ddg = Ddg("User-agent: *\nAllow: /\n")
    with serve(ddg.app()) as base:
        yield ddg, base


def test_robots_txt_forbidding_html_is_obeyed_and_reported_blocked(
    forbidding: tuple[Ddg, str], tmp_path: Path
) -> None:
    ddg, base = forbidding
    report = _scan(_settings(base, tmp_path))
    assert "/html/" not in ddg.paths
    assert "/robots.txt" in ddg.paths
    [source] = [s for s in report.sources if s.name == "duckduckgo"]
    assert source.status == "blocked"
    assert source.error is not None
    assert "robots.txt" in source.error
    assert report.status == "failed"
    outcome = assess(report)
    assert outcome.causes == ("robots",)
    assert "MONITOR_SOURCES__SEARXNG__URL" in outcome.variables
    assert any("robots.txt" in line for line in outcome_lines(outcome, "vi"))


def test_robots_txt_allowing_html_lets_the_search_run(allowing: tuple[Ddg, str], tmp_path: Path) -> None:
    ddg, base = allowing
    report = _scan(_settings(base, tmp_path))
    assert ddg.paths.count("/html/") == 2
    [source] = [s for s in report.sources if s.name == "duckduckgo"]
    assert source.status == "ok"


def test_duckduckgo_is_never_a_trusted_endpoint(tmp_path: Path) -> None:
    settings = _settings("http://127.0.0.1:9", tmp_path)
    engine = open_database(settings.database.url)
    try:
        scanner = Scanner(settings, engine)
        trusted = scanner.endpoints(build_discoverers(settings))
    finally:
        engine.dispose()
    assert settings.sources.duckduckgo.url not in trusted
    assert settings.sources.brave.url in trusted
    assert settings.sources.tiktok.oembed_url in trusted
