"""Work the brands of one queued scan share is done once: the store-backed SharedWork, and search
queries two brands' discovery jobs both need, asked of the engine once."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from monitor.queue import steps
from monitor.queue.shared import StoreShared
from monitor.queue.steps import Runtime, plan_scan
from monitor.settings import load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.scan_parts import ScanParts
from monitor.store.scans import ScanRepository
from tests.queue.conftest import monitor
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[2]
BRAND, TWIN = "bhxh-binh-duong", "bhxh-binh-duong-twin"


@pytest.fixture
def scan_id(pg_url: str) -> tuple[str, int]:
    engine = open_database(pg_url)
    with session_scope(session_factory(engine)) as session:
        scan = ScanRepository(session).start(["a"], "test", owner="queue")
        found = scan.id
    engine.dispose()
    return pg_url, found


def test_one_sharer_computes_the_others_read_and_a_failure_is_not_shared(scan_id: tuple[str, int]) -> None:
    url, scan = scan_id
    engine = open_database(url)
    factory = session_factory(engine)
    calls: Counter[str] = Counter()
    release = asyncio.Event()

    async def compute() -> dict[str, int]:
        calls["page"] += 1
        await release.wait()
        return {"answer": 42}

    async def broken() -> dict[str, int]:
        calls["broken"] += 1
        raise RuntimeError("engine down")

    async def fixed() -> dict[str, int]:
        calls["fixed"] += 1
        return {"answer": 7}

    async def run() -> None:
        sharers = [StoreShared(factory, scan, f"job-{i}", poll=0.02) for i in range(4)]
        waiting = [asyncio.create_task(s.once("search:brave:1:q", compute)) for s in sharers]
        while calls["page"] == 0:
            await asyncio.sleep(0.01)
        release.set()
        assert await asyncio.gather(*waiting) == [{"answer": 42}] * 4
        with pytest.raises(RuntimeError):
            await sharers[0].once("search:brave:1:other", broken)
        assert await sharers[1].once("search:brave:1:other", fixed) == {"answer": 7}

    try:
        asyncio.run(run())
    finally:
        engine.dispose()
    assert calls == {"page": 1, "broken": 1, "fixed": 1}


def test_a_query_two_brands_need_is_asked_of_the_engine_once(pg_url: str, tmp_path: Path) -> None:
    asked: Counter[str] = Counter()
    lock = threading.Lock()

    async def search(request: Request) -> JSONResponse:
        query = request.query_params.get("q", "")
        with lock:
            asked[query] += 1
        await asyncio.sleep(0.05)  # both brands ask while the first answer is on its way
        hit = {
            "title": f"{query} hỗ trợ",
            "url": "https://t.me/bhxh_hotro_1",
            "description": "rút BHXH 1 lần",
        }
        return JSONResponse({"web": {"results": [hit]}})

    # Two offices known by the same names (a unit and its former name, say): the same queries.
    brand = (
        'name = "Bảo hiểm xã hội tỉnh Bình Dương"\n'
        'names = ["BHXH Bình Dương"]\n'
        'organization_terms = ["Bảo hiểm xã hội", "BHXH"]\n'
        'location_terms = ["Bình Dương"]\n'
    )
    twins = "".join(f'[[brands]]\nslug = "{slug}"\n{brand}\n' for slug in (BRAND, TWIN))
    (tmp_path / "brands.toml").write_text(twins, encoding="utf-8")
    shutil.copy(REPO / "config" / "monitor.toml", tmp_path / "monitor.toml")
    with serve(Starlette(routes=[Route("/search", search)])) as base:
        env = {
            "MONITOR_DATABASE__URL": pg_url,
            "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
            "MONITOR_QUEUE__BACKEND": "procrastinate",
            "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
            "MONITOR_SOURCES__BRAVE__URL": f"{base}/search",
            "MONITOR_SOURCES__BRAVE__API_KEY": "k",
            "MONITOR_SOURCES__BRAVE__MAX_QUERIES": "3",
            "MONITOR_SOURCES__BRAVE__MAX_PAGES": "1",
        }
        settings = load_settings(tmp_path / "monitor.toml", environ=env)
        engine = open_database(pg_url)
        rt = Runtime(settings, engine, threading.Event())

        async def run() -> list[bool]:
            plan = plan_scan(rt, None, ["brave"], "test")
            parts = plan.discovery
            assert {p.brand for p in parts} == {"bhxh-binh-duong", "bhxh-binh-duong-twin"}
            return list(
                await asyncio.gather(*(steps.discover(rt, plan.scan_id, p.brand, p.part) for p in parts))
            )

        try:
            done = asyncio.run(run())
        finally:
            engine.dispose()
    assert done == [True, True]  # each brand's discovery is complete
    assert len(asked) == 3
    assert set(asked.values()) == {1}  # three queries, each asked once for the two brands


def test_processes_starting_together_migrate_one_at_a_time(pg_url: str) -> None:
    """A scheduler and its workers all open the database at start: every one must succeed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["MONITOR_DATABASE__URL"] = pg_url
    starting = [
        subprocess.Popen(monitor("db", "upgrade"), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = [process.communicate(timeout=300) for process in starting]
    assert [process.returncode for process in starting] == [0, 0, 0, 0], results


def test_parts_finishing_together_ask_for_the_judgement_exactly_once(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last discovery part of a brand asks for its judgement, even when several end at once."""
    together = threading.Barrier(3)
    finish = ScanParts.finish

    def at_once(self: ScanParts, *args: Any, **kwargs: Any) -> bool:
        together.wait()  # the three parts mark themselves done at the same moment
        return finish(self, *args, **kwargs)

    monkeypatch.setattr(ScanParts, "finish", at_once)

    async def search(request: Request) -> JSONResponse:
        return JSONResponse({"web": {"results": []}, "results": [], "items": []})

    brand = 'name = "Bảo hiểm xã hội tỉnh Bình Dương"\norganization_terms = ["BHXH"]\n'
    (tmp_path / "brands.toml").write_text(f'[[brands]]\nslug = "{BRAND}"\n{brand}', encoding="utf-8")
    shutil.copy(REPO / "config" / "monitor.toml", tmp_path / "monitor.toml")
    with serve(Starlette(routes=[Route("/search", search)])) as base:
        env = {
            "MONITOR_DATABASE__URL": pg_url,
            "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
            "MONITOR_QUEUE__BACKEND": "procrastinate",
            "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
            "MONITOR_SOURCES__BRAVE__URL": f"{base}/search",
            "MONITOR_SOURCES__BRAVE__API_KEY": "k",
            "MONITOR_SOURCES__SEARXNG__URL": f"{base}/search",
            "MONITOR_SOURCES__GOOGLE_CSE__URL": f"{base}/search",
            "MONITOR_SOURCES__GOOGLE_CSE__API_KEY": "k",
            "MONITOR_SOURCES__GOOGLE_CSE__CX": "x",
        }
        settings = load_settings(tmp_path / "monitor.toml", environ=env)
        engine = open_database(pg_url)
        rt = Runtime(settings, engine, threading.Event())
        sources = ["brave", "searxng", "google_cse"]
        try:
            for _ in range(15):
                plan = plan_scan(rt, None, sources, "test")
                start = threading.Barrier(len(plan.discovery))
                asked: list[bool] = []

                def one(
                    part: str,
                    scan_id: int = plan.scan_id,
                    start: threading.Barrier = start,
                    asked: list[bool] = asked,
                ) -> None:
                    start.wait()
                    asked.append(asyncio.run(steps.discover(rt, scan_id, BRAND, part)))

                threads = [threading.Thread(target=one, args=(p.part,)) for p in plan.discovery]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                assert sorted(asked) == [False, False, True]
        finally:
            engine.dispose()
