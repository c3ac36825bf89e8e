"""Password hashing with Argon2id (argon2-cffi) and API tokens; no web framework needed."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when `password` matches; a malformed hash or an over-long password never does."""
    if len(password) > MAX_PASSWORD_CHARS:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY: list[str] = []


def waste_time(password: str) -> None:
    """Spend the time of one verification, so an unknown user name answers as slowly as a known one."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
    verify_password(_DUMMY[0], password[:MAX_PASSWORD_CHARS])


def password_problem(password: str) -> tuple[str, str] | None:
    """Why a new password is refused, as (Vietnamese, English); None when it is acceptable."""
    if len(password) < MIN_PASSWORD_CHARS:
        return (
            f"mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự",
            f"the password needs at least {MIN_PASSWORD_CHARS} characters",
        )
    if len(password) > MAX_PASSWORD_CHARS:
        return (
            f"mật khẩu dài quá {MAX_PASSWORD_CHARS} ký tự",
            f"the password is longer than {MAX_PASSWORD_CHARS} characters",
        )
    return None


def new_token() -> str:
    """A bearer token for the API: shown once, kept only as its SHA-256."""
    return "mon_" + secrets.token_urlsafe(32)
