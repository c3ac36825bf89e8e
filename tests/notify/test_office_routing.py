"""Several offices in one installation: each office's alerts and digest reach only its own people.

The offices are the ones shipped in config/brands.toml, each given its own e-mail recipients the
way `[brands.alerts] email_recipients` does; the mail goes to a real SMTP server on loopback.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from monitor.digest import digest_reaches_anyone, send_digests
from monitor.notify.channels import deliver_alerts
from monitor.notify.outbox import enqueue_alerts
from monitor.settings import BrandSettings, BrandsFile, EmailSettings, Settings
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.findings import FindingData, FindingRepository
from monitor.store.scans import ScanRepository
from monitor.store.schema import Notification
from tests.notify.helpers import T0, Received, data, load, smtp_server
from tests.notify.receivers import Receiver
from tests.support.loopback import free_port, serve
from tests.support.scan_changes import diff

REPO = Path(__file__).resolve().parents[2]
SHARED = ["chung@bhxh.example.vn"]
# Each shipped office, its own people, and a fake of it a scan finds.
OFFICES: dict[str, tuple[list[str], str, str]] = {
    "bhxh-binh-duong": (
        ["canbo@bhxh-bd.example.vn", "truongphong@bhxh-bd.example.vn"],
        "facebook:page:bhxhbdhotro",
        "BHXH Bình Dương - Hỗ trợ rút BHXH 1 lần",
    ),
    "bhxh-viet-nam": (
        ["truyenthong@bhxh-vn.example.vn"],
        "facebook:page:bhxhvncskh",
        "Bảo hiểm xã hội Việt Nam - CSKH",
    ),
    "bhxh-tphcm": (
        ["canbo@bhxh-hcm.example.vn"],
        "facebook:page:bhxhtphcmtuvan",
        "BHXH TP.HCM - Tư vấn rút BHXH 1 lần",
    ),
}
DAY = timedelta(days=1)


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = open_database(db_url)
    yield session_factory(engine)
    engine.dispose()


def shipped_offices(routing: Mapping[str, Mapping[str, Any]] | None = None) -> list[BrandSettings]:
    """The offices of config/brands.toml, each routed to its own recipients (or as `routing` says)."""
    text = (REPO / "config" / "brands.toml").read_text("utf-8")
    brands = BrandsFile.model_validate(tomllib.loads(text)).brands
    assert sorted(brand.slug for brand in brands) == sorted(OFFICES)
    routing = routing or {}
    return [
        brand.model_copy(
            update={
                "alerts": brand.alerts.model_copy(
                    update=routing.get(brand.slug, {"email_recipients": OFFICES[brand.slug][0]})
                )
            }
        )
        for brand in brands
    ]


def office_settings(
    db_url: str,
    port: int,
    tmp_path: Path,
    *,
    shared: list[str] = SHARED,
    routing: Mapping[str, Mapping[str, Any]] | None = None,
    alerts: Mapping[str, Any] | None = None,
) -> Settings:
    mail = EmailSettings(
        smtp_host="127.0.0.1",
        smtp_port=port,
        security="none",
        sender="giamsat@bhxh.example.vn",
        recipients=shared,
        timeout=5,
    )
    return Settings.model_validate(
        {
            "config_path": Path("config/monitor.toml"),
            "brands": shipped_offices(routing),
            "database": {"url": db_url},
            "evidence": {"dir": str(tmp_path / "evidence")},
            "email": mail,
            "alerts": dict(alerts or {}),
        }
    )


def fake_of(slug: str) -> FindingData:
    _, identity, name = OFFICES[slug]
    return replace(data(identity, name), brand=slug)


def scan_office(factory: sessionmaker[Session], slug: str, at: timedelta) -> list[tuple[int, int]]:
    """One clean scan of one office finding its fake; returns (finding id, observation id) pairs."""
    seen = fake_of(slug)
    pairs: list[tuple[int, int]] = []
    with session_scope(factory) as session:
        findings, scans = FindingRepository(session), ScanRepository(session)
        scan_id = scans.start([slug], "test", now=T0 + at).id
        scans.record_run(scan_id, slug, "duckduckgo", "ok", 3, 1, None, T0 + at, T0 + at)
        for change in diff(findings.known(slug), [seen.seen()], {"duckduckgo"}, gone_after=3):
            finding, observation = findings.apply_sighting(change, seen, scan_id, now=T0 + at)
            if finding is not None and observation is not None:
                pairs.append((finding.id, observation.id))
    return pairs


def alert_offices(factory: sessionmaker[Session], settings: Settings, pairs: list[tuple[int, int]]) -> int:
    with session_scope(factory) as session:
        for pair in pairs:
            finding, observation = load(session, pair)
            enqueue_alerts(session, finding, observation, settings)
    report = asyncio.run(deliver_alerts(factory, settings, settings.brands))
    return report.sent


def body(received: Received) -> str:
    part = received.message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_shipped_offices_route_nowhere_until_told() -> None:
    # brands.toml shows per-office routing only as comments: a default install uses [email]'s list.
    text = (REPO / "config" / "brands.toml").read_text("utf-8")
    brands = BrandsFile.model_validate(tomllib.loads(text)).brands
    assert all(brand.alerts.email_recipients == [] for brand in brands)
    assert all(brand.alerts.zalo_user_ids == [] and brand.alerts.channels == [] for brand in brands)
    packaged = (REPO / "monitor" / "defaults" / "brands.toml").read_text("utf-8")
    assert packaged == text


@pytest.mark.parametrize("slug", list(OFFICES))
def test_an_alert_reaches_only_its_offices_people(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path, slug: str
) -> None:
    with smtp_server() as server:
        settings = office_settings(db_url, server.port, tmp_path)
        pairs = scan_office(factory, slug, timedelta(0))
        assert len(pairs) == 1
        assert alert_offices(factory, settings, pairs) == 1
    [received] = server.mailbox.messages
    people, identity, _ = OFFICES[slug]
    assert sorted(received.rcpt_tos) == sorted(people)
    assert [a.strip() for a in str(received.message["To"]).split(",")] == people
    assert f"facebook.com/{identity.rsplit(':', 1)[-1]}" in body(received)


def test_each_office_hears_only_of_its_own_fakes(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    with smtp_server() as server:
        settings = office_settings(db_url, server.port, tmp_path)
        pairs = [
            pair
            for hour, slug in enumerate(OFFICES)
            for pair in scan_office(factory, slug, timedelta(hours=hour))
        ]
        assert alert_offices(factory, settings, pairs) == len(OFFICES)
    messages = server.mailbox.messages
    assert len(messages) == len(OFFICES)
    for slug, (people, identity, _) in OFFICES.items():
        link = f"facebook.com/{identity.rsplit(':', 1)[-1]}"
        [mine] = [m for m in messages if link in body(m)]
        assert sorted(mine.rcpt_tos) == sorted(people), slug
        others = [m for m in messages if m is not mine]
        assert all(not set(m.rcpt_tos) & set(people) for m in others), slug
    assert all(not set(m.rcpt_tos) & set(SHARED) for m in messages)


def digest_rows(factory: sessionmaker[Session]) -> dict[str, list[tuple[str, list[str]]]]:
    """Each office's digest periods in the outbox: (status, recipients recorded)."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    with session_scope(factory) as session:
        query = select(Notification).where(Notification.kind == "digest").order_by(Notification.id)
        for row in session.scalars(query):
            found.setdefault(str(row.brand), []).append((row.status, list(row.recipients or [])))
    return found


