"""Discoverers come from the registry; one that breaks is reported failed and the scan goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from monitor.discover import registry
from monitor.discover.base import Discovery, Found
from monitor.discover.registry import build_discoverers
from monitor.scan import Scanner
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database

REPO = Path(__file__).resolve().parents[2]


class Broken:
    keys: tuple[str, ...] = ("tip",)
    later = False
    always = False

    def api_endpoints(self) -> list[str]:
        return []

    async def discover(self, run: Discovery) -> Found:
        raise KeyError("a bug")

    def recorded(self, session: Session, findings: Mapping[str, int]) -> None:
        return None


def _broken(settings: Settings, keys: Sequence[str]) -> Broken:
    return Broken()


def _settings(tmp_path: Path) -> Settings:
    env = {
        "MONITOR_DATABASE__URL": f"sqlite:///{tmp_path / 'monitor.db'}",
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


def test_a_broken_discoverer_is_a_failed_source_and_the_scan_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(registry.DISCOVERERS, "tip", _broken)
    settings = _settings(tmp_path)
    engine = open_database(settings.database.url)
    try:
        report = asyncio.run(Scanner(settings, engine, notify=False).run(["bhxh-binh-duong"], ["tip"]))
    finally:
        engine.dispose()
    assert [(s.name, s.status) for s in report.sources] == [("tip", "failed")]
    assert report.status == "failed"


def test_a_choice_builds_the_chosen_discoverers_and_those_that_always_run(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    built = build_discoverers(settings, ["crtsh", "brave"])
    assert sorted(key for d in built for key in d.keys) == ["brave", "crtsh", "known"]
    everything = build_discoverers(settings)
    assert sorted(key for d in everything for key in d.keys) == sorted(registry.registered_keys())
