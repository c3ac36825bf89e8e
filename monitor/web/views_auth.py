"""Sign in and out, the account's language, and the health check."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from monitor.i18n import LANGUAGES
from monitor.store.accounts import AccountRepository
from monitor.web import auth
from monitor.web.handling import Console, Ctx, endpoint


def _client(ctx: Ctx) -> str:
    client = ctx.request.client
    return client.host if client is not None else "unknown"


@endpoint(role=None)
def login_page(ctx: Ctx) -> Response:
    if ctx.user is not None:
        return RedirectResponse(auth.safe_next(ctx.request.query_params.get("next")), status_code=303)
    return _login_form(ctx, None, 200)


def _login_form(ctx: Ctx, message: str | None, status: int, username: str = "") -> Response:
    if not ctx.csrf:
        ctx.new_cookie = auth.pre_login_payload()
        ctx.csrf = ctx.new_cookie["c"]
    target = auth.safe_next(ctx.request.query_params.get("next") or ctx.field("next"))
    return ctx.render("login.html", status, message=message, next=target, username=username)


@endpoint(role=None)
def login_submit(ctx: Ctx) -> Response:
    username = ctx.field("username", 200)
    password = ctx.field("password", 4096)
    result = auth.attempt_login(ctx.session, username, password, _client(ctx))
    if result.user is None:
        key = "login.throttled" if result.outcome == "throttled" else "login.wrong"
        ctx.new_cookie = auth.pre_login_payload()
        ctx.csrf = ctx.new_cookie["c"]
        return _login_form(ctx, ctx.t(key), 429 if result.outcome == "throttled" else 401, username[:64])
    ctx.user = result.user
    ctx.new_cookie = auth.session_payload(result.user, auth.expires_in(ctx.console.settings))
    return RedirectResponse(auth.safe_next(ctx.field("next")), status_code=303)


@endpoint(role=None)
def logout(ctx: Ctx) -> Response:
    """Ends every session of the account (a copied cookie stops working too), then forgets the cookie."""
    if ctx.user is not None and not ctx.via_token:
        ctx.user.session_epoch += 1
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.COOKIE, path="/")
    return response


@endpoint(role="viewer")
def set_language(ctx: Ctx) -> Response:
    lang = ctx.field("lang", 8)
    if lang in LANGUAGES and ctx.user is not None:
        AccountRepository(ctx.session).set_language(ctx.user, lang)
    return RedirectResponse(auth.safe_next(ctx.field("next")), status_code=303)


async def healthz(request: Request) -> Response:
    """No login: the container's health check. 200 while the database answers."""
    console: Console = request.app.state.console

    def ping() -> bool:
        try:
            with console.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # any failure of the store means unhealthy
            return False
        return True

    from starlette.concurrency import run_in_threadpool

    healthy = await run_in_threadpool(ping)
    return JSONResponse(
        {"status": "ok" if healthy else "database_unavailable"}, status_code=200 if healthy else 503
    )