def test_each_offices_digest_reaches_only_its_people(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    for hour, slug in enumerate(OFFICES):
        scan_office(factory, slug, timedelta(hours=hour))
    with smtp_server() as server:
        settings = office_settings(db_url, server.port, tmp_path)
        results = send_digests(factory, settings, now=T0 + DAY)
    assert sorted((r.brand, r.status, r.new_count) for r in results) == sorted(
        (slug, "sent", 1) for slug in OFFICES
    )
    messages = server.mailbox.messages
    assert len(messages) == len(OFFICES)
    by_name = {brand.slug: brand.name for brand in settings.brands}
    for slug, (people, identity, _) in OFFICES.items():
        [mine] = [m for m in messages if f"[{by_name[slug]}]" in str(m.message["Subject"])]
        assert f"facebook.com/{identity.rsplit(':', 1)[-1]}" in body(mine)
        assert sorted(mine.rcpt_tos) == sorted(people), slug
        assert [a.strip() for a in str(mine.message["To"]).split(",")] == people


def subject_of(received: Received) -> str:
    return str(received.message["Subject"])


def test_offices_own_people_get_their_digest_without_a_shared_list(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    for hour, slug in enumerate(OFFICES):
        scan_office(factory, slug, timedelta(hours=hour))
    with smtp_server() as server:
        settings = office_settings(db_url, server.port, tmp_path, shared=[])
        assert digest_reaches_anyone(settings)
        results = send_digests(factory, settings, now=T0 + DAY)
    assert sorted((r.brand, r.status) for r in results) == sorted((slug, "sent") for slug in OFFICES)
    messages = server.mailbox.messages
    assert sorted(sorted(m.rcpt_tos) for m in messages) == sorted(sorted(p) for p, _, _ in OFFICES.values())
    by_name = {brand.slug: brand.name for brand in settings.brands}
    for slug, (people, _, _) in OFFICES.items():
        [mine] = [m for m in messages if f"[{by_name[slug]}]" in subject_of(m)]
        assert [a.strip() for a in str(mine.message["To"]).split(",")] == people
        assert "mạo danh mới — bản tin" in subject_of(mine)
    assert digest_rows(factory) == {slug: [("sent", people)] for slug, (people, _, _) in OFFICES.items()}


def test_an_office_without_its_own_people_gets_no_mail_when_nothing_is_shared(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    for hour, slug in enumerate(OFFICES):
        scan_office(factory, slug, timedelta(hours=hour))
    bare = "bhxh-tphcm"
    with smtp_server() as server:
        settings = office_settings(db_url, server.port, tmp_path, shared=[], routing={bare: {}})
        results = send_digests(factory, settings, now=T0 + DAY)
    statuses = {r.brand: r.status for r in results}
    assert statuses["bhxh-binh-duong"] == statuses["bhxh-viet-nam"] == "sent"
    assert statuses[bare] != "sent"
    told = sorted(sorted(m.rcpt_tos) for m in server.mailbox.messages)
    assert told == sorted([sorted(OFFICES["bhxh-binh-duong"][0]), sorted(OFFICES["bhxh-viet-nam"][0])])
    # Nothing claimed for it: once it names its people, its digest covers everything since then.
    assert bare not in digest_rows(factory)


def test_an_office_that_leaves_out_email_gets_no_digest_mail(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    for hour, slug in enumerate(OFFICES):
        scan_office(factory, slug, timedelta(hours=hour))
    chat_only = "bhxh-viet-nam"
    routing: dict[str, dict[str, Any]] = {
        slug: {"channels": ["email"], "email_recipients": people} for slug, (people, _, _) in OFFICES.items()
    }
    # It keeps its own recipients for other uses, but its channels leave e-mail out.
    routing[chat_only] = {"channels": ["webhook"], "email_recipients": OFFICES[chat_only][0]}
    receiver = Receiver()
    with serve(receiver.app()) as base, smtp_server() as server:
        settings = office_settings(
            db_url, server.port, tmp_path, routing=routing, alerts={"webhook": {"url": f"{base}/hook"}}
        )
        results = send_digests(factory, settings, now=T0 + DAY)
        [summary] = receiver.seen.wait_for(1)
        seen = receiver.seen.snapshot()
    by_brand = {r.brand: r for r in results}
    assert {slug: (r.status, r.summaries) for slug, r in by_brand.items()} == {
        "bhxh-binh-duong": ("sent", 0),
        "bhxh-viet-nam": ("sent", 1),
        "bhxh-tphcm": ("sent", 0),
    }
    messages = server.mailbox.messages
    assert len(messages) == 2
    assert all(not set(m.rcpt_tos) & set(OFFICES[chat_only][0] + SHARED) for m in messages)
    by_name = {brand.slug: brand.name for brand in settings.brands}
    assert not [m for m in messages if f"[{by_name[chat_only]}]" in subject_of(m)]
    # Its summary reached only the channel its routing allows; the others' went nowhere else.
    assert len(seen) == 1
    assert summary["path"] == "/hook"
    assert summary["fields"]["event"] == "summary"
    assert summary["fields"]["title"].startswith(f"Bản tin {by_name[chat_only]}")
    rows = digest_rows(factory)
    assert rows[chat_only] == [("sent", [])]
    assert rows["bhxh-tphcm"] == [("sent", OFFICES["bhxh-tphcm"][0])]


def test_a_failed_office_digest_is_retried_to_its_own_people_once(
    factory: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    for hour, slug in enumerate(OFFICES):
        scan_office(factory, slug, timedelta(hours=hour))
    port = free_port()
    settings = office_settings(db_url, port, tmp_path, shared=[])
    failed = send_digests(factory, settings, now=T0 + DAY)
    assert {r.status for r in failed} == {"failed"}
    assert all(r.error and "127.0.0.1" in r.error for r in failed)
    with smtp_server(port=port) as server:
        sent = send_digests(factory, settings, now=T0 + DAY + timedelta(hours=1))
        again = send_digests(factory, settings, now=T0 + DAY + timedelta(hours=2))
    assert {r.status for r in sent} == {"sent"}
    assert {r.status for r in again} == {"empty"}  # once per period and office
    messages = server.mailbox.messages
    assert sorted(sorted(m.rcpt_tos) for m in messages) == sorted(sorted(p) for p, _, _ in OFFICES.values())
    assert digest_rows(factory) == {slug: [("sent", people)] for slug, (people, _, _) in OFFICES.items()}


def test_the_digest_reaches_anyone_counts_each_offices_route(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    nobody: dict[str, dict[str, Any]] = {slug: {} for slug in OFFICES}
    assert digest_reaches_anyone(office_settings(db_url, port, tmp_path, shared=[]))
    assert not digest_reaches_anyone(office_settings(db_url, port, tmp_path, shared=[], routing=nobody))
    assert digest_reaches_anyone(office_settings(db_url, port, tmp_path, routing=nobody))
    # Every office leaves e-mail out and has no chat channel: [email] alone reaches no office.
    no_mail = {slug: {"channels": ["webhook"]} for slug in OFFICES}
    assert not digest_reaches_anyone(office_settings(db_url, port, tmp_path, routing=no_mail))
    # alerts.email = false stops instant alert mails only: the digest still goes by e-mail.
    assert digest_reaches_anyone(office_settings(db_url, port, tmp_path, alerts={"email": False}))
