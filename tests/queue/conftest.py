"""Scans as jobs: a fresh PostgreSQL database per test, migrated, and `monitor` processes on it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import postgres_database

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new PostgreSQL database (the queue lives only there)."""
    with postgres_database("monitor_queue") as url:
        yield url


def monitor(*args: str) -> list[str]:
    return [sys.executable, "-m", "monitor", "--config", str(REPO / "config" / "monitor.toml"), *args]


def run_monitor(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(monitor(*args), env=env, capture_output=True, text=True, timeout=timeout)
