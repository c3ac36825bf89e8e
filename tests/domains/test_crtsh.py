"""crt.sh queries through the project's HTTP client against a loopback stand-in, and record parsing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.domains.crtsh import CertRecord, parse_crtsh, patterns, query_crtsh
from monitor.errors import FetchError, HTTPStatusError, ParseError
from tests.domains.web import Peer, client, html_answer, json_answer
from tests.support.loopback import serve

ROW = {
    "issuer_ca_id": 183267,
    "issuer_name": "C=US, O=Let's Encrypt, CN=R3",
    "common_name": "bhxh-binhduong.xyz",
    "name_value": "bhxh-binhduong.xyz\nwww.bhxh-binhduong.xyz",
    "id": 11,
    "entry_timestamp": "2026-10-01T02:03:04.5",
    "not_before": "2026-10-01T00:00:00",
    "not_after": "2026-12-30T00:00:00",
    "serial_number": "04aa",
}
OVERLOADED = "<html><body><h1>crt.sh</h1>Sorry, something went wrong</body></html>"


@pytest.fixture
def peer() -> Iterator[tuple[Peer, str]]:
    web = Peer()
    with serve(web.app(), host="127.0.0.1") as base:
        yield web, base + "/"


def _query(url: str, pattern: str, attempts: int = 2) -> list[CertRecord]:
    async def run() -> list[CertRecord]:
        async with client() as http:
            return await query_crtsh(http, url, pattern, attempts=attempts, backoff=0)

    return asyncio.run(run())


def test_records_and_the_query_sent(peer: tuple[Peer, str]) -> None:
    web, url = peer
    web.crtsh["%bhxh%"] = [json_answer(json.dumps([ROW, {**ROW, "name_value": "*.bhxh-binhduong.xyz"}]))]
    (record,) = _query(url, "%bhxh%")
    assert record.id == 11
    assert record.names == ("bhxh-binhduong.xyz", "www.bhxh-binhduong.xyz", "*.bhxh-binhduong.xyz")
    assert record.hosts() == ["bhxh-binhduong.xyz", "www.bhxh-binhduong.xyz"]
    assert record.not_after is not None
    assert record.not_after.tzinfo is not None
    assert web.seen[0][2] == {"q": "%bhxh%", "output": "json", "exclude": "expired"}


def test_an_empty_array_is_no_certificates(peer: tuple[Peer, str]) -> None:
    web, url = peer
    web.crtsh["%bhxh%"] = [json_answer("[]")]
    assert _query(url, "%bhxh%") == []


def test_502_is_a_failure_not_an_empty_result(peer: tuple[Peer, str]) -> None:
    web, url = peer
    web.crtsh["%bhxh%"] = [html_answer("<h1>502 Bad Gateway</h1>", status=502)]
    with pytest.raises(HTTPStatusError) as caught:
        _query(url, "%bhxh%")
    assert isinstance(caught.value, FetchError)
    assert caught.value.status == 502
    # The client's own retry (max_retries=1) times our two attempts.
    assert web.crtsh_requests("%bhxh%") == 4


def test_an_html_page_is_a_failure_not_an_empty_result(peer: tuple[Peer, str]) -> None:
    web, url = peer
    web.crtsh["%bhxh%"] = [html_answer(OVERLOADED)]
    with pytest.raises(ParseError):
        _query(url, "%bhxh%")
    assert web.crtsh_requests("%bhxh%") == 2


def test_a_failed_answer_is_asked_again(peer: tuple[Peer, str]) -> None:
    web, url = peer
    web.crtsh["%bhxh%"] = [html_answer(OVERLOADED), json_answer(json.dumps([ROW]))]
    assert [r.id for r in _query(url, "%bhxh%")] == [11]


def test_client_errors_are_not_asked_again(peer: tuple[Peer, str]) -> None:
    web, url = peer
    web.crtsh["%bhxh%"] = [html_answer("no", status=404)]
    with pytest.raises(HTTPStatusError):
        _query(url, "%bhxh%", attempts=3)
    assert web.crtsh_requests("%bhxh%") == 1


@pytest.mark.parametrize("payload", [{"error": "busy"}, "text", 3, None, [1, "x", None]])
def test_other_json_shapes_are_parse_errors(payload: object) -> None:
    with pytest.raises(ParseError):
        parse_crtsh(payload)


def test_hostile_rows_never_crash() -> None:
    rows: list[object] = [
        {"id": True, "name_value": 5, "common_name": None},
        {"id": "7", "name_value": "x" * 10_000 + ".com\n\ud800.com\nbad\x00name\n\n", "not_after": "garbage"},
        {"id": 8, "name_value": "ok-bhxh.com", "entry_timestamp": None, "issuer_name": "\x07CN=\ud800R3"},
        {"id": 9, "common_name": "only-cn-bhxh.com", "not_before": "2026-01-01T00:00:00+07:00"},
        "not a row",
    ]
    records = parse_crtsh(rows)
    assert [r.id for r in records] == [None, 8, 9]
    assert records[0].hosts() == []
    assert records[1].entry_timestamp is None
    assert records[1].issuer_name == "CN=R3"
    assert records[2].hosts() == ["only-cn-bhxh.com"]
    assert records[2].not_before is not None
    assert records[2].not_before.hour == 17


def test_patterns_skip_short_and_odd_keywords() -> None:
    assert patterns(["baohiemxahoi", "vss", "x" * 64, "bhxh", "bhxh", "bảo", "a%b", "vssid"], 3) == [
        "%baohiemxahoi%",
        "%bhxh%",
        "%vssid%",
    ]


def test_real_crtsh_capture(realworld: Path) -> None:
    payload = json.loads((realworld / "crtsh" / "crtsh_example.com_2023-10_enumland.json").read_text())
    records = parse_crtsh(payload)
    assert len(records) == len({row["id"] for row in payload})
    hosts = {host for record in records for host in record.hosts()}
    assert {"example.com", "www.example.com", "m.testexample.com"} <= hosts
    assert not any("@" in host or " " in host for host in hosts)  # e-mail and free-text identities
    # Two rows of this capture have a null entry_timestamp (precertificates).
    nulls = sum(row["entry_timestamp"] is None for row in payload)
    assert nulls
    assert sum(record.entry_timestamp is None for record in records) == nulls
