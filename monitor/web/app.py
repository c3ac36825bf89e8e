"""The console's ASGI application: routes, security headers and static files."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.settings import Settings
from monitor.store.db import session_factory
from monitor.web import api, views_auth, views_finding, views_queue, views_sources, views_tips, views_users
from monitor.web.auth import Signer, load_secret
from monitor.web.handling import Console

STATIC = Path(__file__).resolve().parent / "static"
# Pages load only the console's own stylesheet; nothing may frame them, forms post only here.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds the security headers to every response; a response with its own CSP keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in HEADERS.items():
                    if name not in present:
                        headers.append((name, value))
                if b"cache-control" not in present and not scope["path"].startswith("/static/"):
                    # Pages hold officers' cases: no shared or back-button cache keeps them.
                    headers.append((b"cache-control", b"no-store"))
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                    headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def home(request: Request) -> Response:
    return RedirectResponse("/findings", status_code=303)


ROUTES = [
    Route("/", home),
    Route("/healthz", views_auth.healthz),
    Route("/login", views_auth.login_page, methods=["GET"], name="login"),
    Route("/login", views_auth.login_submit, methods=["POST"]),
    Route("/logout", views_auth.logout, methods=["POST"]),
    Route("/account/language", views_auth.set_language, methods=["POST"]),
    Route("/findings", views_queue.queue, methods=["GET"]),
    Route("/findings/bulk", views_queue.bulk_confirm, methods=["POST"]),
    Route("/findings/bulk/apply", views_queue.bulk_apply, methods=["POST"]),
    Route("/findings/{finding_id}", views_finding.finding_page, methods=["GET"]),
    Route("/findings/{finding_id}/triage", views_finding.triage, methods=["POST"]),
    Route("/findings/{finding_id}/captures/{capture_id}", views_finding.capture_text, methods=["GET"]),
    Route("/findings/{finding_id}/captures/{capture_id}/frame", views_finding.capture_frame, methods=["GET"]),
    Route("/findings/{finding_id}/files/{file_id}", views_finding.evidence_file, methods=["GET"]),
    Route("/sources", views_sources.sources_page, methods=["GET"]),
    Route("/tips", views_tips.tips_page, methods=["GET"]),
    Route("/tips", views_tips.tips_submit, methods=["POST"]),
    Route("/users", views_users.users_page, methods=["GET"]),
    Route("/api/me", api.api_me, methods=["GET"]),
    Route("/api/findings", api.api_findings, methods=["GET"]),
    Route("/api/findings/{finding_id}", api.api_finding, methods=["GET"]),
    Route("/api/findings/{finding_id}/triage", api.api_triage, methods=["POST"]),
    Route("/api/tips", api.api_tip, methods=["POST"]),
    Route("/api/sources", api.api_sources, methods=["GET"]),
    Mount("/static", StaticFiles(directory=str(STATIC)), name="static"),
]


def create_app(settings: Settings, engine: Engine) -> ASGIApp:
    """The console over `engine` (already migrated): a Starlette app wrapped in the security headers."""
    app = Starlette(routes=ROUTES)
    app.state.console = Console(settings, engine, session_factory(engine), Signer(load_secret(settings)))
    return SecurityHeaders(app)
