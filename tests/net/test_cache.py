"""Validator cache: only answers with validators, within its byte and entry budgets."""

from __future__ import annotations

from monitor.net.cache import ValidatorCache


def test_keeps_validators_with_their_body() -> None:
    cache = ValidatorCache()
    cache.store("https://a/", {"etag": '"1"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, b"body")
    cache.store("https://b/", {"content-type": "text/html"}, b"no validators")
    assert cache.validators("https://a/") == {
        "If-None-Match": '"1"',
        "If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT",
    }
    assert cache.validators("https://b/") == {}
    entry = cache.get("https://a/")
    assert entry is not None
    assert entry.body == b"body"


def test_least_recently_used_answers_leave_first_within_the_budget() -> None:
    cache = ValidatorCache(max_bytes=4000, max_entries=100)
    for n in range(10):
        cache.store(f"https://x/{n}", {"etag": str(n)}, b"x" * 900)
        cache.get("https://x/0")  # keep the first one in use
    assert cache.size <= 4000
    assert cache.get("https://x/0") is not None
    assert cache.get("https://x/9") is not None
    assert cache.get("https://x/1") is None
    cache.store("https://x/huge", {"etag": "h"}, b"x" * 2000)  # above a quarter of the budget
    assert cache.get("https://x/huge") is None


def test_entry_budget_and_replacement() -> None:
    cache = ValidatorCache(max_bytes=10**6, max_entries=3)
    for n in range(5):
        cache.store(f"https://x/{n}", {"etag": str(n)}, b"")
    assert len(cache) == 3
    cache.store("https://x/4", {"etag": "new"}, b"abc")
    assert cache.validators("https://x/4") == {"If-None-Match": "new"}
    assert len(cache) == 3
