"""Accounts repository: console users, their API tokens and the login attempts that throttle guessing."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from monitor.store.schema import utcnow
from monitor.store.schema_accounts import ApiToken, LoginAttempt, User

ROLES = ("viewer", "officer", "admin")
# What each role may do; a higher role may do everything a lower one may.
RANK = {role: rank for rank, role in enumerate(ROLES)}


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountRepository:
    """Reads and writes accounts in the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        username: str,
        password_hash: str,
        role: str,
        *,
        language: str = "vi",
        created_by: str | None = None,
    ) -> User:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        user = User(
            username=username,
            password_hash=password_hash,
            role=role,
            language=language,
            active=True,
            session_epoch=0,
            created_by=created_by,
        )
        self.session.add(user)
        self.session.flush()
        return user

    def by_name(self, username: str) -> User | None:
        return self.session.scalars(select(User).where(User.username == username)).one_or_none()

    def by_id(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def all(self) -> Sequence[User]:
        return self.session.scalars(select(User).order_by(User.username)).all()

    def disable(self, user: User, now: datetime | None = None) -> None:
        """No more sign-ins, sessions or tokens for this account."""
        user.active = False
        user.disabled_at = now or utcnow()
        user.session_epoch += 1
        self.session.flush()

    def set_password(self, user: User, password_hash: str) -> None:
        user.password_hash = password_hash
        user.session_epoch += 1
        self.session.flush()

    def set_language(self, user: User, language: str) -> None:
        user.language = language
        self.session.flush()

    def add_token(self, user: User, token: str) -> ApiToken:
        row = ApiToken(user_id=user.id, token_sha256=token_digest(token))
        self.session.add(row)
        self.session.flush()
        return row

    def user_for_token(self, token: str, now: datetime | None = None) -> User | None:
        """The active account a bearer token belongs to; None for an unknown or revoked token."""
        row = self.session.scalars(
            select(ApiToken).where(
                ApiToken.token_sha256 == token_digest(token), ApiToken.revoked_at.is_(None)
            )
        ).one_or_none()
        if row is None:
            return None
        user = self.session.get(User, row.user_id)
        if user is None or not user.active:
            return None
        row.last_used_at = now or utcnow()
        return user

    def token_counts(self) -> dict[int, int]:
        """Live tokens per user id."""
        rows = self.session.execute(
            select(ApiToken.user_id, func.count())
            .where(ApiToken.revoked_at.is_(None))
            .group_by(ApiToken.user_id)
        )
        return {row[0]: row[1] for row in rows}

    def record_attempt(
        self, username: str, address: str, succeeded: bool, now: datetime | None = None
    ) -> None:
        self.session.add(
            LoginAttempt(
                username=username[:64],
                address=address[:64],
                succeeded=succeeded,
                attempted_at=now or utcnow(),
            )
        )
        self.session.flush()

    def failures_since(
        self, since: datetime, *, username: str | None = None, address: str | None = None
    ) -> int:
        """Failed attempts since `since` for one account or one address, after its last success."""
        query = select(LoginAttempt.attempted_at, LoginAttempt.succeeded).where(
            LoginAttempt.attempted_at >= since
        )
        if username is not None:
            query = query.where(LoginAttempt.username == username[:64])
        if address is not None:
            query = query.where(LoginAttempt.address == address[:64])
        failures = 0
        for _, succeeded in self.session.execute(query.order_by(LoginAttempt.id)):
            failures = 0 if succeeded and address is None else failures + (not succeeded)
        return failures

    def forget_attempts(self, before: datetime) -> int:
        """Drop attempts older than the throttle window: the table stays small."""
        result = self.session.execute(delete(LoginAttempt).where(LoginAttempt.attempted_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
