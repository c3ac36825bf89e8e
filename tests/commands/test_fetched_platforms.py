"""Fetched platforms are named once: the page-reader registry and the evidence words agree."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.commands.evidence import nothing_archived
from monitor.discover.readers import READERS
from monitor.scoring import FETCHED_PLATFORMS
from monitor.store.views import FindingView


def test_fetched_platforms_are_the_platforms_with_a_page_reader() -> None:
    assert frozenset(READERS) == FETCHED_PLATFORMS


def view(platform: str) -> FindingView:
    moment = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    return FindingView(
        id=7,
        brand="bhxh-binh-duong",
        platform=platform,
        identity=f"{platform}:gia-mao",
        url="https://example.vn/gia-mao",
        name="BHXH giả mạo",
        score=90,
        verdict="impersonation",
        reasons=(),
        status="active",
        triage="untriaged",
        first_seen_at=moment,
        last_seen_at=moment,
        page_state=None,
        page_note=None,
    )


@pytest.mark.parametrize("platform", sorted(READERS))
def test_a_platform_with_a_reader_is_said_to_be_fetched(platform: str) -> None:
    assert "never fetched successfully" in nothing_archived(view(platform), "en")


@pytest.mark.parametrize("platform", ["facebook", "zalo", "instagram", "x"])
def test_a_platform_without_a_reader_is_said_to_be_never_fetched(platform: str) -> None:
    text = nothing_archived(view(platform), "en")
    assert "never fetches" in text
    assert platform not in READERS
