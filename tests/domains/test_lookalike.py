"""The look-alike domains source end to end: a real DNS server and a loopback crt.sh and web sites."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from monitor.domains.lookalike import Lookalike, LookalikeResult, run_lookalikes
from monitor.domains.names import finding_key
from monitor.domains.permutations import generate
from monitor.settings import BrandSettings, CrtshSettings, DomainsSettings
from tests.domains.brand import brand
from tests.domains.dnsserver import FakeZones, dns_server
from tests.domains.web import Peer, client, html_answer, json_answer
from tests.support.loopback import serve

LOOP = "127.0.0.1"
PORTAL = """<!doctype html><html><head><meta charset="utf-8">
<title>Bảo hiểm xã hội Việt Nam - Cổng dịch vụ công</title>
<meta property="og:title" content="BHXH Bình Dương - Đặt lịch hẹn">
<meta property="og:description" content="Hỗ trợ rút BHXH 1 lần">
</head><body>Đăng nhập</body></html>"""
SUB_PORTAL = "<html><head><title>Cổng dịch vụ công BHXH tỉnh Bình Dương</title></head></html>"
HOTRO = "<html><head><title>Hỗ trợ BHXH trực tuyến</title><head><body><p>unclosed"

ZONES = FakeZones(
    records={
        "baohiemxahoi.com": {
            "A": [LOOP],
            "NS": ["ns1.cheap-host.example"],
            "MX": ["10 mx.cheap-host.example"],
        },
        "binhduong.baohiemxahoi.com": {"A": [LOOP]},
        "datlichbhxh.com": {"A": [LOOP]},
        "govvvn.com": {"NS": ["ns1.govvvn.com"]},
        "baohiemxahoi.govvvn.com": {"A": [LOOP]},
        "bhxh.vn": {"NS": ["ns1.parking.example"]},
        "bhxh.xyz": {"A": [LOOP]},
        "binhduong.bhxh.xyz": {"A": [LOOP]},
        "hotro-baohiemxahoi.xyz": {"A": [LOOP]},
        # Wildcard zones: their sub-domain candidates resolve but are not findings.
        "binhduong.com": {"A": ["127.0.0.50"]},
        "vn.com": {"A": ["127.0.0.51"]},
        # Allowlisted or official: registered, never findings.
        "baobinhduong.vn": {"A": [LOOP]},
        "baohiemxahoi.vn": {"A": [LOOP]},
    },
    wildcards={"binhduong.com": "127.0.0.50", "vn.com": "127.0.0.51"},
    servfail=frozenset({"dichvucongbaohiemxahoi.com"}),
    silent=frozenset({"bhxhbinhduong.com"}),
)
CERTS = [
    {
        "id": 1,
        "issuer_name": "CN=R3",
        "common_name": "baohiemxahoi-binhduong.netlify.app",
        "name_value": "baohiemxahoi-binhduong.netlify.app",
        "not_after": "2026-12-31T00:00:00",
        "entry_timestamp": None,
    },
    {
        "id": 2,
        "issuer_name": "CN=R3",
        "common_name": "*.hotro-baohiemxahoi.xyz",
        "name_value": "*.hotro-baohiemxahoi.xyz\nhotro-baohiemxahoi.xyz\nunrelated.example",
        "not_after": "2026-12-31T00:00:00",
        "entry_timestamp": "2026-10-01T00:00:00",
    },
    {
        "id": 3,
        "issuer_name": "CN=GlobalSign",
        "common_name": "binhduong.baohiemxahoi.gov.vn",
        "name_value": "binhduong.baohiemxahoi.gov.vn\nbhxh.tayninh.gov.vn",
        "not_after": "2027-01-01T00:00:00",
    },
]


@dataclass
class World:
    dns: str
    web: Peer
    base: str


@dataclass
class Run:
    """The run every read-only test looks at, and the homepage requests it made."""

    result: LookalikeResult
    found: dict[str, Lookalike]
    page_requests: dict[str, int]


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    web = Peer(
        crtsh={
            "%baohiemxahoi%": [json_answer(json.dumps(CERTS))],
            "%bhxh%": [html_answer("<h1>502 Bad Gateway</h1>", status=502)],
        },
        pages={
            "baohiemxahoi.com": html_answer(PORTAL),
            "baohiemxahoi.govvvn.com": html_answer(SUB_PORTAL),
            "hotro-baohiemxahoi.xyz": html_answer(HOTRO),
        },
    )
    with dns_server(ZONES) as address, serve(web.app(), host=LOOP) as base:
        yield World(address, web, base)


def _run(
    world: World, profile: BrandSettings | None = None, *, crtsh: bool = True, **domains: object
) -> LookalikeResult:
    port = world.base.rsplit(":", 1)[1]
    settings = DomainsSettings.model_validate(
        {"nameservers": [world.dns], "timeout": 3.0, "tlds": ["com", "vn", "xyz"], **domains}
    )
    crt = CrtshSettings(url=world.base + "/", max_queries=2, enabled=crtsh)

    async def go() -> LookalikeResult:
        async with client(world.dns) as http:
            return await run_lookalikes(
                profile or brand(),
                settings,
                crt,
                http,
                homepage_url=f"http://{{host}}:{port}/",
                crtsh_backoff=0,
            )

    return asyncio.run(go())


def _by_key(result: LookalikeResult) -> dict[str, Lookalike]:
    return {item.key: item for item in result.lookalikes}


@pytest.fixture(scope="module")
def run(world: World) -> Run:
    before = len(world.web.seen)
    result = _run(world)
    pages: dict[str, int] = {}
    for host, path, _ in world.web.seen[before:]:
        if path == "/" and host != LOOP:
            pages[host] = pages.get(host, 0) + 1
    return Run(result, _by_key(result), pages)


def test_registered_lookalikes_are_found_with_their_homepage(run: Run) -> None:
    portal = run.found["baohiemxahoi.com"]
    assert run.page_requests["baohiemxahoi.com"] == 1
    assert portal.identity == "web:baohiemxahoi.com"
    assert portal.platform == "web"
    assert portal.host == "baohiemxahoi.com"
    assert portal.homepage is not None
    assert portal.homepage.status == 200
    assert portal.homepage.title == "Bảo hiểm xã hội Việt Nam - Cổng dịch vụ công"
    assert portal.homepage.og["og:title"] == "BHXH Bình Dương - Đặt lịch hẹn"
    assert portal.name == "Bảo hiểm xã hội Việt Nam - Cổng dịch vụ công"
    assert set(portal.dns) == {"baohiemxahoi.com", "binhduong.baohiemxahoi.com"}
    assert portal.dns["baohiemxahoi.com"].records["NS"] == ("ns1.cheap-host.example",)
    assert portal.fuzzers[0] == "keyword"
    assert "baohiemxahoi" in portal.match_texts()
    evidence = json.loads(json.dumps(portal.evidence()))
    assert evidence["dns"]["baohiemxahoi.com"]["records"]["A"] == [LOOP]
    assert evidence["homepage"]["og"]["og:description"] == "Hỗ trợ rút BHXH 1 lần"


def test_lookalike_sub_domains_are_keyed_by_their_registrable_domain(run: Run) -> None:
    found = run.found
    gov = found["govvvn.com"]
    assert gov.host == "baohiemxahoi.govvvn.com"  # the host that has an address
    assert set(gov.dns) == {"govvvn.com", "baohiemxahoi.govvvn.com"}
    assert gov.dns["govvvn.com"].status == "no_address"
    assert gov.homepage is not None
    assert gov.homepage.title == "Cổng dịch vụ công BHXH tỉnh Bình Dương"
    assert "baohiemxahoi govvvn" in gov.match_texts()
    assert set(found["bhxh.xyz"].dns) == {"bhxh.xyz", "binhduong.bhxh.xyz"}


def test_a_homepage_that_is_missing_is_recorded(run: Run) -> None:
    datlich = run.found["datlichbhxh.com"]
    assert datlich.homepage is not None
    assert (datlich.homepage.status, datlich.homepage.title, datlich.homepage.error) == (404, "", "")
    assert run.page_requests["datlichbhxh.com"] == 1


def test_a_name_without_address_is_reported_without_a_fetch(run: Run) -> None:
    parked = run.found["bhxh.vn"]
    assert parked.dns["bhxh.vn"].status == "no_address"
    assert parked.dns["bhxh.vn"].records == {"NS": ("ns1.parking.example",)}
    assert parked.homepage is None
    assert "bhxh.vn" not in run.page_requests


def test_certified_lookalikes_are_found_and_free_hosting_is_keyed_by_site(run: Run) -> None:
    result, found = run.result, run.found
    netlify = found["baohiemxahoi-binhduong.netlify.app"]
    assert netlify.fuzzers == ["certificate"]
    assert [c.id for c in netlify.certificates] == [1]
    assert netlify.dns["baohiemxahoi-binhduong.netlify.app"].status == "nxdomain"
    # Its homepage cannot be fetched (no address): recorded, not fatal.
    assert netlify.homepage is not None
    assert "does not resolve" in netlify.homepage.error
    hotro = found["hotro-baohiemxahoi.xyz"]
    assert hotro.homepage is not None
    assert hotro.homepage.title == "Hỗ trợ BHXH trực tuyến"
    assert hotro.certificates[0].evidence()["logged_at"] == "2026-10-01T00:00:00+00:00"
    assert "unrelated.example" not in found
    assert not [key for key in found if key.endswith("gov.vn")]
    assert result.counts["certified_hosts"] == 2


def test_servfail_and_timeouts_never_yield_not_registered(run: Run) -> None:
    result, found = run.result, run.found
    assert "dichvucongbaohiemxahoi.com" in result.unknown
    assert "bhxhbinhduong.com" in result.unknown
    assert "dichvucongbaohiemxahoi.com" not in found
    assert "bhxhbinhduong.com" not in found
    assert result.counts["unknown_servfail"] >= 1
    assert result.counts["unknown_timeout"] >= 1
    assert result.parts["dns"].status == "partial"
    assert "timeout" in result.parts["dns"].reason
    assert "servfail" in result.parts["dns"].reason


def test_a_wildcard_zone_yields_no_sub_domain_findings(run: Run) -> None:
    result, found = run.result, run.found
    assert "binhduong.com" not in found
    assert "vn.com" not in found
    hosts = {host for item in result.lookalikes for host in item.dns}
    assert not [h for h in hosts if h.endswith((".binhduong.com", ".vn.com"))]
    # binhduong.com, and gov.vn.com and baohiemxahoi.gov.vn.com below the *.vn.com wildcard.
    assert result.counts["wildcard_zones"] == 3
    # A zone without wildcard keeps its sub-domain finding (binhduong.bhxh.xyz, above).
    assert "binhduong.bhxh.xyz" in hosts


def test_official_and_allowlisted_domains_are_never_findings(run: Run) -> None:
    assert not {"baobinhduong.vn", "baohiemxahoi.vn", "baohiemxahoi.gov.vn"} & set(run.found)
    assert "baobinhduong.vn" not in run.page_requests


def test_crtsh_502_makes_the_run_partial_not_empty(run: Run) -> None:
    result = run.result
    assert result.parts["crtsh"].status == "partial"
    assert "%bhxh%" in result.parts["crtsh"].reason
    assert "502" in result.parts["crtsh"].reason
    assert result.status == "partial"
    assert result.counts["crtsh_failed"] == 1
    assert result.counts["crtsh_queries"] == 2


def test_crtsh_answering_html_everywhere_fails_that_part_only(world: World) -> None:
    script = world.web.crtsh["%baohiemxahoi%"]
    world.web.crtsh["%baohiemxahoi%"] = [html_answer("<html>crt.sh is overloaded</html>")]
    try:
        result = _run(world)
    finally:
        world.web.crtsh["%baohiemxahoi%"] = script
    assert result.parts["crtsh"].status == "failed"
    assert "ParseError" in result.parts["crtsh"].reason
    assert "baohiemxahoi.com" in _by_key(result)
    assert "baohiemxahoi-binhduong.netlify.app" not in _by_key(result)


def test_homepage_fetches_are_capped_by_max_queries(world: World) -> None:
    result = _run(world, max_queries=1)
    fetched = [item for item in result.lookalikes if item.homepage is not None]
    assert len(fetched) == 1
    assert result.counts["homepages_not_fetched"] >= 3


def test_dns_that_never_answers_fails_and_keeps_every_key_unknown(world: World) -> None:
    silent = FakeZones(silent=frozenset({"."}))
    with dns_server(silent) as address:
        result = _run(World(address, world.web, world.base), crtsh=False, tlds=["xyz"], max_names=40)
    assert result.parts["dns"].status == "failed"
    assert result.status == "failed"
    assert result.lookalikes == []
    assert len(result.unknown) == 40


def test_max_names_bounds_the_first_round(world: World) -> None:
    result = _run(world, crtsh=False, max_names=10)
    assert result.counts["names_checked"] == 10
    assert result.counts["names_not_checked"] > 0
    first = list(dict.fromkeys(finding_key(p.domain) for p in generate(brand(), ["com", "vn", "xyz"])))[:10]
    assert {item.key for item in result.lookalikes} <= set(first)
    assert "datlichbhxh.com" not in first
    assert "datlichbhxh.com" not in _by_key(result)


def test_everything_disabled_is_skipped(world: World) -> None:
    before = len(world.web.seen)
    result = _run(world, crtsh=False, enabled=False)
    assert result.status == "skipped"
    assert result.parts == {"dns": result.parts["dns"], "crtsh": result.parts["crtsh"]}
    assert {p.status for p in result.parts.values()} == {"skipped"}
    assert len(world.web.seen) == before


def test_a_bad_nameserver_setting_fails_the_dns_part(world: World) -> None:
    result = _run(world, crtsh=False, nameservers=["dns.example.org"])
    assert result.parts["dns"].status == "failed"
    assert "not an IP address" in result.parts["dns"].reason


def test_a_resolver_that_rewrites_nxdomain_is_not_believed(world: World) -> None:
    lying = FakeZones(records=ZONES.records, wildcards={"com": "127.0.0.99"})
    with dns_server(lying) as address:
        result = _run(World(address, world.web, world.base), crtsh=False, tlds=["com"], max_names=200)
    assert result.parts["dns"].status == "failed"
    assert "random names under com" in result.parts["dns"].reason
    assert not [item.key for item in result.lookalikes if item.key.endswith(".com")]
    assert "baohiemxahoi.com" in result.unknown  # registered, but this resolver cannot show it


def test_a_hostile_brand_profile_never_crashes(world: World) -> None:
    hostile = brand(
        organization_terms=["BHXH", "x" * 10_000, "\ud800\x00", ""],
        location_terms=["\x1f", "B" * 5_000],
        official_domains=["baohiemxahoi.gov.vn", "\ud800", "", "a..b", "y" * 300 + ".vn"],
    )
    result = _run(world, hostile, max_names=60)
    assert result.status in {"ok", "partial"}
    assert result.counts["crtsh_queries"] == 2
    assert all(item.key.isascii() and item.identity.startswith("web:") for item in result.lookalikes)
