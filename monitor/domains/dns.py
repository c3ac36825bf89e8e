"""DNS look-ups of candidate domains with dnspython: answers, failure kinds and wildcard zones.

A name is "nxdomain" only when a server said so. SERVFAIL, REFUSED, unreachable servers and
timeouts are "unknown": they never mean "not registered". A run that stops (SIGTERM) ends its
look-ups at once: names not answered by then are simply absent from the results.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from monitor.errors import SourceError
from monitor.log import get_logger
from monitor.net.stop import until_stopped

log = get_logger(__name__)

DnsStatus = Literal["registered", "nxdomain", "no_address", "unknown"]
RECORD_TYPES = ("A", "AAAA", "CNAME", "NS", "MX")
# Statuses that prove the name exists in the DNS.
EXISTING: frozenset[str] = frozenset({"registered", "no_address"})


@dataclass(frozen=True)
class DnsAnswer:
    """What the DNS said about one name; `reason` tells unknown answers apart (servfail, timeout...)."""

    name: str
    status: DnsStatus
    reason: str = ""
    records: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.status in EXISTING

    @property
    def addresses(self) -> frozenset[str]:
        return frozenset([*self.records.get("A", ()), *self.records.get("AAAA", ())])


@dataclass(frozen=True)
class Wildcard:
    """Whether a zone answers any label: "wildcard", "none" or "unknown" (the probe failed)."""

    zone: str
    status: Literal["wildcard", "none", "unknown"]
    probe: DnsAnswer


DNS_STATUSES: frozenset[str] = frozenset({"registered", "nxdomain", "no_address", "unknown"})
WILDCARD_STATUSES: frozenset[str] = frozenset({"wildcard", "none", "unknown"})


def answer_to_json(answer: DnsAnswer) -> dict[str, Any]:
    """The answer as JSON (what brands of one scan share); answer_from_json reads it back."""
    return {
        "name": answer.name,
        "status": answer.status,
        "reason": answer.reason,
        "records": {kind: list(values) for kind, values in answer.records.items()},
    }


def answer_from_json(data: Any) -> DnsAnswer:
    """The DnsAnswer answer_to_json wrote; ValueError when `data` is not one."""
    if not isinstance(data, dict) or data.get("status") not in DNS_STATUSES:
        raise ValueError(f"not a DNS answer: {data!r:.200}")
    records = data.get("records") or {}
    if not isinstance(records, dict):
        raise ValueError(f"not DNS records: {records!r:.200}")
    return DnsAnswer(
        str(data["name"]),
        data["status"],
        str(data.get("reason", "")),
        {str(kind): tuple(str(value) for value in values) for kind, values in records.items()},
    )


def wildcard_to_json(wildcard: Wildcard) -> dict[str, Any]:
    return {"zone": wildcard.zone, "status": wildcard.status, "probe": answer_to_json(wildcard.probe)}


def wildcard_from_json(data: Any) -> Wildcard:
    """The Wildcard wildcard_to_json wrote; ValueError when `data` is not one."""
    if not isinstance(data, dict) or data.get("status") not in WILDCARD_STATUSES:
        raise ValueError(f"not a wildcard verdict: {data!r:.200}")
    return Wildcard(str(data["zone"]), data["status"], answer_from_json(data.get("probe")))


class _Failure(Exception):
    """A look-up ended without a usable answer; carries the DnsAnswer to report."""

    def __init__(self, status: DnsStatus, reason: str) -> None:
        super().__init__(reason)
        self.status: DnsStatus = status
        self.reason = reason


def parse_nameservers(entries: Sequence[str]) -> list[dns.nameserver.Nameserver]:
    """ "host" or "host:port" (IPv6 as "[::1]:53") into dnspython nameservers; SourceError if invalid."""
    servers: list[dns.nameserver.Nameserver] = []
    for entry in entries:
        text = entry.strip()
        host, port = text, 53
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            port = _port(rest.removeprefix(":"), entry) if rest else 53
        elif text.count(":") == 1:
            host, _, port_text = text.partition(":")
            port = _port(port_text, entry)
        try:
            address = str(ipaddress.ip_address(host))
        except ValueError as exc:
            raise SourceError(f"sources.domains.nameservers: {entry!r} is not an IP address[:port]") from exc
        servers.append(dns.nameserver.Do53Nameserver(address, port))
    return servers


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise SourceError(f"sources.domains.nameservers: bad port in {entry!r}")
    return int(text)


def make_resolver(nameservers: Sequence[str], timeout: float) -> dns.asyncresolver.Resolver:
    """A resolver for the configured servers, or the system's when none are configured."""
    if nameservers:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = parse_nameservers(nameservers)
    else:
        try:
            resolver = dns.asyncresolver.Resolver()
        except (dns.resolver.NoResolverConfiguration, OSError) as exc:
            raise SourceError(f"no system DNS resolver configured: {exc}") from exc
    # Two tries within the time allowed, so that one lost datagram is not an "unknown".
    resolver.lifetime = timeout
    resolver.timeout = timeout / 2
    resolver.retry_servfail = False
    return resolver


async def resolve_many(
    names: Iterable[str],
    nameservers: Sequence[str],
    concurrency: int,
    timeout: float,
    stop: threading.Event | None = None,
) -> dict[str, DnsAnswer]:
    """Look every name up with at most `concurrency` names in flight; one DnsAnswer per name."""
    resolver = make_resolver(nameservers, timeout)
    return await resolve_with(resolver, names, concurrency, stop=stop)


