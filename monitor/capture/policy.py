"""Where the screenshot browser may connect: public addresses only, and which upstream proxy to use.

The same rule as the HTTP client's guard (monitor.net.guard): a host is reachable only when every
address it resolves to is public, unless `http.allow_private_networks` is set. `allowed_endpoints`
names exact (address, port) pairs that stay reachable anyway, so a test can serve its page from
loopback without opening loopback as a whole. Upstream proxies are those of the HTTP client
(`http.proxy`, else the environment's variables, NO_PROXY honoured); the target is still checked
here first, and a name that does not resolve here is refused rather than left to the proxy.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.errors import FetchError, UnsafeURLError
from monitor.net.guard import Resolver, UrlGuard, is_public, literal_address
from monitor.net.proxy import ProxyRoutes, proxy_routes
from monitor.settings import HttpSettings

Endpoint = tuple[str, int]

# Chromium's own update, clock and sign-in services, which it calls whatever its flags say: they
# are not part of any page, and calling them would only spend the page's budget.
BROWSER_SERVICES = frozenset({"update.googleapis.com", "clients2.google.com", "accounts.google.com"})


class Refused(Exception):
    """A connection the browser asked for and did not get; `reason` is a short code."""

    def __init__(self, target: str, reason: str) -> None:
        self.target = target
        self.reason = reason
        super().__init__(f"{target}: {reason}")


@dataclass(frozen=True)
class _Pattern:
    """An httpx mount pattern ("all://", "https://", "all://*example.com:8080"), matched the same way."""

    scheme: str
    host: str
    port: int | None
    regex: re.Pattern[str] | None

    @classmethod
    def parse(cls, pattern: str) -> _Pattern:
        scheme, _, rest = pattern.partition("://")
        host, port = rest, None
        match = re.fullmatch(r"(.*?):(\d+)", rest)
        if match and not rest.endswith("]"):
            host, port = match.group(1), int(match.group(2))
        host = host.strip("[]").lower()
        regex: re.Pattern[str] | None = None
        if host.startswith("*."):
            regex = re.compile(rf"^.+\.{re.escape(host[2:])}$")
        elif host.startswith("*"):
            regex = re.compile(rf"^(.+\.)?{re.escape(host[1:])}$")
        elif host:
            regex = re.compile(rf"^{re.escape(host)}$")
        return cls("" if scheme == "all" else scheme, host, port, regex)

    def matches(self, scheme: str, host: str, port: int) -> bool:
        if self.scheme and self.scheme != scheme:
            return False
        if self.port is not None and self.port != port:
            return False
        return self.regex is None or bool(self.regex.match(host))

    @property
    def priority(self) -> tuple[bool, int, int]:
        # httpx's order: a port first, then the longest host, then the longest scheme.
        return (self.port is None, -len(self.host), -len(self.scheme))


@dataclass(frozen=True)
class AddressPolicy:
    """Decides which (host, port) the browser may reach and through which upstream proxy."""

    allow_private: bool = False
    allowed_endpoints: frozenset[Endpoint] = frozenset()
    routes: ProxyRoutes = field(default_factory=ProxyRoutes)
    resolver: Resolver | None = None
    connect_timeout: float = 10.0

    @classmethod
    def from_settings(
        cls,
        http: HttpSettings,
        *,
        environ: Mapping[str, str],
        allowed_endpoints: frozenset[Endpoint] = frozenset(),
        resolver: Resolver | None = None,
    ) -> AddressPolicy:
        return cls(
            allow_private=http.allow_private_networks,
            allowed_endpoints=allowed_endpoints,
            routes=proxy_routes(http.proxy, environ),
            resolver=resolver,
            connect_timeout=http.connect_timeout,
        )

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses of host that may be connected to; Refused when any of them may not."""
        shown = f"{host}:{port}"
        if not host or not 0 < port < 65536:
            raise Refused(shown, "invalid_target")
        if host.lower().rstrip(".") in BROWSER_SERVICES:
            raise Refused(shown, "browser_service")
        # The guard only resolves here (allow_private=True): the policy below adds the exact
        # endpoints a caller allowed, which the guard has no notion of.
        guard = UrlGuard(allow_private=True, resolver=self.resolver)
        try:
            found = await guard.addresses(host, port, shown=shown)
        except UnsafeURLError as exc:
            raise Refused(shown, "unsafe_url") from exc
        except FetchError as exc:
            raise Refused(shown, "does_not_resolve") from exc
        for text in found:
            address = ipaddress.ip_address(text)
            if is_public(address) or self.allow_private:
                continue
            if (str(address), port) in self.allowed_endpoints:
                continue
            raise Refused(shown, f"non_public_address {address}")
        return found

    def upstream(self, scheme: str, host: str, port: int) -> str | None:
        """The upstream proxy URL for a target, or None to connect directly."""
        if not self.routes.routes:
            return None
        bare = host.strip("[]").lower()
        literal = literal_address(bare)
        if literal is not None:
            bare = str(literal)
        patterns = sorted(
            ((_Pattern.parse(p), url) for p, url in self.routes.routes.items()),
            key=lambda item: item[0].priority,
        )
        for pattern, url in patterns:
            if pattern.matches(scheme, bare, port):
                return url
        return None
