"""DNS look-ups against a real dnslib server on 127.0.0.1: statuses, records, failures, wildcards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from monitor.domains.dns import (
    DnsAnswer,
    Wildcard,
    detect_wildcards,
    make_resolver,
    parse_nameservers,
    resolve_many,
)
from monitor.errors import SourceError
from tests.domains.dnsserver import FakeZones, dns_server, query

ZONES = FakeZones(
    records={
        "baohiemxahoi.com": {
            "A": ["127.0.0.1"],
            "AAAA": ["::1"],
            "NS": ["ns1.baohiemxahoi.com"],
            "MX": ["10 mx.baohiemxahoi.com"],
        },
        "www.bhxh.top": {"CNAME": ["baohiemxahoi.com"]},
        "parked-bhxh.com": {"NS": ["ns1.parking.example"], "MX": ["0 ."]},
        "deep.sub.bhxh.xyz": {"A": ["127.0.0.3"]},
    },
    wildcards={"wild-bhxh.com": "127.0.0.9"},
    servfail=frozenset({"broken-bhxh.com"}),
    refused=frozenset({"refused-bhxh.com"}),
    silent=frozenset({"silent-bhxh.com"}),
)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with dns_server(ZONES) as address:
        yield address


def _resolve(server: str, *names: str, timeout: float = 3.0) -> dict[str, DnsAnswer]:
    return asyncio.run(resolve_many(names, [server], concurrency=8, timeout=timeout))


def test_the_helper_is_a_real_dns_server(server: str) -> None:
    reply = query(server, "baohiemxahoi.com")
    assert [str(rr.rdata) for rr in reply.rr] == ["127.0.0.1"]


def test_registered_name_carries_every_record_kind(server: str) -> None:
    answer = _resolve(server, "baohiemxahoi.com")["baohiemxahoi.com"]
    assert answer.status == "registered"
    assert answer.records == {
        "A": ("127.0.0.1",),
        "AAAA": ("::1",),
        "NS": ("ns1.baohiemxahoi.com",),
        "MX": ("10 mx.baohiemxahoi.com",),
    }
    assert answer.exists
    assert answer.addresses == {"127.0.0.1", "::1"}


def test_cname_chain_is_recorded(server: str) -> None:
    answer = _resolve(server, "www.bhxh.top")["www.bhxh.top"]
    assert answer.status == "registered"
    assert answer.records["CNAME"] == ("baohiemxahoi.com",)
    assert answer.records["A"] == ("127.0.0.1",)


@pytest.mark.parametrize(
    ("name", "status", "reason"),
    [
        ("nothing-here.com", "nxdomain", "nxdomain"),
        ("parked-bhxh.com", "no_address", "noanswer"),
        ("sub.bhxh.xyz", "no_address", "noanswer"),  # an empty non-terminal exists
        ("broken-bhxh.com", "unknown", "servfail"),
        ("www.broken-bhxh.com", "unknown", "servfail"),
        ("refused-bhxh.com", "unknown", "refused"),
        ("silent-bhxh.com", "unknown", "timeout"),
    ],
)
def test_failure_kinds_are_kept_apart(server: str, name: str, status: str, reason: str) -> None:
    answer = _resolve(server, name)[name]
    assert (answer.status, answer.reason) == (status, reason)


def test_servfail_and_timeout_are_never_not_registered(server: str) -> None:
    answers = _resolve(server, "broken-bhxh.com", "silent-bhxh.com", "refused-bhxh.com")
    assert {a.status for a in answers.values()} == {"unknown"}
    assert not any(a.exists for a in answers.values())


def test_no_address_still_has_ns_and_mx(server: str) -> None:
    answer = _resolve(server, "parked-bhxh.com")["parked-bhxh.com"]
    assert answer.exists
    assert answer.records == {"NS": ("ns1.parking.example",), "MX": ("0 .",)}


def test_nothing_listening_is_unknown(server: str) -> None:
    closed = server.rsplit(":", 1)[0] + ":9"  # the discard port: nothing answers DNS there
    answers = asyncio.run(resolve_many(["baohiemxahoi.com"], [closed], concurrency=1, timeout=0.5))
    assert answers["baohiemxahoi.com"].status == "unknown"


@pytest.mark.parametrize("name", ["", "a..b", "x" * 300 + ".com", "\ud800.com", "bad\x00.com", "-.com"])
def test_hostile_names_are_unknown_not_errors(server: str, name: str) -> None:
    answer = _resolve(server, name)[name]
    assert answer.status in {"unknown", "nxdomain"}
    assert not answer.exists


def test_many_names_each_get_one_answer(server: str) -> None:
    names = [f"n{i}.example" for i in range(300)] + ["baohiemxahoi.com", "silent-bhxh.com"]
    answers = asyncio.run(resolve_many(names, [server], concurrency=50, timeout=3.0))
    assert set(answers) == set(names)
    assert sum(a.status == "nxdomain" for a in answers.values()) == 300
    assert answers["baohiemxahoi.com"].status == "registered"


def test_wildcard_zones_are_detected(server: str) -> None:
    async def probe() -> dict[str, Wildcard]:
        resolver = make_resolver([server], 0.6)
        return await detect_wildcards(resolver, ["wild-bhxh.com", "bhxh.xyz", "com", "broken-bhxh.com"], 4)

    found = asyncio.run(probe())
    assert found["wild-bhxh.com"].status == "wildcard"
    assert found["wild-bhxh.com"].probe.addresses == {"127.0.0.9"}
    assert found["bhxh.xyz"].status == "none"
    assert found["com"].status == "none"
    assert found["broken-bhxh.com"].status == "unknown"  # cannot tell: not "no wildcard"


@pytest.mark.parametrize(
    ("entry", "address", "port"),
    [
        ("127.0.0.1", "127.0.0.1", 53),
        ("127.0.0.1:5353", "127.0.0.1", 5353),
        ("[::1]:5300", "::1", 5300),
        ("::1", "::1", 53),
    ],
)
def test_nameserver_entries(entry: str, address: str, port: int) -> None:
    (server,) = parse_nameservers([entry])
    assert (server.answer_nameserver(), server.answer_port()) == (address, port)


@pytest.mark.parametrize("entry", ["dns.example", "127.0.0.1:0", "127.0.0.1:99999", "[::1]:x", ""])
def test_bad_nameserver_entries_are_refused(entry: str) -> None:
    with pytest.raises(SourceError):
        parse_nameservers([entry])
