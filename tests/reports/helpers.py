"""Findings, captures and officer files for report tests, and the CLI run in-process."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy.orm import Session

from monitor.cli import main
from monitor.evidence import EvidenceArchive
from monitor.store.evidence_files import EvidenceFileRepository
from monitor.store.schema import Finding

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "monitor.toml"
BRAND = "bhxh-binh-duong"
T0 = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
# Markup, control characters, XML specials and a bidi override, 10,000 characters long.
HOSTILE = ('<b>BHXH</b> & "Bình Dương" ]]> \x07\x0b\x1b[31m \u202e{{ x }} {% if %} <w:p/>' * 200)[:10_000]

RunCli = Callable[..., tuple[int, str, str]]


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes
    final_url: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "text/html; charset=utf-8"})
    fetched_at: datetime = T0
    robots: str = "allowed"


def add_finding(
    session: Session,
    platform: str,
    identity: str,
    url: str,
    name: str,
    *,
    triage: str = "confirmed",
    signals: list[str] | None = None,
    reasons: list[dict[str, object]] | None = None,
) -> Finding:
    finding = Finding(
        brand=BRAND,
        platform=platform,
        identity=identity,
        url=url,
        name=name,
        score=95,
        verdict="impersonation",
        reasons=reasons
        if reasons is not None
        else [{"code": "name_match", "detail": name[:60], "weight": 60}],
        signals=signals or [],
        triage=triage,
        first_seen_at=T0,
        last_seen_at=T0 + timedelta(days=2, hours=3),
        last_changed_at=T0,
    )
    session.add(finding)
    session.flush()
    return finding


def capture(session: Session, archive: EvidenceArchive, finding: Finding, body: bytes) -> str:
    page = Page(url=finding.url, final_url=finding.url, body=body)
    return archive.store(session, page, finding.id).sha256


def officer_file(session: Session, archive: EvidenceArchive, finding: Finding, body: bytes, name: str) -> str:
    sha = archive.store_bytes(session, body, "image/png")
    EvidenceFileRepository(session).add(finding.id, sha, "officer", filename=name, media_type="image/png")
    return sha


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[RunCli]:
    """`monitor ...` in this process with the repository's config, its exit code and output."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(env: Mapping[str, str], *args: str) -> tuple[int, str, str]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["monitor", "--config", str(REPO_CONFIG), *args])
        code: object = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code
        out = capsys.readouterr()
        return (code if isinstance(code, int) else 1), out.out, out.err

    yield run
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()
