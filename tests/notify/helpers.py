"""Test helpers for notifications: a store seeded through the real lifecycle, and SMTP servers on loopback."""

from __future__ import annotations

import email
import email.policy
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session, sessionmaker

from monitor.settings import Authority, BrandSettings, EmailSettings, Settings
from monitor.store.db import session_scope
from monitor.store.findings import FindingData, FindingRepository
from monitor.store.scans import ScanRepository
from monitor.store.schema import Finding, Observation
from tests.support.loopback import free_port
from tests.support.scan_changes import diff

BRAND = "bhxh-binh-duong"
T0 = datetime(2026, 11, 1, 0, 30, tzinfo=UTC)  # 07:30 in Hồ Chí Minh City, in the past


def brand() -> BrandSettings:
    return BrandSettings(
        slug=BRAND,
        name="Bảo hiểm xã hội tỉnh Bình Dương",
        organization_terms=["Bảo hiểm xã hội", "BHXH"],
        authorities=[
            Authority(name="Cục An toàn thông tin", url="https://canhbao.khonggianmang.vn"),
            Authority(name="Tổng đài BHXH Việt Nam", phone="1900 9068", email="hotro@example.vn"),
        ],
    )


def settings(db_url: str, *, port: int | None = None, **email: Any) -> Settings:
    """Settings for one brand; e-mail to a loopback SMTP server when `port` is given."""
    mail = EmailSettings(
        smtp_host="127.0.0.1" if port else None,
        smtp_port=port or 587,
        security="none",
        sender="giamsat@bhxh-bd.example.vn",
        recipients=["canbo@bhxh-bd.example.vn"],
        timeout=5,
        **email,
    )
    return Settings.model_validate(
        {
            "config_path": Path("config/monitor.toml"),
            "brands": [brand()],
            "database": {"url": db_url},
            "email": mail,
        }
    )


def data(
    identity: str = "facebook:page:bhxhbd",
    name: str = "BHXH Bình Dương - Hỗ trợ rút BHXH 1 lần",
    *,
    verdict: str = "impersonation",
    platform: str = "facebook",
    url: str | None = None,
    page: str = "content",
    score: int = 92,
) -> FindingData:
    return FindingData(
        brand=BRAND,
        platform=platform,
        identity=identity,
        url=url or f"https://www.facebook.com/{identity.rsplit(':', 1)[-1]}",
        name=name,
        score=score,
        verdict=verdict,  # type: ignore[arg-type]
        reasons=[
            {"code": "organization_match", "detail": "Bảo hiểm xã hội", "weight": 40},
            {"code": "scam_phrase", "detail": "rút BHXH 1 lần", "weight": 30},
        ],
        signals=["phone:0901234567"],
        sources=frozenset({"duckduckgo"}),
        page=page,
        content_hash="c-" + name[:20],
        evidence_sha256="ab" * 32,
    )


def scan(
    factory: sessionmaker[Session],
    seen: list[FindingData],
    at: datetime,
    *,
    status: str = "ok",
    error: str | None = None,
    gone_after: int = 3,
) -> list[tuple[int, int]]:
    """One scan at `at` through diff + repository; returns (finding id, observation id) of its events."""
    events: list[tuple[int, int]] = []
    with session_scope(factory) as session:
        findings, scans = FindingRepository(session), ScanRepository(session)
        scan_id = scans.start([BRAND], "test", now=at).id
        results = len(seen) if status == "ok" else 0
        scans.record_run(scan_id, BRAND, "duckduckgo", status, 3, results, error, at, at)
        clean = {"duckduckgo"} if status == "ok" else set()
        by_id = {item.identity: item for item in seen}
        for change in diff(findings.known(BRAND), [i.seen() for i in seen], clean, gone_after=gone_after):
            if change.identity in by_id:
                finding, observation = findings.apply_sighting(
                    change, by_id[change.identity], scan_id, now=at
                )
            else:
                finding, observation = findings.apply_absence(BRAND, change, scan_id, now=at)
            if finding is not None and observation is not None:
                events.append((finding.id, observation.id))
    return events


def load(session: Session, pair: tuple[int, int]) -> tuple[Finding, Observation]:
    finding, observation = session.get(Finding, pair[0]), session.get(Observation, pair[1])
    assert finding is not None
    assert observation is not None
    return finding, observation


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Mailbox:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(raw)))
        return "250 Message accepted"


@dataclass
class SmtpServer:
    port: int
    mailbox: Mailbox


def _authenticator(user: str, password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return check


@contextmanager
def smtp_server(
    *,
    auth: tuple[str, str] | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    port: int | None = None,
) -> Iterator[SmtpServer]:
    """A real aiosmtpd server on 127.0.0.1 collecting what it receives."""
    mailbox = Mailbox()
    port = port or free_port()
    kwargs: dict[str, Any] = {}
    if auth is not None:
        kwargs.update(authenticator=_authenticator(*auth), auth_required=True)
        kwargs["auth_require_tls"] = starttls is not None
    if starttls is not None:
        kwargs.update(tls_context=starttls, require_starttls=True)
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=implicit_tls,
        server_hostname="localhost",
        **kwargs,
    )
    controller.start()
    try:
        yield SmtpServer(port, mailbox)
    finally:
        controller.stop()


@dataclass
class Hook:
    """A webhook receiver: records each POST; answers `status`."""

    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def hook(request: Request) -> JSONResponse:
            self.received.append((dict(request.headers), await request.body()))
            return JSONResponse({"ok": self.status < 400}, status_code=self.status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])
