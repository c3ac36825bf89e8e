"""`monitor scan` on a terminal and in its summary: outcome codes and causes, the red verdict,
progress bars for look-ups and pages, and logs kept to warnings above the live display."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import pty
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from monitor.commands.scan import TerminalProgress, print_summary
from monitor.domains.lookalike import run_lookalikes
from monitor.log import configure, get_logger, terminal_logs
from monitor.net import HttpClient
from monitor.net.proxy import proxy_routes
from monitor.report import NullProgress, ScanReport, SourceReport
from monitor.scan_outcome import EXIT_NOTHING_REACHED, EXIT_OK, EXIT_SOME_FAILED, assess, outcome_lines
from monitor.settings import CrtshSettings, DomainsSettings, HttpSettings
from tests.domains.brand import brand
from tests.domains.dnsserver import FakeZones, dns_server
from tests.support.loopback import free_port

REPO = Path(__file__).resolve().parents[2]
KEY_SKIP = "chưa có khóa API (đặt MONITOR_SOURCES__BRAVE__API_KEY)"
REFUSED = "connection failed: connection refused; 0/12 truy vấn có trả lời, 3 đã thử"
NO_NAME = "connection failed: host name does not resolve"
NO_PROXY = "connection failed: the proxy refused the request or could not be reached"
DNS_SILENT = "5 of 20 look-ups unanswered (timeout 5)"


def _report(*sources: tuple[str, str, int, int, str], status: str = "failed") -> ScanReport:
    report = ScanReport(scan_id=7, started_at=datetime.now(UTC), status=status)
    report.sources = [
        SourceReport(name, "b", st, req, res, err or None) for name, st, req, res, err in sources
    ]
    return report


@pytest.mark.parametrize(
    ("sources", "kind", "code", "causes"),
    [
        ([("duckduckgo", "ok", 12, 0, "")], "ok", EXIT_OK, ()),
        ([("duckduckgo", "ok", 12, 3, ""), ("crtsh", "failed", 2, 0, "timed out")], "some_failed", 4, ()),
        ([("domains", "partial", 50, 2, "3 of 50 look-ups unanswered")], "ok", EXIT_OK, ()),
        (
            [("brave", "skipped", 0, 0, KEY_SKIP), ("duckduckgo", "failed", 3, 0, REFUSED)],
            "nothing_reached",
            1,
            ("offline", "no_key"),
        ),
        (
            [("duckduckgo", "failed", 3, 0, NO_NAME), ("domains", "partial", 20, 0, DNS_SILENT)],
            "nothing_reached",
            1,
            ("dns",),
        ),
        (
            [("duckduckgo", "failed", 3, 0, NO_PROXY), ("crtsh", "failed", 2, 0, "timed out")],
            "nothing_reached",
            1,
            ("proxy", "offline"),
        ),
        (
            [("duckduckgo", "blocked", 1, 0, "DuckDuckGo từ chối truy cập (HTTP 403)")],
            "nothing_reached",
            1,
            ("blocked",),
        ),
        (
            [("brave", "skipped", 0, 0, KEY_SKIP), ("duckduckgo", "skipped", 0, 0, "đã tắt trong cấu hình")],
            "nothing_reached",
            1,
            ("no_key",),
        ),
        ([("domains", "ok", 0, 0, "nothing to look up")], "nothing_reached", 1, ("unknown",)),
    ],
)
def test_outcome_kinds_codes_and_causes(
    sources: list[tuple[str, str, int, int, str]], kind: str, code: int, causes: tuple[str, ...]
) -> None:
    outcome = assess(_report(*sources))
    assert (outcome.kind, outcome.exit_code, outcome.causes) == (kind, code, causes)


def test_codes_are_distinct() -> None:
    assert len({EXIT_OK, EXIT_SOME_FAILED, EXIT_NOTHING_REACHED, 2, 3, 75}) == 6


def test_nothing_reached_is_red_and_never_nothing_new() -> None:
    report = _report(("brave", "skipped", 0, 0, KEY_SKIP), ("duckduckgo", "failed", 3, 0, REFUSED))
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", width=200, highlight=False)
    print_summary(report, "vi", console=console)
    shown = out.getvalue()
    assert "\x1b[1;31mKHÔNG NGUỒN NÀO TRẢ LỜI" in shown
    assert "\x1b[1;31mNguyên nhân có thể: không có kết nối Internet" in shown
    assert "MONITOR_SOURCES__BRAVE__API_KEY" in shown
    assert "Không có gì mới" not in shown


def test_a_proxy_in_use_is_named_without_its_password() -> None:
    report = _report(("duckduckgo", "failed", 3, 0, "connection failed: the proxy refused the request"))
    proxies = proxy_routes(None, {"HTTPS_PROXY": "http://u:secret-pw@proxy.local:3128"})
    lines = outcome_lines(assess(report), "en", proxies)
    assert lines[0].startswith("NO SOURCE ANSWERED")
    assert "through proxy http://proxy.local:3128 (from HTTPS_PROXY)" in lines[1]
    assert "secret-pw" not in " ".join(lines)


def test_partial_failure_warns_and_keeps_nothing_new_and_unreadable_pages() -> None:
    report = _report(
        ("duckduckgo", "ok", 12, 0, ""), ("crtsh", "failed", 2, 0, "timed out"), status="partial"
    )
    report.page_checked("timeout")
    out = io.StringIO()
    print_summary(report, "vi", console=Console(file=out, width=200))
    shown = out.getvalue()
    assert "Một số nguồn bị lỗi hoặc bị chặn (crtsh)" in shown
    assert "Trang không đọc được: 1" in shown
    assert "Không có gì mới." in shown


def test_terminal_progress_shows_lookups_and_pages() -> None:
    out = io.StringIO()
    progress = TerminalProgress("vi", Console(file=out, width=120, force_terminal=False))
    progress.names_resolved("bhxh", 40, 100)
    progress.names_resolved("bhxh", 100, 120)
    progress.enriched("bhxh", 3, 8)
    progress.console.print(progress.renderable())
    shown = out.getvalue()
    assert "bhxh · Tra DNS tên miền giống" in shown
    assert "100/120" in shown
    assert "bhxh · Đọc trang" in shown
    assert "3/8" in shown
    NullProgress().names_resolved("bhxh", 1, 2)  # the silent progress has the hook too


def test_terminal_logs_keep_to_warnings_unless_asked() -> None:
    root = logging.getLogger()
    before = root.level
    root.setLevel(logging.INFO)
    try:
        with terminal_logs(quiet=True):
            assert root.level == logging.WARNING
        assert root.level == logging.INFO
        with terminal_logs(quiet=False):
            assert root.level == logging.INFO
    finally:
        root.setLevel(before)


def test_log_lines_follow_a_redirected_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """A live display swaps sys.stderr for a proxy that prints above it: the handler must follow."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure("console", "INFO")
        swapped = io.StringIO()
        monkeypatch.setattr(sys, "stderr", swapped)
        get_logger("tests.scan_cli").warning("above_the_display", source="duckduckgo")
        assert "above_the_display" in swapped.getvalue()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_lookalike_progress_counts_every_lookup() -> None:
    zones = FakeZones(records={"bhxh.vn": {"NS": ["ns1.parking.example"]}})
    seen: list[tuple[int, int]] = []
    with dns_server(zones) as address:
        settings = DomainsSettings(nameservers=[address], timeout=3.0, tlds=["vn", "com"])

        async def go() -> int:
            async with HttpClient(HttpSettings(max_retries=0)) as http:
                result = await run_lookalikes(
                    brand(),
                    settings,
                    CrtshSettings(enabled=False),
                    http,
                    progress=lambda d, t: seen.append((d, t)),
                )
            return result.counts["dns_lookups"]

        lookups = asyncio.run(go())
    assert lookups > 0
    assert seen[-1] == (lookups, lookups)
    assert all(done <= total for done, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_a_terminal_run_shows_bars_and_only_warnings(tmp_path: Path) -> None:
    """`monitor scan` on a pseudo-terminal: the DNS bar, the red verdict, no INFO log lines."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    closed = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_") and "proxy" not in k.lower()}
    env |= {
        "MONITOR_SOURCES__DUCKDUCKGO__URL": f"http://127.0.0.1:{closed}/html/",
        "MONITOR_SOURCES__CRTSH__ENABLED": "false",
        "MONITOR_SOURCES__DOMAINS__NAMESERVERS": f'["127.0.0.1:{closed}"]',
        "MONITOR_SOURCES__DOMAINS__MAX_NAMES": "5",
        "MONITOR_SOURCES__DOMAINS__TIMEOUT": "0.5",
        "MONITOR_HTTP__MAX_RETRIES": "0",
        "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
        "COLUMNS": "160",
        "LINES": "50",
    }
    leader, follower = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "monitor", "scan", "--no-notify"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert child.wait(timeout=120) == EXIT_NOTHING_REACHED
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert "Tra DNS tên miền giống" in shown
    assert "KHÔNG NGUỒN NÀO TRẢ LỜI" in shown
    assert "search_query_failed" in shown  # a warning, printed above the display
    assert "scan_started" not in shown  # INFO lines stay out of the terminal


def test_sources_of_several_offices_are_named_by_office() -> None:
    report = _report(("brave", "ok", 2, 5, ""))
    report.sources.append(SourceReport("brave", "bhxh-tphcm", "ok", 2, 3, None))
    out = io.StringIO()
    print_summary(report, "vi", console=Console(file=out, width=200, highlight=False))
    shown = out.getvalue()
    assert "Cơ quan" in shown
    assert "bhxh-tphcm" in shown
    single = io.StringIO()
    print_summary(_report(("brave", "ok", 2, 5, "")), "vi", console=Console(file=single, width=200))
    assert "Cơ quan" not in single.getvalue()
