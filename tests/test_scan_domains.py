"""`monitor scan` with the look-alike domains and crt.sh sources, end to end on SQLite and PostgreSQL.

A real DNS server (dnslib) on 127.0.0.1 answers for the look-alikes, a loopback web stands in for
crt.sh and for their homepages. The scan's HTTP client resolves host names through that DNS server
(so no look-up ever leaves the machine), and homepages are read on the loopback web's port.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from monitor.domains.dns import lookup, make_resolver
from monitor.domains.lookalike import run_lookalikes
from monitor.domains.names import finding_key
from monitor.domains.permutations import generate
from monitor.evidence import EvidenceArchive
from monitor.report import ScanReport
from monitor.scan import Scanner
from monitor.settings import Settings, load_settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import Finding, Observation, SourceRun
from tests.domains.dnsserver import FakeZones, dns_server
from tests.domains.web import Answer, Peer, html_answer, json_answer
from tests.support.loopback import serve

REPO = Path(__file__).resolve().parents[1]
BRAND = "bhxh-binh-duong"
LOOP = "127.0.0.1"
TLDS = ["com", "xyz", "weebly.com"]
MAX_NAMES = 30  # the first finding keys of the permutation list: a few hundred DNS queries per scan
ONLY = ["domains", "crtsh"]


def _page(title: str) -> Answer:
    return html_answer(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head></html>'
    )


PORTAL_TITLE = "Bảo hiểm xã hội tỉnh Bình Dương - Cổng dịch vụ công trực tuyến"
SUPPORT_TITLE = "Hỗ trợ rút BHXH 1 lần - BHXH Bình Dương"
FLORIST_TITLE = "Cửa hàng hoa tươi Sài Gòn"
# Registered look-alikes and what their homepages are titled.
TITLES = {
    "baohiemxahoi.com": PORTAL_TITLE,  # keyword form (the office's label under .com)
    "bhxh.xyz": SUPPORT_TITLE,  # keyword form (the office's abbreviation under .xyz)
    "govvvn.com": FLORIST_TITLE,  # gov.vn look-alike, but nothing on it speaks of the office
}
REPORTED = {"web:baohiemxahoi.com", "web:bhxh.xyz"}
# Permutations inside MAX_NAMES that no one registered: the DNS server answers NXDOMAIN.
UNREGISTERED = ("baohiemxahoi.xyz", "bhxh.com", "vss.com")
# A certificate crt.sh logged for a free-hosting site that has no address in the DNS.
CERT_HOST = "baohiemxahoi-binhduong.netlify.app"
CERTS = [
    {
        "id": 7001,
        "issuer_name": "C=US, O=Let's Encrypt, CN=R3",
        "common_name": CERT_HOST,
        "name_value": CERT_HOST,
        "not_before": "2026-10-01T00:00:00",
        "not_after": "2026-12-30T00:00:00",
        "entry_timestamp": "2026-10-01T00:05:00",
        "serial_number": "04a1b2c3",
    }
]
CRT_PATTERNS = ("%baohiemxahoi%", "%bhxh%")


def _records() -> dict[str, dict[str, list[str]]]:
    return {
        **{host: {"A": [LOOP]} for host in TITLES},
        # A sub-domain in a zone without wildcard: reported with its registrable domain.
        "binhduong.baohiemxahoi.com": {"A": [LOOP]},
    }


@dataclass
class World:
    zones: FakeZones
    web: Peer
    dns: str
    base: str

    def homepage_requests(self, host: str) -> int:
        with self.web.lock:
            return sum(1 for seen, path, _ in self.web.seen if seen == host and path == "/")

    def queried(self, name: str) -> bool:
        with self.zones.lock:
            return any(qname == name for qname, _ in self.zones.queries)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    zones = FakeZones(records=_records())
    web = Peer(
        crtsh={CRT_PATTERNS[0]: [json_answer(json.dumps(CERTS))], CRT_PATTERNS[1]: [json_answer("[]")]},
        pages={host: _page(title) for host, title in TITLES.items()},
    )
    with dns_server(zones) as address, serve(web.app(), host=LOOP) as base:
        port = base.rsplit(":", 1)[1]
        resolver = make_resolver([address], 3.0)

        async def resolve(host: str, _port: int) -> list[str]:
            return sorted((await lookup(resolver, host)).addresses)

        # Host names of fetched pages resolve through the test's DNS server, never the system's.
        monkeypatch.setattr("monitor.net.guard.system_resolver", resolve)
        # Homepages on the loopback web's port; crt.sh asked again at once after a failure.
        monkeypatch.setattr(
            "monitor.domains.bridge.run_lookalikes",
            functools.partial(run_lookalikes, homepage_url=f"http://{{host}}:{port}/", crtsh_backoff=0),
        )
        yield World(zones, web, address, base)


@pytest.fixture
def settings(world: World, db_url: str, tmp_path: Path) -> Settings:
    env = {
        "MONITOR_DATABASE__URL": db_url,
        "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
        "MONITOR_LIFECYCLE__GONE_AFTER_MISSES": "2",
        "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
        "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
        "MONITOR_HTTP__MAX_RETRIES": "1",
        "MONITOR_HTTP__BACKOFF_BASE": "0.01",
        "MONITOR_HTTP__BACKOFF_MAX": "0.02",
        "MONITOR_HTTP__TIMEOUT": "5",
        "MONITOR_SOURCES__DOMAINS__NAMESERVERS": json.dumps([world.dns]),
        "MONITOR_SOURCES__DOMAINS__TLDS": json.dumps(TLDS),
        "MONITOR_SOURCES__DOMAINS__MAX_NAMES": str(MAX_NAMES),
        "MONITOR_SOURCES__DOMAINS__TIMEOUT": "3",
        "MONITOR_SOURCES__CRTSH__URL": world.base + "/",
        "MONITOR_SOURCES__CRTSH__MAX_QUERIES": str(len(CRT_PATTERNS)),
    }
    return load_settings(REPO / "config" / "monitor.toml", environ=env)


@dataclass(frozen=True)
class Stored:
    """A finding as the database holds it, with its observations (event, verdict, scan, evidence)."""

    platform: str
    url: str
    name: str
    verdict: str
    score: int
    status: str
    misses: int
    sources: list[Any]
    observations: list[tuple[str, str, int | None, str | None]]


def scan(settings: Settings) -> ScanReport:
    engine = open_database(settings.database.url)
    try:
        return asyncio.run(Scanner(settings, engine).run([BRAND], ONLY))
    finally:
        engine.dispose()


def stored(settings: Settings) -> dict[str, Stored]:
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            rows: dict[str, Stored] = {}
            for f in session.scalars(select(Finding).where(Finding.brand == BRAND)):
                observed = session.scalars(
                    select(Observation).where(Observation.finding_id == f.id).order_by(Observation.id)
                )
                rows[f.identity] = Stored(
                    f.platform,
                    f.url,
                    f.name,
                    f.verdict,
                    f.score,
                    f.status,
                    f.misses,
                    list(f.sources),
                    [(o.event, o.verdict, o.scan_id, o.evidence_sha256) for o in observed],
                )
            return rows
    finally:
        engine.dispose()


def source_runs(settings: Settings, scan_id: int | None) -> dict[str, tuple[str, int, str | None]]:
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            runs = session.scalars(select(SourceRun).where(SourceRun.scan_id == scan_id))
            return {run.source: (run.status, run.results, run.error) for run in runs}
    finally:
        engine.dispose()


def statuses(report: ScanReport) -> dict[str, str]:
    return {source.name: source.status for source in report.sources}


def identities(report: ScanReport, kind: str) -> set[str]:
    return {item["identity"] for item in report.events[kind]}


def evidence(settings: Settings, sha256: str | None) -> dict[str, Any]:
    assert sha256 is not None
    document: dict[str, Any] = json.loads(EvidenceArchive(settings.evidence.dir).read(sha256))
    return document


def test_the_chosen_names_are_permutations_the_scan_checks(settings: Settings) -> None:
    keys = list(dict.fromkeys(finding_key(p.domain) for p in generate(settings.brand(BRAND), TLDS)))
    checked = set(keys[:MAX_NAMES])
    assert {*TITLES, *UNREGISTERED, "bhxh.weebly.com", "baohiemxahoi.weebly.com"} <= checked
    hosts = {p.domain for p in generate(settings.brand(BRAND), TLDS)}
    assert {"binhduong.baohiemxahoi.com", "binhduong.bhxh.xyz", "binhduong.bhxh.weebly.com"} <= hosts


def test_registered_lookalikes_become_findings_with_their_homepage_title_once(
    settings: Settings, world: World
) -> None:
    first = scan(settings)
    assert first.status == "ok"
    assert statuses(first) == {"domains": "ok", "crtsh": "ok"}
    runs = source_runs(settings, first.scan_id)
    assert runs["domains"] == ("ok", len(TITLES), None)
    assert runs["crtsh"] == ("ok", 1, None)
    assert identities(first, "new") == REPORTED | {f"web:{CERT_HOST}"}
    assert len(first.events["new"]) == len(REPORTED) + 1

    rows = stored(settings)
    assert set(rows) == REPORTED | {f"web:{CERT_HOST}"}
    portal, support = rows["web:baohiemxahoi.com"], rows["web:bhxh.xyz"]
    assert (portal.platform, portal.url, portal.name) == ("web", "http://baohiemxahoi.com/", PORTAL_TITLE)
    assert (support.platform, support.url, support.name) == ("web", "http://bhxh.xyz/", SUPPORT_TITLE)
    assert portal.verdict == "impersonation"  # the office's own name on a look-alike domain
    events = {item["identity"]: item for item in first.events["new"]}
    for identity in REPORTED:
        row = rows[identity]
        assert row.verdict in {"impersonation", "suspect"}
        assert (row.status, row.misses, row.sources) == ("active", 0, ["domains"])
        assert (events[identity]["verdict"], events[identity]["score"]) == (row.verdict, row.score)
        assert [o[:3] for o in row.observations] == [("new", row.verdict, first.scan_id)]
    # The archived DNS and homepage facts back the finding.
    facts = evidence(settings, portal.observations[0][3])
    assert facts["host"] == "baohiemxahoi.com"
    assert facts["homepage"]["title"] == PORTAL_TITLE
    assert facts["homepage"]["status"] == 200
    assert facts["dns"]["baohiemxahoi.com"]["records"]["A"] == [LOOP]
    assert set(facts["dns"]) == {"baohiemxahoi.com", "binhduong.baohiemxahoi.com"}
    assert facts["fuzzers"][0] == "keyword"
    # A registered look-alike whose page has nothing of the office is read, and cleared.
    assert world.homepage_requests("govvvn.com") == 1
    assert "web:govvvn.com" not in rows
    # Names the DNS server said do not exist were asked, and left no trace.
    for name in UNREGISTERED:
        assert world.queried(name)
        assert f"web:{name}" not in rows
        assert world.homepage_requests(name) == 0
    # The certified free-hosting site: found through crt.sh alone, named by its host.
    certified = rows[f"web:{CERT_HOST}"]
    assert (certified.name, certified.sources) == (CERT_HOST, ["crtsh"])
    assert certified.verdict in {"impersonation", "suspect"}
    assert evidence(settings, certified.observations[0][3])["certificates"][0]["crtsh_id"] == 7001

    second = scan(settings)
    assert second.status == "ok"
    assert second.counts()["new"] == 0
    assert not any(second.events.values())
    assert stored(settings) == rows  # nothing renamed, re-judged, missed or observed again
    for host in TITLES:
        assert world.homepage_requests(host) == 2  # read once per scan


@pytest.mark.parametrize(
    "failure",
    ["servfail", "timeout", "every_name_times_out"],
)
def test_dns_failures_never_make_a_registered_lookalike_gone(
    settings: Settings, world: World, failure: str
) -> None:
    scan(settings)
    assert stored(settings)["web:bhxh.xyz"].status == "active"
    if failure == "servfail":
        world.zones.servfail = frozenset({"bhxh.xyz"})
    elif failure == "timeout":
        world.zones.silent = frozenset({"bhxh.xyz"})
    else:
        world.zones.silent = frozenset({"."})
    expected_dns = "failed" if failure == "every_name_times_out" else "partial"
    for _ in range(2):  # gone_after_misses is 2: two clean absences would have removed it
        report = scan(settings)
        assert statuses(report) == {"domains": expected_dns, "crtsh": "ok"}
        assert report.status == "partial"
        assert report.events["gone"] == []
        status, _, error = source_runs(settings, report.scan_id)["domains"]
        assert status == expected_dns
        assert error is not None
        assert ("servfail" if failure == "servfail" else "timeout") in error
    row = stored(settings)["web:bhxh.xyz"]
    assert (row.status, row.misses) == ("active", 0)
    assert [o[0] for o in row.observations] == ["new"]
    assert world.homepage_requests("bhxh.xyz") == 1  # an unanswered name is not fetched either

    # Once the DNS answers NXDOMAIN, the absence counts: gone after two clean scans.
    world.zones.servfail = world.zones.silent = frozenset()
    world.zones.records = {k: v for k, v in _records().items() if k != "bhxh.xyz"}
    outcomes = [identities(scan(settings), "gone") for _ in range(2)]
    assert outcomes == [set(), {"web:bhxh.xyz"}]
    assert stored(settings)["web:bhxh.xyz"].status == "gone"
    assert stored(settings)["web:baohiemxahoi.com"].status == "active"


def test_one_unanswered_name_does_not_keep_other_dead_lookalikes_alive(
    settings: Settings, world: World
) -> None:
    scan(settings)
    world.zones.servfail = frozenset({"vss.com"})  # a permutation nobody registered, not a finding
    world.zones.records = {k: v for k, v in _records().items() if k != "bhxh.xyz"}
    outcomes = [identities(scan(settings), "gone") for _ in range(2)]
    assert outcomes == [set(), {"web:bhxh.xyz"}]


def test_a_wildcard_zone_yields_no_sub_domain_findings(settings: Settings, world: World) -> None:
    # *.bhxh.xyz and *.weebly.com answer any name, as wildcard zones and free hosts do.
    world.zones.wildcards = {"bhxh.xyz": LOOP, "weebly.com": LOOP}
    world.web.pages["binhduong.bhxh.xyz"] = _page(SUPPORT_TITLE)
    world.web.pages["bhxh.weebly.com"] = _page(SUPPORT_TITLE)
    report = scan(settings)
    assert statuses(report) == {"domains": "ok", "crtsh": "ok"}
    # The sub-names were asked and answered, and a random label gave the wildcard away.
    assert world.queried("binhduong.bhxh.xyz")
    assert world.queried("bhxh.weebly.com")
    assert world.queried("baohiemxahoi.weebly.com")
    rows = stored(settings)
    assert set(rows) == REPORTED | {f"web:{CERT_HOST}"}
    assert not [identity for identity in rows if identity.endswith(".weebly.com")]
    # bhxh.xyz is registered itself: one finding, with none of the names its wildcard answers.
    support = rows["web:bhxh.xyz"]
    assert support.url == "http://bhxh.xyz/"
    assert set(evidence(settings, support.observations[0][3])["dns"]) == {"bhxh.xyz"}
    assert world.homepage_requests("binhduong.bhxh.xyz") == 0
    assert world.homepage_requests("bhxh.weebly.com") == 0

    # The same free-hosting site with its own record and no wildcard is a finding.
    world.zones.wildcards = {}
    world.zones.records = {**_records(), "bhxh.weebly.com": {"A": [LOOP]}}
    again = scan(settings)
    assert identities(again, "new") == {"web:bhxh.weebly.com"}
    assert stored(settings)["web:bhxh.weebly.com"].name == SUPPORT_TITLE


@pytest.mark.parametrize(
    "answer",
    [
        html_answer("<html><body><h1>502 Bad Gateway</h1></body></html>", status=502),
        html_answer("<html><body>crt.sh is overloaded, try again later</body></html>"),
    ],
    ids=["502", "html"],
)
def test_crtsh_failing_is_a_failed_source_and_never_makes_its_findings_gone(
    settings: Settings, world: World, answer: Answer
) -> None:
    scan(settings)
    assert stored(settings)[f"web:{CERT_HOST}"].sources == ["crtsh"]
    for pattern in CRT_PATTERNS:
        world.web.crtsh[pattern] = [answer]
    for _ in range(2):  # gone_after_misses is 2: two clean absences would have removed it
        report = scan(settings)
        assert statuses(report) == {"domains": "ok", "crtsh": "failed"}
        assert report.status == "partial"
        assert report.events["gone"] == []
        status, results, error = source_runs(settings, report.scan_id)["crtsh"]
        assert (status, results) == ("failed", 0)
        assert error is not None
        assert ("502" if answer[0] == 502 else "ParseError") in error
    row = stored(settings)[f"web:{CERT_HOST}"]
    assert (row.status, row.misses) == ("active", 0)
    assert [o[0] for o in row.observations] == ["new"]
    assert all(world.web.crtsh_requests(pattern) > 3 for pattern in CRT_PATTERNS)

    # crt.sh answering an empty list is an answer: now the certificate's absence counts.
    for pattern in CRT_PATTERNS:
        world.web.crtsh[pattern] = [json_answer("[]")]
    outcomes = [identities(scan(settings), "gone") for _ in range(2)]
    assert outcomes == [set(), {f"web:{CERT_HOST}"}]
    assert stored(settings)[f"web:{CERT_HOST}"].status == "gone"


def identities_of(settings: Settings, brand: str) -> set[str]:
    engine = open_database(settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            return set(session.scalars(select(Finding.identity).where(Finding.brand == brand)))
    finally:
        engine.dispose()


def test_offices_scanned_together_ask_each_shared_name_once(
    settings: Settings, world: World, tmp_path: Path
) -> None:
    """Bình Dương and the national agency both list baohiemxahoi.gov.vn: in one scan the names
    their look-alike lists have in common are asked of the DNS once, and each office still gets
    the findings it gets alone."""
    brands = [BRAND, "bhxh-viet-nam"]
    names = [
        set(list(dict.fromkeys(finding_key(p.domain) for p in generate(settings.brand(b), TLDS)))[:MAX_NAMES])
        for b in brands
    ]
    common = names[0] & names[1]
    alone: dict[str, set[str]] = {}
    for brand in brands:
        own = settings.model_copy(
            update={
                "database": settings.database.model_copy(update={"url": f"sqlite:///{tmp_path / brand}.db"})
            }
        )
        engine = open_database(own.database.url)
        try:
            asyncio.run(Scanner(own, engine).run([brand], ONLY))
        finally:
            engine.dispose()
        alone[brand] = identities_of(own, brand)
    assert alone[BRAND]
    assert alone["bhxh-viet-nam"]

    with world.zones.lock:
        before = len(world.zones.queries)
    engine = open_database(settings.database.url)
    try:
        report = asyncio.run(Scanner(settings, engine).run(brands, ONLY))
    finally:
        engine.dispose()
    with world.zones.lock:
        asked = Counter(name for name, kind in world.zones.queries[before:] if kind == "A")
    # A registered name is asked again when its homepage is fetched (the guard resolves it):
    # the names without an address are asked by the look-alike look-ups alone.
    unregistered = {name for name in common if name not in world.zones.records}
    assert len(unregistered) > 10
    assert {name: asked[name] for name in unregistered} == dict.fromkeys(unregistered, 1)
    assert {s.status for s in report.sources if s.name == "domains"} == {"ok"}
    for brand in brands:
        assert identities_of(settings, brand) == alone[brand]
