"""`monitor scan` with no way out: a real subprocess in a fresh folder must say that nothing was
searched, in red words naming the cause, exit 1, and never "Không có gì mới"; a partly failed
scan exits 4."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from monitor.scan_outcome import EXIT_NOTHING_REACHED, EXIT_SOME_FAILED
from tests.support.loopback import free_port, serve

REPO = Path(__file__).resolve().parents[1]
NOTHING_NEW = ("Không có gì mới", "Nothing new")
PROXY_ENV = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
FAST = {
    "MONITOR_HTTP__MAX_RETRIES": "0",
    "MONITOR_HTTP__CONNECT_TIMEOUT": "3",
    "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
}


def run_scan(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    kept = {
        k: v for k, v in os.environ.items() if not k.startswith("MONITOR_") and k.lower() not in PROXY_ENV
    }
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args, "scan", "--no-notify"],
        cwd=cwd,
        env={**kept, **FAST, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A new office's folder: the shipped configuration and nothing else (no database yet)."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    return tmp_path


def _closed_sources(port: int, host: str = "127.0.0.1") -> dict[str, str]:
    return {
        # DuckDuckGo's page is public, never a trusted API: the SSRF guard applies to it, and the
        # stand-in for it lives on loopback.
        "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_SOURCES__DUCKDUCKGO__URL": f"http://{host}:{port}/html/",
        # crt.sh waits 10 s before asking again: off here, its failures are tested in tests/domains.
        "MONITOR_SOURCES__CRTSH__ENABLED": "false",
        "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
    }


def _assert_nothing_reached(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert result.returncode == EXIT_NOTHING_REACHED, result.stdout + result.stderr
    for text in expected:
        assert text in result.stdout, result.stdout
    assert not any(text in result.stdout for text in NOTHING_NEW), result.stdout


def test_closed_ports_say_no_internet_and_exit_1(fresh: Path) -> None:
    result = run_scan(cwd=fresh, env=_closed_sources(free_port()))
    _assert_nothing_reached(
        result,
        "KHÔNG NGUỒN NÀO TRẢ LỜI",
        "Nguyên nhân có thể: không có kết nối Internet",
        "HTTPS_PROXY",
        "MONITOR_HTTP__PROXY",
        "MONITOR_SOURCES__BRAVE__API_KEY",
    )
    english = run_scan("--lang", "en", cwd=fresh, env=_closed_sources(free_port()))
    _assert_nothing_reached(
        english, "NO SOURCE ANSWERED", "Likely cause: no internet connection", "HTTPS_PROXY"
    )


def test_an_unresolvable_host_and_silent_dns_say_dns_failed(fresh: Path) -> None:
    env = {
        **_closed_sources(80, host="search.invalid"),
        "MONITOR_SOURCES__DOMAINS__ENABLED": "true",
        "MONITOR_SOURCES__DOMAINS__NAMESERVERS": f'["127.0.0.1:{free_port()}"]',
        "MONITOR_SOURCES__DOMAINS__MAX_NAMES": "5",
        "MONITOR_SOURCES__DOMAINS__TIMEOUT": "0.5",
    }
    result = run_scan(cwd=fresh, env=env)
    _assert_nothing_reached(
        result, "Nguyên nhân có thể: không phân giải được tên miền", "MONITOR_SOURCES__DOMAINS__NAMESERVERS"
    )


def test_a_proxy_that_cannot_be_reached_is_named(fresh: Path) -> None:
    proxy = f"http://127.0.0.1:{free_port()}"
    # Not 127.0.0.1: requests to localhost never go through a proxy from the environment.
    env = {**_closed_sources(free_port(), host="127.0.0.2"), "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy}
    result = run_scan(cwd=fresh, env=env)
    _assert_nothing_reached(result, "Nguyên nhân có thể: proxy", f"qua proxy {proxy}", "HTTP_PROXY")


@pytest.fixture
def searxng() -> Iterator[str]:
    async def search(_: Request) -> JSONResponse:
        return JSONResponse({"results": [], "unresponsive_engines": []})

    with serve(Starlette(routes=[Route("/search", search)])) as base:
        yield base


def test_some_sources_failing_exit_4_and_say_so(fresh: Path, searxng: str) -> None:
    env = {
        **_closed_sources(free_port()),
        "MONITOR_SOURCES__SEARXNG__URL": searxng,
    }
    result = run_scan(cwd=fresh, env=env)
    assert result.returncode == EXIT_SOME_FAILED, result.stdout + result.stderr
    assert "Một số nguồn bị lỗi hoặc bị chặn (duckduckgo)" in result.stdout
    assert "Không có gì mới." in result.stdout
    assert "KHÔNG NGUỒN NÀO" not in result.stdout


def test_json_carries_the_outcome_code(fresh: Path) -> None:
    kept = {
        k: v for k, v in os.environ.items() if not k.startswith("MONITOR_") and k.lower() not in PROXY_ENV
    }
    env = {**kept, **FAST, **_closed_sources(free_port())}
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "scan", "--json", "--no-notify"],
        cwd=fresh,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == EXIT_NOTHING_REACHED, result.stderr
    outcome = json.loads(result.stdout)["outcome"]
    assert outcome["code"] == "nothing_reached"
    assert outcome["exit_code"] == EXIT_NOTHING_REACHED
    assert outcome["causes"][0] == "offline"
    assert outcome["failed_sources"] == ["duckduckgo"]
    assert "HTTPS_PROXY" in outcome["set"]