async def resolve_with(
    resolver: dns.asyncresolver.Resolver,
    names: Iterable[str],
    concurrency: int,
    on_answer: Callable[[], None] | None = None,
    *,
    stop: threading.Event | None = None,
) -> dict[str, DnsAnswer]:
    """resolve_many with a resolver already made (wildcard probes reuse it); on_answer per name.

    Once `stop` is set no look-up starts and those in flight are cancelled: the answers so far
    are returned, the other names are missing (never "unknown" or "nxdomain").
    """
    queue: asyncio.Queue[str] = asyncio.Queue()
    for name in dict.fromkeys(names):
        queue.put_nowait(name)
    results: dict[str, DnsAnswer] = {}

    async def worker() -> None:
        while stop is None or not stop.is_set():
            try:
                name = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results[name] = await lookup(resolver, name)
            if on_answer is not None:
                on_answer()

    workers: asyncio.Future[list[None]] = asyncio.gather(
        *(worker() for _ in range(max(1, min(concurrency, queue.qsize()))))
    )
    if stop is None:
        await workers
        return results
    watch: asyncio.Future[None] = asyncio.ensure_future(until_stopped(stop))
    try:
        racing: list[asyncio.Future[Any]] = [workers, watch]
        await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (workers, watch):
            task.cancel()
        await asyncio.gather(workers, watch, return_exceptions=True)
    if stop.is_set():
        log.info("dns_lookups_stopped", answered=len(results), left=queue.qsize())
    else:
        workers.result()  # a failure of the look-ups themselves is not swallowed
    return results


async def lookup(resolver: dns.asyncresolver.Resolver, name: str) -> DnsAnswer:
    """A and AAAA decide the status; NS and MX are added when the name exists."""
    try:
        qname = dns.name.from_text(name.rstrip(".") + ".")
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return DnsAnswer(name, "unknown", "invalid_name")
    records: dict[str, list[str]] = {kind: [] for kind in RECORD_TYPES}
    try:
        await _query(resolver, qname, "A", records)
    except _Failure as failure:
        return DnsAnswer(name, failure.status, failure.reason)
    for kind in ("AAAA", "NS", "MX"):
        try:
            await _query(resolver, qname, kind, records)
        except _Failure as failure:
            log.debug("dns_record_failed", name=name, rdtype=kind, reason=failure.reason)
    frozen = {kind: tuple(dict.fromkeys(values)) for kind, values in records.items() if values}
    if records["A"] or records["AAAA"]:
        return DnsAnswer(name, "registered", "", frozen)
    return DnsAnswer(name, "no_address", "noanswer", frozen)


async def _query(
    resolver: dns.asyncresolver.Resolver, qname: dns.name.Name, kind: str, records: dict[str, list[str]]
) -> None:
    """Run one query and add its records; NOERROR without data adds nothing; failures raise _Failure."""
    try:
        answer = await resolver.resolve(qname, kind, search=False)
    except dns.resolver.NXDOMAIN as exc:
        raise _Failure("nxdomain", "nxdomain") from exc
    except dns.resolver.NoAnswer as exc:
        response = exc.kwargs.get("response")
        if isinstance(response, dns.message.Message):
            _collect(response, kind, records)
        return
    except dns.resolver.NoNameservers as exc:
        raise _Failure("unknown", _no_nameservers_reason(exc)) from exc
    except dns.exception.Timeout as exc:
        raise _Failure("unknown", "timeout") from exc
    except dns.resolver.YXDOMAIN as exc:
        raise _Failure("unknown", "yxdomain") from exc
    except (dns.exception.DNSException, OSError, ValueError) as exc:
        raise _Failure("unknown", f"error:{type(exc).__name__}") from exc
    _collect(answer.response, kind, records)


def _collect(response: dns.message.Message, kind: str, records: dict[str, list[str]]) -> None:
    wanted = dns.rdatatype.from_text(kind)
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            records["CNAME"] += [_text(rdata.to_text()) for rdata in rrset]
        elif rrset.rdtype == wanted:
            records[kind] += [_text(rdata.to_text()) for rdata in rrset]


def _text(rdata: str) -> str:
    """Record text without the root dot of names; a null MX ("0 .") keeps its dot."""
    return rdata[:-1] if rdata.endswith(".") and not rdata.endswith(" .") and rdata != "." else rdata


def _no_nameservers_reason(exc: dns.resolver.NoNameservers) -> str:
    said = " ".join(str(error[3]) for error in exc.kwargs.get("errors", []))
    if "SERVFAIL" in said:
        return "servfail"
    if "REFUSED" in said:
        return "refused"
    return "unreachable" if said else "servfail"


async def detect_wildcards(
    resolver: dns.asyncresolver.Resolver,
    zones: Iterable[str],
    concurrency: int,
    *,
    stop: threading.Event | None = None,
) -> dict[str, Wildcard]:
    """Ask each zone for a random label: when it exists, the zone answers anything.

    A zone whose probe went unasked because the run stopped is "unknown", like a failed probe.
    """
    probes = {zone: f"{_random_label()}.{zone}" for zone in dict.fromkeys(zones)}
    answers = await resolve_with(resolver, probes.values(), concurrency, stop=stop)
    found: dict[str, Wildcard] = {}
    for zone, probe in probes.items():
        answer = answers.get(probe) or DnsAnswer(probe, "unknown", "stopped")
        status: Literal["wildcard", "none", "unknown"] = (
            "wildcard" if answer.exists else "unknown" if answer.status == "unknown" else "none"
        )
        found[zone] = Wildcard(zone, status, answer)
    return found


def _random_label() -> str:
    # A letter first: some servers treat all-digit labels specially.
    return "z" + secrets.token_hex(10)
