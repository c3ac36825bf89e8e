"""Sessions, roles, CSRF, throttling, redirects and headers of the console, over HTTP on loopback."""

from __future__ import annotations

import stat
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from monitor.store.accounts import AccountRepository
from monitor.store.db import open_database, session_factory, session_scope
from monitor.store.schema import AllowlistEntry, TriageEvent
from monitor.web.auth import MAX_ACCOUNT_FAILURES, load_secret, safe_next, secret_path
from monitor.web.passwords import new_token
from tests.web.conftest import PASSWORD, Console, csrf_of, login, running


def test_pages_need_a_session_and_the_api_answers_401(console: Console) -> None:
    with console.client() as client:
        response = client.get("/findings")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=%2Ffindings"
        assert client.get(f"/findings/{console.seeded.hostile}").status_code == 303
        assert client.get("/sources").status_code == 303
        assert client.get("/api/findings").status_code == 401
        assert client.get("/api/findings", headers={"Authorization": "Bearer nope"}).status_code == 401
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}


def test_login_sets_a_safe_cookie_and_logout_needs_the_form_token(console: Console) -> None:
    with console.client() as client:
        response = login(client, "oanh", PASSWORD)
        assert response.status_code == 303
        assert response.headers["location"] == "/findings"
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "secure" not in cookie  # plain http on loopback
        page = client.get("/findings")
        assert page.status_code == 200
        copied = dict(client.cookies)
        assert client.post("/logout", data={}).status_code == 403
        assert client.post("/logout", data={"csrf_token": csrf_of(page.text)}).status_code == 303
        assert client.get("/findings").status_code == 303
    with console.client() as other:
        other.cookies.update(copied)
        assert other.get("/findings").status_code == 303  # a copied cookie ends with the logout


def test_wrong_password_and_unknown_user_answer_alike(console: Console) -> None:
    with console.client() as client:
        wrong = login(client, "oanh", "not the password")
        unknown = login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in wrong.text
    assert "Sai tên đăng nhập hoặc mật khẩu." in unknown.text


def test_an_account_is_locked_after_repeated_failures(console: Console) -> None:
    with console.client() as client:
        for _ in range(MAX_ACCOUNT_FAILURES):
            assert login(client, "olga", "guess").status_code == 401
        locked = login(client, "olga", PASSWORD)
        assert locked.status_code == 429
        assert "quá nhiều lần đăng nhập sai" in locked.text.lower()
        # Another account from the same address is not locked by it.
        assert login(client, "oanh", PASSWORD).status_code == 303


def test_the_login_form_needs_its_csrf_token(console: Console) -> None:
    with console.client() as client:
        client.get("/login")
        response = client.post("/login", data={"username": "oanh", "password": PASSWORD})
        assert response.status_code == 403
        forged = client.post(
            "/login", data={"username": "oanh", "password": PASSWORD, "csrf_token": "x" * 32}
        )
        assert forged.status_code == 403


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "http:/x", " /x"],
)
def test_no_open_redirect_after_login(console: Console, target: str) -> None:
    with console.client() as client:
        response = login(client, "oanh", PASSWORD, next_url=target)
    location = response.headers["location"]
    assert location == "/findings"
    assert not urlsplit(location).netloc


def test_login_returns_to_the_page_asked_for(console: Console) -> None:
    with console.client() as client:
        response = login(client, "oanh", PASSWORD, next_url="/findings?platform=tiktok")
    assert response.headers["location"] == "/findings?platform=tiktok"


def test_safe_next_keeps_only_local_paths() -> None:
    assert safe_next("/findings/3#timeline") == "/findings/3#timeline"
    assert safe_next("//x") == "/findings"
    assert safe_next("/x\r\nLocation: //evil") == "/findings"


def test_a_viewer_reads_but_cannot_triage(console: Console) -> None:
    finding = console.seeded.hostile
    with console.login("vy") as client:
        page = client.get(f"/findings/{finding}")
        assert page.status_code == 200
        assert 'action="/findings/' not in page.text  # no decision form for a viewer
        token = csrf_of(page.text)
        refused = client.post(
            f"/findings/{finding}/triage", data={"action": "confirmed", "csrf_token": token}
        )
        assert refused.status_code == 403
        assert client.post("/tips", data={"url": "https://x.example", "csrf_token": token}).status_code == 403
        assert client.get("/users").status_code == 403
    assert _triage_events(console) == 0


