"""Retry-After parsing and back-off delays."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from monitor.net.retry import backoff_delay, parse_retry_after

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1", 1.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        ("Wednesday, 01-May-24 12:01:00 GMT", 60.0),
        ("Wed May  1 12:00:10 2024", 10.0),
        ("Wed, 01 May 2024 11:00:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("٣", None),
        ("x" * 10_000, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_backoff_grows_exponentially_with_jitter_and_stays_under_the_cap() -> None:
    rng = random.Random(7)
    for attempt in range(8):
        ceiling = min(10.0, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, 0.5, 10.0, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered
    assert backoff_delay(10_000, 1.0, 60.0) <= 60.0
