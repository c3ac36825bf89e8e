"""A brand's matcher still being built when every source has already failed: the scan judges and
finishes normally (the flow's end must not cancel the matcher it shares with the final judgement)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

import monitor.scan as scan_module
from monitor.scan import Scanner
from monitor.scan_flow import BrandFlow
from monitor.scoring import Scorer
from monitor.settings import BrandSettings, load_settings
from monitor.store.db import open_database
from tests.support.loopback import free_port

REPO = Path(__file__).resolve().parents[2]


def test_a_matcher_built_after_the_flow_ended_still_judges_the_brand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = free_port()
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_HTTP__MAX_RETRIES": "0",
        "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
        "MONITOR_SOURCES__DUCKDUCKGO__URL": f"http://127.0.0.1:{closed}/html/",
        "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
        "MONITOR_SOURCES__CRTSH__ENABLED": "false",
    }
    settings = load_settings(REPO / "config" / "monitor.toml", environ=env)
    flow_ended = threading.Event()
    build = scan_module.scorer_for
    run_flow = BrandFlow.run

    def slow_scorer(brand: BrandSettings) -> Scorer:
        # The matcher is ready only once the brand's flow has ended (every source failed at once).
        flow_ended.wait(timeout=60)
        return build(brand)

    async def flow_then_signal(self: BrandFlow, *args: object, **kwargs: object) -> object:
        try:
            return await run_flow(self, *args, **kwargs)
        finally:
            flow_ended.set()

    monkeypatch.setattr(scan_module, "scorer_for", slow_scorer)
    monkeypatch.setattr(BrandFlow, "run", flow_then_signal)
    engine = open_database(settings.database.url)
    try:
        report = asyncio.run(Scanner(settings, engine, notify=False).run(["bhxh-binh-duong"], ["duckduckgo"]))
    finally:
        engine.dispose()
    assert flow_ended.is_set()
    assert report.status == "failed"  # the only source could not be reached: said, not crashed
    assert [s.status for s in report.sources] == ["failed"]
