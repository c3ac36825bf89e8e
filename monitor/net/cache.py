"""Validators (ETag, Last-Modified) and bodies of earlier answers, for conditional requests."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

# In memory only, and bounded: a 304 can only be answered from what is still here.
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024
DEFAULT_CACHE_ENTRIES = 2048


@dataclass(frozen=True)
class CachedAnswer:
    etag: str | None
    last_modified: str | None
    headers: dict[str, str]
    body: bytes

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers.items())


class ValidatorCache:
    """Least-recently-used answers keyed by URL, within a byte and an entry budget.

    Validators are kept only together with their body, so a conditional request is sent only
    when a 304 can be answered; an answer too big for a quarter of the budget is not kept.
    """

    def __init__(
        self, max_bytes: int = DEFAULT_CACHE_BYTES, max_entries: int = DEFAULT_CACHE_ENTRIES
    ) -> None:
        self._max_bytes = max_bytes
        self._max_entries = max_entries
        self._entries: OrderedDict[str, CachedAnswer] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._bytes

    def get(self, url: str) -> CachedAnswer | None:
        entry = self._entries.get(url)
        if entry is not None:
            self._entries.move_to_end(url)
        return entry

    def validators(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since headers for url; empty when nothing is cached."""
        entry = self.get(url)
        if entry is None:
            return {}
        headers = {}
        if entry.etag:
            headers["If-None-Match"] = entry.etag
        if entry.last_modified:
            headers["If-Modified-Since"] = entry.last_modified
        return headers

    def store(self, url: str, headers: dict[str, str], body: bytes) -> None:
        """Keep an answer that carries a validator; others are dropped."""
        self.discard(url)
        etag = headers.get("etag")
        last_modified = headers.get("last-modified")
        if not etag and not last_modified:
            return
        entry = CachedAnswer(etag, last_modified, dict(headers), body)
        if entry.size > self._max_bytes // 4:
            return
        self._entries[url] = entry
        self._bytes += entry.size
        while self._bytes > self._max_bytes or len(self._entries) > self._max_entries:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= evicted.size

    def discard(self, url: str) -> None:
        entry = self._entries.pop(url, None)
        if entry is not None:
            self._bytes -= entry.size
