"""robots.txt per origin (scheme, host, port): fetched once, cached with a TTL, read by Protego.

RFC 9309: a 2xx file is obeyed; 4xx (no file) allows everything; 5xx, 429 or an unreachable
host disallows everything until the shorter failure TTL passes. Crawl-delay and Request-rate
slow the host down (capped, so a hostile file cannot stall a whole scan).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from protego import Protego

from monitor.errors import CircuitOpen, FetchError
from monitor.log import get_logger
from monitor.net.charset import decode
from monitor.net.stop import Stopped
from monitor.net.urls import Origin, loggable, origin

log = get_logger(__name__)

# RFC 9309 asks parsers to read at least 500 KiB; what follows is ignored.
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_TTL = 24 * 3600.0
FAILURE_TTL = 15 * 60.0
MAX_CRAWL_DELAY = 60.0
_MAX_ORIGINS = 10_000

# Fetches robots.txt: (status, body) of the final answer; FetchError when unreachable.
RobotsFetcher = Callable[[httpx.URL], Awaitable[tuple[int, bytes]]]


@dataclass(frozen=True)
class RobotsRules:
    """What one robots.txt says to us; `parser` None means one verdict for every path."""

    parser: Protego | None
    allow_all: bool
    expires: float
    crawl_delay: float | None = None

    def can_fetch(self, url: str, agent: str) -> bool:
        if self.parser is None:
            return self.allow_all
        try:
            return bool(self.parser.can_fetch(url, agent))
        except (ValueError, TypeError):  # a URL Protego cannot split: stay on the safe side
            return False


def parse_rules(body: bytes, agent: str, expires: float) -> RobotsRules:
    """Rules of a fetched robots.txt; unreadable content is treated as no rules at all."""
    # RFC 9309: robots.txt is UTF-8 (a byte-order mark aside), whatever the server declares.
    text = decode(body, "text/plain; charset=utf-8").text.lstrip("\ufeff")
    try:
        parser = Protego.parse(text)
        delay = parser.crawl_delay(agent)
        rate = parser.request_rate(agent)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        log.warning("robots_unparsable", error=type(exc).__name__)
        return RobotsRules(None, True, expires)
    seconds = float(delay) if delay is not None else 0.0
    if rate is not None and rate.requests > 0:
        seconds = max(seconds, float(rate.seconds) / float(rate.requests))
    crawl_delay = min(seconds, MAX_CRAWL_DELAY) if seconds > 0 else None
    return RobotsRules(parser, True, expires, crawl_delay)


class RobotsMemory:
    """The rules learned per origin, least recently learned dropped first.

    A RobotsCache keeps its own by default; a worker of the job queue gives all its jobs' clients
    one memory, so a host's robots.txt is asked once per TTL, not once per job."""

    def __init__(self, max_origins: int = _MAX_ORIGINS) -> None:
        self._rules: OrderedDict[Origin, RobotsRules] = OrderedDict()
        self._max = max_origins
        self._lock = threading.Lock()  # jobs of one worker may run on several event loops

    def get(self, key: Origin, now: float) -> RobotsRules | None:
        """The rules learned for `key`, unless they expired by `now`."""
        with self._lock:
            found = self._rules.get(key)
        return found if found is not None and found.expires > now else None

    def put(self, key: Origin, rules: RobotsRules) -> None:
        with self._lock:
            self._rules[key] = rules
            self._rules.move_to_end(key)
            while len(self._rules) > self._max:
                self._rules.popitem(last=False)


class RobotsCache:
    """Rules per origin; concurrent requests to one origin share a single robots.txt fetch."""

    def __init__(
        self,
        fetch: RobotsFetcher,
        *,
        agent: str,
        ttl: float = ROBOTS_TTL,
        failure_ttl: float = FAILURE_TTL,
        clock: Callable[[], float] = time.monotonic,
        memory: RobotsMemory | None = None,
    ) -> None:
        self._fetch = fetch
        self._agent = agent
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._clock = clock
        self._memory = memory if memory is not None else RobotsMemory()
        self._inflight: dict[Origin, asyncio.Task[RobotsRules]] = {}

    @property
    def agent(self) -> str:
        return self._agent

    async def rules(self, url: httpx.URL) -> RobotsRules:
        key = origin(url)
        cached = self._memory.get(key, self._clock())
        if cached is not None:
            return cached
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._load(url, key))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        # shield: one caller giving up must not cancel the fetch the others wait for.
        return await asyncio.shield(task)

    async def _load(self, url: httpx.URL, key: Origin) -> RobotsRules:
        robots_url = url.copy_with(path="/robots.txt", query=None, fragment=None)
        now = self._clock()
        try:
            status, body = await self._fetch(robots_url)
        except (CircuitOpen, Stopped):
            raise  # not a verdict about robots.txt; ask again once the circuit closes (or next run)
        except FetchError as exc:
            log.info("robots_unreachable", url=loggable(robots_url), error=type(exc).__name__)
            rules = RobotsRules(None, False, now + self._failure_ttl)
        else:
            if 200 <= status < 300:
                rules = parse_rules(body, self._agent, now + self._ttl)
            elif status == 429 or status >= 500:
                rules = RobotsRules(None, False, now + self._failure_ttl)
            else:  # 3xx left after redirects, 4xx: no usable file, everything allowed
                rules = RobotsRules(None, True, now + self._ttl)
            log.debug("robots_fetched", url=loggable(robots_url), status=status)
        self._memory.put(key, rules)
        return rules
