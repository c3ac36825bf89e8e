"""SSRF guard: hosts of untrusted URLs must resolve only to public addresses, checked again at connect.

Two checks, one policy. `UrlGuard.check` runs before a request is queued (so a refused URL never
takes a politeness slot and is never requested). `GuardedBackend` is the httpcore network backend
of the untrusted client: it resolves the host again, refuses non-public answers and connects to
exactly the address it checked, so a DNS answer that changes between the two (DNS rebinding)
cannot smuggle a private address in. TLS still verifies the certificate against the host name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from monitor.errors import FetchError, UnsafeURLError
from monitor.net.urls import check_scheme, loggable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

# Legacy IPv4 spellings that inet_aton (and so getaddrinfo and browsers) accept:
# 0x7f000001, 2130706433, 0177.0.0.1, 127.1.
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)
# Ranges Python's is_global lets through but that are not the public Internet.
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(net)
    for net in ("0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4")
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# A host with many addresses is tried on a few of them only; each try may take connect_timeout.
_MAX_CONNECT_ADDRESSES = 3


def literal_address(host: str) -> IPAddress | None:
    """The address a host spells directly (any IPv4 legacy form, IPv6 with or without zone)."""
    bare = host.strip("[]").rstrip(".")
    bare = bare.split("%", 1)[0]  # IPv6 zone ("%25eth0" in URLs)
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if _LEGACY_IPV4.fullmatch(bare):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is what gets reached."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses only."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None and not is_public(inner):
            return False
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return False
    if address.is_loopback or address.is_link_local or address.is_private:
        return False
    if isinstance(address, ipaddress.IPv4Address) and any(address in net for net in _NOT_PUBLIC):
        return False
    return address.is_global


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (asyncio getaddrinfo), in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class UrlGuard:
    """Decides whether an untrusted URL may be requested; the policy of both checks."""

    def __init__(self, *, allow_private: bool = False, resolver: Resolver | None = None) -> None:
        self._allow_private = allow_private
        self._resolver = resolver or system_resolver

    async def check(self, url: httpx.URL) -> None:
        """Raise UnsafeURLError unless url is http(s) and its host resolves only to public addresses."""
        check_scheme(url)
        port = url.port or (443 if url.scheme == "https" else 80)
        await self.addresses(url.host, port, shown=loggable(url))

    async def addresses(self, host: str, port: int, *, shown: str | None = None) -> list[str]:
        """The checked addresses of host; UnsafeURLError if ANY of them is not public."""
        where = shown or host
        literal = literal_address(host)
        if literal is not None:
            found = [literal]
        else:
            try:
                found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in await self._resolver(host, port)]
            except (OSError, UnicodeError, ValueError) as exc:
                raise FetchError(where, "host name does not resolve") from exc
            if not found:
                raise FetchError(where, "host name does not resolve")
        if not self._allow_private:
            bad = [a for a in found if not is_public(a)]
            if bad:
                raise UnsafeURLError(where, f"host resolves to a non-public address ({bad[0]})")
        return [str(a) for a in found]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the guard has just approved for the requested host."""

    def __init__(self, guard: UrlGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._guard.addresses(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        except UnsafeURLError:
            raise
        except FetchError as exc:
            raise httpcore.ConnectError(exc.message) from exc
        error: Exception = httpcore.ConnectError(f"no address to connect to for {host}")
        for address in addresses[:_MAX_CONNECT_ADDRESSES]:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used for fetched URLs")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
