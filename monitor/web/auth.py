"""Sessions, CSRF tokens, login throttling and role checks of the console.

A session is a signed cookie (HMAC-SHA256 over a small JSON payload: user id, the account's session
epoch, a CSRF token, an expiry). Disabling an account or changing its password raises its epoch, so
older cookies stop working. Before login the same cookie carries only a CSRF token for the form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from monitor.settings import Settings
from monitor.store.accounts import RANK, AccountRepository
from monitor.store.schema import utcnow
from monitor.store.schema_accounts import User
from monitor.web.passwords import verify_password, waste_time

COOKIE = "monitor_session"
SECRET_FILE = "web-secret.key"  # noqa: S105 (a file name)
# Failed logins that lock an account, or an address, for the rest of the window.
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5
MAX_ADDRESS_FAILURES = 20
PRE_LOGIN_SECONDS = 3600.0


def secret_path(settings: Settings) -> Path:
    """Where a generated key is kept: the data folder (the one that holds the evidence folder)."""
    return settings.evidence.dir.parent / SECRET_FILE


def load_secret(settings: Settings) -> bytes:
    """MONITOR_WEB__SECRET_KEY, else the key kept in the data folder (made once, mode 0600)."""
    if settings.web.secret_key is not None:
        return settings.web.secret_key.get_secret_value().encode("utf-8")
    path = secret_path(settings)
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode("ascii")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another console process made it first
        return path.read_bytes().strip()
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key + b"\n")
    return key


class Signer:
    """Signs and reads cookie payloads with one key."""

    def __init__(self, key: bytes) -> None:
        self._key = hashlib.sha256(b"monitor-web-session:" + key).digest()

    def _mac(self, body: bytes) -> str:
        return hmac.new(self._key, body, hashlib.sha256).hexdigest()

    def dumps(self, payload: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=")
        return f"{body.decode('ascii')}.{self._mac(body)}"

    def loads(self, value: str | None, now: float | None = None) -> dict[str, Any] | None:
        """The payload of a cookie this key signed and that has not expired; None otherwise."""
        if not value or len(value) > 4096 or "." not in value:
            return None
        body, _, mac = value.rpartition(".")
        if not hmac.compare_digest(self._mac(body.encode("ascii", "replace")), mac):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("x"), int | float):
            return None
        if payload["x"] < (time.time() if now is None else now):
            return None
        return payload


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


def session_payload(user: User, lifetime: float) -> dict[str, Any]:
    return {"u": user.id, "e": user.session_epoch, "c": new_csrf(), "x": int(time.time() + lifetime)}


def pre_login_payload() -> dict[str, Any]:
    return {"c": new_csrf(), "x": int(time.time() + PRE_LOGIN_SECONDS)}


def user_of(session: Session, payload: dict[str, Any] | None) -> User | None:
    """The active account a session payload names, if its epoch is still current."""
    if not payload or not isinstance(payload.get("u"), int):
        return None
    user = AccountRepository(session).by_id(payload["u"])
    if user is None or not user.active or user.session_epoch != payload.get("e"):
        return None
    return user


def allowed(user: User, role: str) -> bool:
    return RANK.get(user.role, -1) >= RANK[role]


def safe_next(target: str | None, default: str = "/findings") -> str:
    """A path on this site to go to after login; anything else (other hosts, schemes, //x) is refused."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(ch) < 0x20 or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    # ok | throttled | wrong
    outcome: str


def attempt_login(session: Session, username: str, password: str, address: str) -> LoginResult:
    """Check a login against the password and the throttle; every attempt is recorded."""
    repo = AccountRepository(session)
    now = utcnow()
    since = now - THROTTLE_WINDOW
    repo.forget_attempts(now - 4 * THROTTLE_WINDOW)
    name = username.strip()[:64]
    if (
        repo.failures_since(since, username=name) >= MAX_ACCOUNT_FAILURES
        or repo.failures_since(since, address=address) >= MAX_ADDRESS_FAILURES
    ):
        repo.record_attempt(name, address, False, now)
        return LoginResult(None, "throttled")
    user = repo.by_name(name) if name else None
    if user is None or not user.active:
        waste_time(password)
        repo.record_attempt(name, address, False, now)
        return LoginResult(None, "wrong")
    if not verify_password(user.password_hash, password):
        repo.record_attempt(name, address, False, now)
        return LoginResult(None, "wrong")
    repo.record_attempt(name, address, True, now)
    return LoginResult(user, "ok")


def expires_in(settings: Settings) -> float:
    return settings.web.session_hours * 3600.0


def lockout_until(now: datetime) -> datetime:
    return now + THROTTLE_WINDOW
