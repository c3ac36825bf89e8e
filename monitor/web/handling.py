"""How a request is handled: who is asking, may they, is the form genuine; then one unit of work.

Endpoints are plain functions of a `Ctx` run in a worker thread inside one database session;
`endpoint()` turns them into Starlette endpoints that check the session or bearer token, the role
and the CSRF token first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from monitor.display import local_time, safe_text
from monitor.i18n import Language
from monitor.notes import note_text
from monitor.notify import texts
from monitor.reports.words import ACTION_WORDS, STATUS_WORDS
from monitor.settings import Settings
from monitor.store.accounts import AccountRepository
from monitor.store.db import session_scope
from monitor.store.schema_accounts import User
from monitor.web import auth
from monitor.web.words import word

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_FORM_BYTES = 2_000_000
TABLES: dict[str, dict[str, tuple[str, str]]] = {
    "verdict": texts.VERDICTS,
    "triage": texts.TRIAGE,
    "status": texts.STATUSES,
    "event": texts.EVENTS,
    "platform": texts.PLATFORMS,
    "source": texts.SOURCES,
    "run": texts.RUN_STATUS,
    "daemon": texts.DAEMON_STATES,
    "page_state": texts.PAGE_STATES,
    "report": STATUS_WORDS,
    "report_action": ACTION_WORDS,
}


class Refusal(Exception):
    """Stop handling: answer `status` with the words of `key` (a page, or JSON for the API)."""

    def __init__(self, status: int, key: str, code: str) -> None:
        super().__init__(key)
        self.status, self.key, self.code = status, key, code


FORBIDDEN = (403, "error.forbidden", "forbidden")
BAD_CSRF = (403, "error.csrf", "csrf")
NOT_FOUND = (404, "error.not_found", "not_found")
BAD_REQUEST = (400, "error.bad_request", "bad_request")


def refuse(kind: tuple[int, str, str]) -> Refusal:
    return Refusal(*kind)


@dataclass
class Console:
    """What every request shares: settings, the database, the session signer and the templates."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    signer: auth.Signer
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=select_autoescape(["html"], default_for_string=True, default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    @property
    def zone(self) -> str:
        return self.settings.evidence.display_timezone

    def secure_cookies(self, request: Request) -> bool:
        public = self.settings.web.public_url or ""
        return request.url.scheme == "https" or public.startswith("https://")


@dataclass
class Ctx:
    """One request being handled: the account, its language, the open session, the form."""

    console: Console
    request: Request
    session: Session
    user: User | None
    csrf: str
    form: FormData | None = None
    body: Any = None
    via_token: bool = False
    new_cookie: dict[str, Any] | None = None

    @property
    def lang(self) -> Language:
        return "en" if self.user is not None and self.user.language == "en" else "vi"

    @property
    def actor(self) -> str:
        return self.user.username if self.user is not None else "?"

    def field(self, name: str, limit: int = 2000) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value[:limit] if isinstance(value, str) else ""

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [value for value in self.form.getlist(name) if isinstance(value, str)]

    def t(self, key: str, **values: Any) -> str:
        return word(key, self.lang, **values)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        lang = self.lang

        def lbl(table: str, code: str | None) -> str:
            return texts.label(TABLES[table], code, lang) if code else word("none", lang)

        page = self.console.env.get_template(template).render(
            t=lambda key, **kw: word(key, lang, **kw),
            text=lambda key, **kw: texts.text(key, lang, **kw),
            lbl=lbl,
            when=lambda value: local_time(value, self.console.zone, empty="—"),
            shown=lambda value, limit=300: safe_text(str(value), limit) if value is not None else "",
            # Stored run and page notes: their known English phrases in the reader's words.
            note=lambda value, limit=300: safe_text(note_text(str(value), lang), limit) if value else "",
            lang=lang,
            user=self.user,
            csrf=self.csrf,
            path=self.request.url.path,
            **values,
        )
        return HTMLResponse(page, status_code=status)


Handler = Callable[[Ctx], Response]


def _payload(console: Console, request: Request) -> dict[str, Any] | None:
    return console.signer.loads(request.cookies.get(auth.COOKIE))


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _deny(api: bool, request: Request, console: Console, kind: Refusal, lang: Language) -> Response:
    if api:
        return JSONResponse({"error": kind.code, "message": word(kind.key, lang)}, status_code=kind.status)
    html = console.env.get_template("error.html").render(
        t=lambda key, **kw: word(key, lang, **kw), message=word(kind.key, lang), lang=lang, user=None
    )
    return HTMLResponse(html, status_code=kind.status)


def _run(
    console: Console,
    request: Request,
    handler: Handler,
    role: str | None,
    api: bool,
    form: FormData | None,
    body: Any,
) -> Response:
    payload = _payload(console, request)
    with session_scope(console.factory) as session:
        token = _bearer(request) if api else None
        user = AccountRepository(session).user_for_token(token) if token else auth.user_of(session, payload)
        lang: Language = "en" if user is not None and user.language == "en" else "vi"
        if role is not None:
            if user is None:
                if api:
                    return JSONResponse({"error": "unauthorized"}, status_code=401)
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                login = request.url_for("login").include_query_params(next=target)
                return RedirectResponse(str(login.path) + "?" + login.query, status_code=303)
            if not auth.allowed(user, role):
                return _deny(api, request, console, refuse(FORBIDDEN), lang)
        csrf = str(payload.get("c")) if payload else ""
        if request.method == "POST" and not (api and token):
            given = request.headers.get("x-csrf-token") if api else (form.get("csrf_token") if form else None)
            if not auth.same_token(csrf, given if isinstance(given, str) else None):
                return _deny(api, request, console, refuse(BAD_CSRF), lang)
        ctx = Ctx(console, request, session, user, csrf, form, body, via_token=bool(token))
        try:
            response = handler(ctx)
        except Refusal as refusal:
            session.rollback()
            return _deny(api, request, console, refusal, ctx.lang)
    if ctx.new_cookie is not None:
        set_session_cookie(console, request, response, ctx.new_cookie)
    return response


def set_session_cookie(
    console: Console, request: Request, response: Response, payload: Mapping[str, Any]
) -> None:
    response.set_cookie(
        auth.COOKIE,
        console.signer.dumps(dict(payload)),
        max_age=max(1, int(payload["x"] - time.time())),
        path="/",
        httponly=True,
        samesite="lax",
        secure=console.secure_cookies(request),
    )


def endpoint(
    role: str | None = "viewer", *, api: bool = False
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """A Starlette endpoint running `handler` for accounts of at least `role` (None: no login needed)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            console: Console = request.app.state.console
            form: FormData | None = None
            body: Any = None
            if request.method == "POST":
                length = request.headers.get("content-length", "0")
                if not length.isdigit() or int(length) > MAX_FORM_BYTES:
                    return JSONResponse({"error": "too_large"}, status_code=413)
                kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
                raw = await request.body()
                if len(raw) > MAX_FORM_BYTES:
                    return JSONResponse({"error": "too_large"}, status_code=413)
                if api and kind == "application/json":
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        return JSONResponse({"error": "bad_json"}, status_code=400)
                elif kind in ("application/x-www-form-urlencoded", ""):
                    # The console's forms are plain url-encoded fields (no file uploads).
                    text = raw.decode("utf-8", "replace")
                    try:
                        fields: list[tuple[str, str | UploadFile]] = list(
                            parse_qsl(text, keep_blank_values=True, max_num_fields=20_000)
                        )
                    except ValueError:  # more fields than any form of the console has
                        return JSONResponse({"error": "too_many_fields"}, status_code=400)
                    form = FormData(fields)
                else:
                    return JSONResponse({"error": "unsupported_media_type"}, status_code=415)
            return await run_in_threadpool(_run, console, request, handler, role, api, form, body)

        run.__name__ = handler.__name__
        return run

    return wrap
