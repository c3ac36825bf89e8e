"""When to retry an HTTP exchange and how long to wait: back-off with jitter, Retry-After."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# Answers worth asking again: rate limited or a temporarily failing upstream.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Answers that mean "we do not want you here"; 429 counts only once retries are spent.
BLOCK_STATUSES = frozenset({401, 403, 429, 451})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or HTTP-date); None when absent or bad."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=UTC)
    current = now or datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential back-off with "equal jitter": half fixed, half random, never above `cap`."""
    ceiling = min(cap, base * 2.0 ** min(attempt, 32))
    # Jitter spreads retries of many tasks apart; it needs no cryptographic quality.
    pick = rng.uniform(0.0, ceiling / 2) if rng is not None else random.uniform(0.0, ceiling / 2)  # noqa: S311
    return ceiling / 2 + pick
