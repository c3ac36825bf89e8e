"""Which proxy a request goes through: `http.proxy`, else HTTPS_PROXY / HTTP_PROXY / ALL_PROXY.

`http.proxy` unset: the usual environment variables are honoured, lower case before upper case
(as curl reads them). `http.proxy = ""`: always direct, whatever the environment says. Any other
value: that proxy for every scheme. NO_PROXY (or no_proxy) applies to both: "*" turns proxies
off, "example.com" covers the domain and its sub-domains, ".example.com" the sub-domains only,
addresses and "localhost" match exactly. Proxies from the environment never carry requests to
localhost, 127.0.0.1 or ::1 (the demo's sample web, a local SearXNG), as most HTTP clients do.
Routes are httpx mount patterns; None means direct.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from monitor.log import get_logger

__all__ = ["PROXY_VARIABLES", "ProxyRoutes", "proxy_routes", "shown_proxy"]

log = get_logger(__name__)

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
_SCHEMES = (("https", "https://"), ("http", "http://"), ("all", "all://"))
_LOOPBACK = ("all://localhost", "all://127.0.0.1", "all://[::1]")

ProxyOrigin = Literal["setting", "environment", "none"]


@dataclass(frozen=True)
class ProxyRoutes:
    """httpx mount pattern -> proxy URL (None: connect directly), and where the proxies came from."""

    routes: dict[str, str | None] = field(default_factory=dict)
    origin: ProxyOrigin = "none"
    variables: tuple[str, ...] = ()

    @property
    def proxies(self) -> list[str]:
        """The distinct proxy URLs in use."""
        return list(dict.fromkeys(url for url in self.routes.values() if url))


def proxy_routes(configured: str | None, environ: Mapping[str, str]) -> ProxyRoutes:
    """The proxy routes of `http.proxy` (None: not set) and the environment."""
    if configured == "":
        return ProxyRoutes()
    routes: dict[str, str | None] = {}
    variables: list[str] = []
    if configured is not None:
        routes["all://"] = configured
        origin: ProxyOrigin = "setting"
    else:
        origin = "environment"
        for scheme, pattern in _SCHEMES:
            found = _variable(environ, f"{scheme}_proxy")
            if found is None:
                continue
            name, value = found
            url = value if "://" in value else f"http://{value}"
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                # A SOCKS proxy set for other programs: this client cannot use it, so it goes direct.
                log.warning("proxy_variable_ignored", variable=name, reason="only http(s) proxies are used")
                continue
            routes[pattern] = url
            variables.append(name)
    if not routes:
        return ProxyRoutes()
    if origin == "environment":
        routes.update(dict.fromkeys(_LOOPBACK))
    bypass = _variable(environ, "no_proxy")
    for entry in (bypass[1] if bypass else "").split(","):
        host = entry.strip()
        if host == "*":
            return ProxyRoutes()
        direct = _bypass_pattern(host)
        if direct is not None:
            routes[direct] = None
    return ProxyRoutes(routes, origin, tuple(variables))


def shown_proxy(url: str) -> str:
    """A proxy URL as it may be printed: scheme, host and port, never its credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def _variable(environ: Mapping[str, str], lower: str) -> tuple[str, str] | None:
    for name in (lower, lower.upper()):
        value = environ.get(name, "").strip()
        if value:
            return name, value
    return None


def _bypass_pattern(entry: str) -> str | None:
    if not entry or "/" in entry:
        return None  # empty, or a CIDR range (not supported by the patterns)
    if "://" in entry:
        return entry
    host = entry.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return f"all://[{address}]" if address.version == 6 else f"all://{address}"
    if entry.lower() == "localhost":
        return "all://localhost"
    # "example.com" and "*.example.com" are written "*example.com" (with sub-domains), ".x" stays.
    bare = entry.removeprefix("*")
    return f"all://*{bare.removeprefix('.') if entry.startswith('*.') else bare}"