def test_a_post_without_a_valid_csrf_token_is_refused(console: Console) -> None:
    finding = console.seeded.hostile
    with console.login("oanh") as client:
        missing = client.post(f"/findings/{finding}/triage", data={"action": "confirmed"})
        wrong = client.post(
            f"/findings/{finding}/triage", data={"action": "confirmed", "csrf_token": "forged"}
        )
        assert missing.status_code == wrong.status_code == 403
        assert "mã bảo vệ biểu mẫu" in missing.text
        api = client.post(f"/api/findings/{finding}/triage", json={"action": "confirmed"})
        assert api.status_code == 403
    assert _triage_events(console) == 0


def test_bearer_tokens_use_the_api_without_csrf_and_die_with_the_account(console: Console) -> None:
    token = new_token()
    engine = open_database(console.settings.database.url)
    factory = session_factory(engine)
    with session_scope(factory) as session:
        repo = AccountRepository(session)
        user = repo.by_name("oanh")
        assert user is not None
        repo.add_token(user, token)
    headers = {"Authorization": f"Bearer {token}"}
    finding = console.seeded.renamed
    with console.client() as client:
        done = client.post(
            f"/api/findings/{finding}/triage", json={"action": "reported", "note": "đã gửi"}, headers=headers
        )
        assert done.status_code == 200, done.text
        assert done.json()["event"]["actor"] == "oanh"
        assert done.json()["triage"] == "reported"
        assert client.get("/api/me", headers=headers).json()["role"] == "officer"
        with session_scope(factory) as session:
            repo = AccountRepository(session)
            user = repo.by_name("oanh")
            assert user is not None
            repo.disable(user)
        assert client.get("/api/findings", headers=headers).status_code == 401
    engine.dispose()


def test_a_disabled_account_loses_its_session(console: Console) -> None:
    with console.login("olga") as client:
        assert client.get("/findings").status_code == 200
        engine = open_database(console.settings.database.url)
        with session_scope(session_factory(engine)) as session:
            repo = AccountRepository(session)
            user = repo.by_name("olga")
            assert user is not None
            repo.disable(user)
        engine.dispose()
        assert client.get("/findings").status_code == 303


def test_security_headers_on_every_page(console: Console) -> None:
    with console.client() as anonymous:
        assert "frame-ancestors 'none'" in anonymous.get("/login").headers["content-security-policy"]
    with console.login("oanh") as client:
        for path in ("/findings", f"/findings/{console.seeded.renamed}", "/sources", "/tips"):
            response = client.get(path)
            assert response.status_code == 200, path
            csp = response.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp
            assert "script-src" not in csp
            assert "default-src 'none'" in csp
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "same-origin"
            assert response.headers["cache-control"] == "no-store"


def test_sessions_survive_a_restart_with_the_kept_key(console: Console) -> None:
    path = secret_path(console.settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(console.settings) == path.read_bytes().strip()
    with console.login("oanh") as client:
        cookies = dict(client.cookies)
    with running(console.settings) as url, httpx.Client(base_url=url, cookies=cookies) as again:
        assert again.get("/findings").status_code == 200


def _triage_events(console: Console) -> int:
    engine = open_database(console.settings.database.url)
    try:
        with session_scope(session_factory(engine)) as session:
            return int(session.scalar(select(func.count()).select_from(TriageEvent)) or 0)
    finally:
        engine.dispose()


def test_only_an_admin_marks_official_which_allowlists(console: Console) -> None:
    finding = console.seeded.renamed
    with console.login("oanh") as client:
        page = client.get(f"/findings/{finding}")
        assert 'value="official"' not in page.text
        refused = client.post(
            f"/findings/{finding}/triage", data={"action": "official", "csrf_token": csrf_of(page.text)}
        )
        assert refused.status_code == 403
    with console.login("an") as client:
        page = client.get(f"/findings/{finding}")
        assert 'value="official"' in page.text
        done = client.post(
            f"/findings/{finding}/triage", data={"action": "official", "csrf_token": csrf_of(page.text)}
        )
        assert done.status_code == 303
    engine = open_database(console.settings.database.url)
    with session_scope(session_factory(engine)) as session:
        entries = [(e.brand, e.identity) for e in session.scalars(select(AllowlistEntry))]
    engine.dispose()
    assert entries == [("bhxh-binh-duong", "tiktok:@bhxhbd")]
