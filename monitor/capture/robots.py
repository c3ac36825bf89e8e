"""Whether robots.txt lets the monitor open a page in the screenshot browser (the HTTP client's rules)."""

from __future__ import annotations

import re

import httpx

from monitor.net.client import HttpClient, user_agent
from monitor.net.guard import UrlGuard
from monitor.net.robots import RobotsCache
from monitor.settings import HttpSettings

# The product token robots.txt groups are matched against, as the HTTP client derives it.
_PRODUCT = re.compile(r"[A-Za-z0-9._-]+")


class RobotsGate:
    """robots.txt per origin, fetched through the guarded HTTP client, cached for one run."""

    def __init__(self, http: HttpSettings, client: HttpClient) -> None:
        self._http = http
        self._client = client
        agent = user_agent(http)
        token = _PRODUCT.match(agent)
        self._cache = RobotsCache(self._fetch, agent=token.group(0) if token else agent)
        self._exempt = {h.strip().lower().rstrip(".") for h in http.robots_exempt_hosts if h.strip()}
        self._guard = UrlGuard(allow_private=http.allow_private_networks)

    async def allows(self, url: str) -> bool:
        """False when robots.txt forbids url (or cannot be read: RFC 9309's safe side).

        UnsafeURLError when the page's host is not public, FetchError when it does not resolve:
        those are said as such, not as a robots.txt verdict.
        """
        target = httpx.URL(url)
        await self._guard.check(target)
        if not self._http.respect_robots:
            return True
        if target.host in self._exempt:
            return True
        rules = await self._cache.rules(target)
        return rules.can_fetch(str(target), self._cache.agent)

    async def _fetch(self, robots_url: httpx.URL) -> tuple[int, bytes]:
        # A FetchError (unreachable, refused, 5xx after retries) makes the cache disallow the origin.
        response = await self._client.get(str(robots_url), robots=False)
        return response.status, response.body
