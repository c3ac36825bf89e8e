"""Fixtures of the screenshot tests: the real Chromium and a Shooter that may reach one test server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.capture.chromium import BrowserRun, find_chromium
from monitor.capture.policy import AddressPolicy
from monitor.capture.shooter import Limits, Shooter


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium; these tests skip without it, except in CI where it must be installed."""
    found = find_chromium(None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed in CI")
        pytest.skip("chromium is not installed")
    return found


def make_shooter(
    chromium: str,
    workroot: Path,
    *allowed: tuple[str, int],
    timeout: float = 60.0,
    load_timeout: float | None = None,
) -> Shooter:
    """A Shooter whose proxy lets through exactly the `allowed` loopback endpoints."""
    run = BrowserRun(chromium, 800, 600, timeout, "impersonation-monitor/test", load_timeout)
    policy = AddressPolicy(allowed_endpoints=frozenset(allowed))
    return Shooter(run, policy, Limits(5_000_000, 100, 5_000_000), workroot=workroot)


def processes_mentioning(text: str) -> list[int]:
    """Ids of live processes whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(int(entry.name))
    return found
