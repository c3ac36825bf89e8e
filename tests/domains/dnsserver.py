"""A real DNS server on 127.0.0.1 for the tests: dnslib over UDP with zones the test defines."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from dnslib import QTYPE, RCODE, RR, DNSError, DNSRecord
from dnslib.server import DNSHandler, DNSLogger, DNSServer

Records = Mapping[str, Mapping[str, list[str]]]


@dataclass
class FakeZones:
    """What the server knows.

    records: name -> {"A": [...], "AAAA": [...], "CNAME": [...], "NS": [...], "MX": ["10 mx.host"]}
    wildcards: zone -> address answered for any name below it (at any depth)
    servfail / refused: names at or below these answer SERVFAIL / REFUSED
    silent: names at or below these never get an answer (the client times out); "." is every name
    """

    records: Records = field(default_factory=dict)
    wildcards: Mapping[str, str] = field(default_factory=dict)
    servfail: frozenset[str] = frozenset()
    refused: frozenset[str] = frozenset()
    silent: frozenset[str] = frozenset()
    queries: list[tuple[str, str]] = field(default_factory=list)
    # The message id of each query, in the same order: a resolver's retransmission keeps it.
    query_ids: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, request: Any, handler: Any) -> Any:
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = str(QTYPE[request.q.qtype])
        with self.lock:
            self.queries.append((qname, qtype))
            self.query_ids.append(int(request.header.id))
        if _under(qname, self.silent):
            raise DNSError("dropped on purpose")  # dnslib sends nothing back
        reply = request.reply()
        if _under(qname, self.servfail):
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        if _under(qname, self.refused):
            reply.header.rcode = RCODE.REFUSED
            return reply
        if qname in self.records:
            self._answer(reply, qname, qtype, self.records[qname])
            return reply
        if any(name.endswith("." + qname) for name in self.records):
            return reply  # an empty non-terminal: NOERROR without data
        zone = next((z for z in self.wildcards if qname.endswith("." + z)), None)
        if zone is not None:  # "*.zone" answers every name below the zone
            if qtype == "A":
                reply.add_answer(*RR.fromZone(f"{qname}. 60 A {self.wildcards[zone]}"))
            return reply
        reply.header.rcode = RCODE.NXDOMAIN
        return reply

    def _answer(self, reply: Any, qname: str, qtype: str, records: Mapping[str, list[str]]) -> None:
        if "CNAME" in records and qtype != "CNAME":
            for target in records["CNAME"]:
                reply.add_answer(*RR.fromZone(f"{qname}. 60 CNAME {target}."))
                for value in self.records.get(target, {}).get(qtype, []):
                    reply.add_answer(*RR.fromZone(f"{target}. 60 {qtype} {_value(qtype, value)}"))
            return
        for value in records.get(qtype, []):
            reply.add_answer(*RR.fromZone(f"{qname}. 60 {qtype} {_value(qtype, value)}"))


def _value(qtype: str, value: str) -> str:
    return value + "." if qtype in {"NS", "MX", "CNAME"} and not value.endswith(".") else value


def _under(name: str, zones: frozenset[str]) -> bool:
    return "." in zones or any(name == zone or name.endswith("." + zone) for zone in zones)


class _QuietLogger(DNSLogger):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__(log="-request,-reply,-truncated,-error,-recv,-send,-data", prefix=False)


class _UDPServer(socketserver.UDPServer):
    # One thread answers every datagram: enough for loopback and much faster than a thread each.
    allow_reuse_address = True


@contextmanager
def dns_server(zones: FakeZones) -> Iterator[str]:
    """Serve `zones` over UDP on 127.0.0.1 at a free port; yields "127.0.0.1:PORT"."""
    server = DNSServer(
        zones, address="127.0.0.1", port=0, logger=_QuietLogger(), handler=DNSHandler, server=_UDPServer
    )
    server.start_thread()
    port = server.server.server_address[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()
        server.server.server_close()


def query(address: str, name: str, qtype: str = "A") -> DNSRecord:
    """One raw query (used to check the helper itself)."""
    host, _, port = address.partition(":")
    return DNSRecord.parse(DNSRecord.question(name, qtype).send(host, int(port), timeout=2))
