"""Machine submissions against loopback stand-ins: Netcraft-like API, RDAP servers and an SMTP server."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.reports import ReportRepository
from tests.notify.helpers import smtp_server
from tests.reports.helpers import HOSTILE, RunCli, add_finding
from tests.support.loopback import serve

ABUSE = "abuse@registrar.test"


@dataclass
class StandIn:
    """A Netcraft-like report API and an RDAP bootstrap, registry and registrar on one loopback server."""

    base: str = ""
    reports: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    polled: list[str] = field(default_factory=list)
    rdap_paths: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def report_urls(request: Request) -> JSONResponse:
            self.reports.append(json.loads(await request.body()))
            self.headers.append(dict(request.headers))
            return JSONResponse({"message": "Successfully reported", "uuid": f"uuid-{len(self.reports)}"})

        async def submission(request: Request) -> JSONResponse:
            self.polled.append(request.path_params["uuid"])
            return JSONResponse({"state": "malicious", "urls": []})

        async def bootstrap(request: Request) -> JSONResponse:
            self.rdap_paths.append(request.url.path)
            return JSONResponse(
                {
                    "version": "1.0",
                    "services": [[["net"], ["https://rdap.invalid/"]], [["com"], [f"{self.base}/registry/"]]],
                }
            )

        async def registry(request: Request) -> JSONResponse:
            self.rdap_paths.append(request.url.path)
            name = request.path_params["name"]
            return JSONResponse(
                {
                    "objectClassName": "domain",
                    "ldhName": name.upper(),
                    "links": [
                        {
                            "rel": "related",
                            "type": "application/rdap+json",
                            "href": f"{self.base}/registrar/domain/{name}",
                        }
                    ],
                    "entities": [
                        {
                            "objectClassName": "entity",
                            "roles": ["registrar"],
                            "vcardArray": ["vcard", [["fn", {}, "text", "Registrar Co"]]],
                        }
                    ],
                }
            )

        async def registrar(request: Request) -> JSONResponse:
            self.rdap_paths.append(request.url.path)
            vcard = ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", "Registrar Co"]]]
            abuse = ["vcard", [["version", {}, "text", "4.0"], ["email", {}, "text", ABUSE]]]
            return JSONResponse(
                {
                    "objectClassName": "domain",
                    "entities": [
                        {
                            "roles": ["registrar"],
                            "vcardArray": vcard,
                            "entities": [{"roles": ["abuse"], "vcardArray": abuse}],
                        }
                    ],
                }
            )

        return Starlette(
            routes=[
                Route("/api/v3/report/urls", report_urls, methods=["POST"]),
                Route("/api/v3/submission/{uuid}", submission),
                Route("/rdap/dns.json", bootstrap),
                Route("/registry/domain/{name}", registry),
                Route("/registrar/domain/{name}", registrar),
            ]
        )


def test_netcraft_and_abuse_mail_go_once_each_and_only_after_approval(
    db_url: str, tmp_path: Path, run_cli: RunCli
) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        finding = add_finding(
            session, "web", "web:bhxh-binhduong.com", "https://www.bhxh-binhduong.com/rut-bhxh-1-lan", HOSTILE
        )
        finding_id = finding.id
        repo = ReportRepository(session)
        for key, kind in (("netcraft", "netcraft"), ("abuse", "registrar")):
            repo.ensure(finding_id, finding.brand, key, kind, actor="An", now=finding.first_seen_at)
    stand_in = StandIn()
    with serve(stand_in.app()) as base, smtp_server() as smtp:
        stand_in.base = base
        env = {
            "MONITOR_DATABASE__URL": db_url,
            "MONITOR_EVIDENCE__DIR": str(tmp_path / "evidence"),
            "MONITOR_REPORTS__NETCRAFT__URL": f"{base}/api/v3",
            "MONITOR_REPORTS__NETCRAFT__API_KEY": "nc-secret",
            "MONITOR_REPORTS__RDAP_BOOTSTRAP_URL": f"{base}/rdap/dns.json",
            "MONITOR_EMAIL__SMTP_HOST": "127.0.0.1",
            "MONITOR_EMAIL__SMTP_PORT": str(smtp.port),
            "MONITOR_EMAIL__SECURITY": "none",
            "MONITOR_EMAIL__SENDER": "vanphong@example.vn",
            "MONITOR_EMAIL__RECIPIENTS": '["canbo@example.vn"]',
        }
        # Not approved: nothing leaves.
        code, out, err = run_cli(env, "reports", "submit", "--brand", "bhxh-binh-duong")
        assert code == 0, err
        assert "Không có báo cáo nào đã duyệt" in out
        assert stand_in.reports == []
        assert smtp.mailbox.messages == []
        assert stand_in.rdap_paths == []

        for key in ("netcraft", "abuse"):
            code, out, err = run_cli(env, "reports", "approve", str(finding_id), "--to", key, "--by", "Lan")
            assert code == 0, err
            assert "monitor reports submit" in out
        code, out, err = run_cli(env, "reports", "submit", "--brand", "bhxh-binh-duong", "--by", "Lan")
        assert code == 0, err + out
        assert out.count("đã gửi") == 2

        # Twice more: still one report and one mail.
        for _ in range(2):
            code, out, err = run_cli(env, "reports", "submit", "--brand", "bhxh-binh-duong")
            assert code == 0, err
        assert len(stand_in.reports) == 1
        assert stand_in.reports[0]["urls"] == [{"url": "https://www.bhxh-binhduong.com/rut-bhxh-1-lan"}]
        assert stand_in.headers[0]["authorization"] == "Bearer nc-secret"
        assert stand_in.rdap_paths == [
            "/rdap/dns.json",
            "/registry/domain/bhxh-binhduong.com",
            "/registrar/domain/bhxh-binhduong.com",
        ]
        assert len(smtp.mailbox.messages) == 1
        received = smtp.mailbox.messages[0]
        assert received.rcpt_tos == [ABUSE]
        message = received.message
        assert message["To"] == ABUSE
        subject = str(message["Subject"])
        assert "Phishing impersonating Bảo hiểm xã hội tỉnh Bình Dương" in subject
        assert "\n" not in subject
        plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert "Tên miền: bhxh-binhduong.com" in plain
        assert "Domain: bhxh-binhduong.com" in plain
        assert "Registrar Co" in plain
        assert not any(ch in plain for ch in "\x00\x07\x1b\u202e")
        assert "<b>BHXH</b>" not in html
        assert "&lt;b&gt;BHXH&lt;/b&gt;" in html
        assert len(plain) < 20_000

        code, out, err = run_cli(env, "reports", "poll", "--brand", "bhxh-binh-duong")
        assert code == 0, err
        assert stand_in.polled == ["uuid-1"]

    with session_scope(factory) as session:
        reports = {r.channel: r for r in ReportRepository(session).for_finding(finding_id)}
        netcraft, abuse = reports["netcraft"], reports["abuse"]
        assert netcraft.reference == "uuid-1"
        assert netcraft.remote_state == "malicious"
        assert netcraft.status == "waiting"
        assert netcraft.submitted_by == "Lan"
        assert abuse.status == "submitted"
        assert abuse.destination == f"mailto:{ABUSE}"
        assert abuse.next_follow_up_at is not None
        assert abuse.submitted_at is not None
        assert abuse.next_follow_up_at - abuse.submitted_at == timedelta(days=7)
    engine.dispose()


def test_a_failed_send_is_recorded_and_can_be_tried_again(
    db_url: str, tmp_path: Path, run_cli: RunCli
) -> None:
    engine = open_database(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        finding = add_finding(session, "web", "web:fake.com", "https://fake.com/", "Fake")
        finding_id = finding.id
        report = ReportRepository(session).ensure(
            finding.id, finding.brand, "abuse", "registrar", actor=None, now=finding.first_seen_at
        )
        ReportRepository(session).approve(report, actor="Lan", now=finding.first_seen_at)
    stand_in = StandIn()
    with serve(stand_in.app()) as base:
        stand_in.base = base
        env = {
            "MONITOR_DATABASE__URL": db_url,
            "MONITOR_REPORTS__RDAP_BOOTSTRAP_URL": f"{base}/rdap/dns.json",
            "MONITOR_EMAIL__SMTP_HOST": "127.0.0.1",
            "MONITOR_EMAIL__SMTP_PORT": "1",  # nothing listens: refused
            "MONITOR_EMAIL__SECURITY": "none",
            "MONITOR_EMAIL__SENDER": "vanphong@example.vn",
            "MONITOR_EMAIL__RECIPIENTS": '["canbo@example.vn"]',
        }
        code, out, _ = run_cli(env, "reports", "submit", "--brand", "bhxh-binh-duong")
        assert code == 1
        assert "lỗi" in out
        with smtp_server() as smtp:
            env["MONITOR_EMAIL__SMTP_PORT"] = str(smtp.port)
            code, out, err = run_cli(env, "reports", "submit", "--brand", "bhxh-binh-duong")
            assert code == 0, err + out
            assert len(smtp.mailbox.messages) == 1
    with session_scope(factory) as session:
        (report,) = ReportRepository(session).for_finding(finding_id)
        assert report.status == "submitted"
        actions = [e.action for e in ReportRepository(session).events(report.id)]
        assert actions == ["created", "approved", "note", "submitted"]
    engine.dispose()
