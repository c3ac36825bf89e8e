"""Zalo Official Account: alerts as OA messages to followers, one channel per follower user id.

The access token and refresh token come from the environment. A refreshed pair is kept (mode 0600)
beside the evidence folder, because Zalo's refresh token works once; it is renewed before it expires, or
once when the API says it has expired. Errors are the API's codes in plain words.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from monitor.errors import NotifyError
from monitor.i18n import Language, tr
from monitor.log import get_logger
from monitor.notify.alerts import Alert
from monitor.notify.channels.base import BuildContext, DeliveryChannel, short_id
from monitor.notify.messages import ChatMessage
from monitor.settings import ZaloSettings

log = get_logger(__name__)
MAX_TEXT = 2000
TOKEN_FILE = "zalo-oa-token.json"  # noqa: S105 (a file name)
# Codes meaning "this access token no longer works": refresh once, then try again.
TOKEN_ERRORS = frozenset({-124, -201, -216})
ERRORS: dict[int, tuple[str, str]] = {
    -124: ("access token của OA đã hết hạn", "the OA access token has expired"),
    -201: ("access token của OA không hợp lệ", "the OA access token is invalid"),
    -216: ("access token của OA không hợp lệ hoặc đã hết hạn", "the OA access token is invalid or expired"),
    -202: ("ứng dụng không có quyền gửi tin thay OA", "the app may not send messages for the OA"),
    -204: ("nội dung tin nhắn không hợp lệ", "the message is not valid"),
    -205: ("không tìm thấy Official Account", "the Official Account does not exist"),
    -207: ("user id người nhận không hợp lệ", "the recipient's user id is invalid"),
    -213: ("người nhận chưa quan tâm OA", "the recipient does not follow the OA"),
    -230: (
        "người nhận không tương tác với OA trong 7 ngày qua nên chưa nhận được tin",
        "the recipient has not interacted with the OA in the last 7 days",
    ),
    -32: ("vượt giới hạn gọi API của Zalo, sẽ thử lại sau", "Zalo's API rate limit was exceeded"),
}


def _fingerprint(*values: str | None) -> str:
    return hashlib.sha256("\n".join(v or "" for v in values).encode()).hexdigest()[:16]


@dataclass
class _Pair:
    access: str
    refresh: str | None
    expires_at: datetime | None


class ZaloTokens:
    """The OA's current token pair, shared by every follower channel of one configuration."""

    def __init__(self, settings: ZaloSettings, path: Path | None, *, lang: Language = "vi") -> None:
        self.settings = settings
        self.path = path
        self.lang = lang
        self.refreshes = 0
        # One lock per event loop: the daemon runs each scan in a loop of its own.
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        access = settings.access_token.get_secret_value() if settings.access_token else ""
        refresh = settings.refresh_token.get_secret_value() if settings.refresh_token else None
        self._seed = _fingerprint(access, refresh)
        self._pair = self._load() or _Pair(access, refresh, None)

    def _load(self) -> _Pair | None:
        if self.path is None or not self.path.is_file():
            return None
        try:
            data = json.loads(self.path.read_text("utf-8"))
            if data.get("seed") != self._seed:
                return None  # new tokens were configured since: they win
            expires = data.get("expires_at")
            return _Pair(
                data["access"], data.get("refresh"), datetime.fromisoformat(expires) if expires else None
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _save(self) -> None:
        if self.path is None:
            return
        pair = self._pair
        data = {
            "seed": self._seed,
            "access": pair.access,
            "refresh": pair.refresh,
            "expires_at": pair.expires_at.isoformat() if pair.expires_at else None,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        os.replace(temporary, self.path)

    @property
    def access(self) -> str:
        return self._pair.access

    def secrets(self) -> list[str]:
        return [value for value in (self._pair.access, self._pair.refresh) if value]

    async def current(self, client: httpx.AsyncClient) -> str:
        """A token that will not expire in the next `refresh_before_seconds`."""
        pair = self._pair
        margin = timedelta(seconds=self.settings.refresh_before_seconds)
        if pair.expires_at is not None and datetime.now(UTC) >= pair.expires_at - margin:
            await self.refresh(client, pair.access)
        if not self._pair.access:
            await self.refresh(client, "")
        return self._pair.access

    async def refresh(self, client: httpx.AsyncClient, stale: str) -> None:
        """Renew the pair unless another sender already replaced `stale`."""
        loop = asyncio.get_running_loop()
        if loop not in self._locks:
            self._locks = {loop: asyncio.Lock()}
        async with self._locks[loop]:
            if self._pair.access != stale:
                return
            settings = self.settings
            if not (self._pair.refresh and settings.app_id and settings.app_secret):
                raise NotifyError(
                    tr(
                        "Zalo OA: token hết hạn, không làm mới được (cần refresh_token, app_id, app_secret)",
                        "Zalo OA: token expired, cannot renew (needs refresh_token, app_id, app_secret)",
                        self.lang,
                    )
                )
            try:
                response = await client.post(
                    f"{settings.oauth_url.rstrip('/')}/v4/oa/access_token",
                    headers={"secret_key": settings.app_secret.get_secret_value()},
                    data={
                        "app_id": settings.app_id,
                        "grant_type": "refresh_token",
                        "refresh_token": self._pair.refresh,
                    },
                )
                data: Any = response.json()
            except (httpx.HTTPError, OSError, ValueError) as exc:
                raise NotifyError(
                    tr(
                        "Zalo OA: không làm mới được token ({kind})",
                        "Zalo OA: token renewal failed ({kind})",
                        self.lang,
                    ).format(kind=type(exc).__name__)
                ) from exc
            if not isinstance(data, dict) or not data.get("access_token"):
                code = data.get("error") if isinstance(data, dict) else None
                raise NotifyError(
                    tr(
                        "Zalo OA: máy chủ từ chối làm mới token (mã {code}); cần cấp lại token cho OA",
                        "Zalo OA: token renewal refused (code {code}); the OA must be authorised again",
                        self.lang,
                    ).format(code=code)
                )
            seconds = float(data.get("expires_in") or 0)
            self._pair = _Pair(
                str(data["access_token"]),
                str(data.get("refresh_token") or self._pair.refresh),
                datetime.now(UTC) + timedelta(seconds=seconds) if seconds > 0 else None,
            )
            self.refreshes += 1
            self._save()
            log.info("zalo_token_refreshed")


class ZaloChannel:
    """One follower of the OA."""

    key = "zalo"
    summaries = True

    def __init__(
        self, user_id: str, tokens: ZaloTokens, settings: ZaloSettings, *, lang: Language = "vi"
    ) -> None:
        self.user_id = user_id
        self.tokens = tokens
        self.settings = settings
        self.lang = lang
        self._id = short_id(user_id)

    @property
    def name(self) -> str:
        return f"zalo:{self._id}"

    @property
    def label(self) -> str:
        return f"Zalo OA ({self.user_id[-4:]:*>8})"

    @property
    def per_minute(self) -> int | None:
        return self.settings.per_minute

    def destination(self) -> list[str]:
        return [f"zalo:{self.user_id}"]

    async def send(self, alert: Alert) -> None:
        await self.send_chat(alert.chat, key=alert.key)

    async def send_chat(self, message: ChatMessage, *, key: str) -> None:
        text = message.text if len(message.text) <= MAX_TEXT else message.text[: MAX_TEXT - 1] + "…"
        async with httpx.AsyncClient(timeout=self.settings.timeout, follow_redirects=False) as client:
            token = await self.tokens.current(client)
            code, detail = await self._post(client, token, text)
            if code in TOKEN_ERRORS:
                await self.tokens.refresh(client, token)
                code, detail = await self._post(client, self.tokens.access, text)
        if code != 0:
            vi, en = ERRORS.get(code, ("Zalo trả lỗi", "Zalo returned an error"))
            raise NotifyError(f"{self.label}: {tr(vi, en, self.lang)} ({code}{detail})")
        log.info("zalo_sent", channel=self.name, key=key)

    async def _post(self, client: httpx.AsyncClient, token: str, text: str) -> tuple[int, str]:
        try:
            response = await client.post(
                f"{self.settings.api_url.rstrip('/')}/v3.0/oa/message/cs",
                headers={"access_token": token, "Content-Type": "application/json"},
                json={"recipient": {"user_id": self.user_id}, "message": {"text": text}},
            )
            data: Any = response.json()
        except (httpx.HTTPError, OSError, ValueError) as exc:
            raise NotifyError(
                tr(
                    "{label}: không kết nối được Zalo ({kind})",
                    "{label}: Zalo unreachable ({kind})",
                    self.lang,
                ).format(label=self.label, kind=type(exc).__name__)
            ) from exc
        if not isinstance(data, dict):
            return -1, f", HTTP {response.status_code}"
        try:
            return int(data.get("error", -1)), ""
        except (TypeError, ValueError):
            return -1, f", HTTP {response.status_code}"


_TOKENS: dict[tuple[str, ...], ZaloTokens] = {}


def tokens_for(settings: ZaloSettings, home: Path | None, lang: Language) -> ZaloTokens:
    """One token holder per configuration and process, so a refresh happens once for all followers."""
    access = settings.access_token.get_secret_value() if settings.access_token else ""
    refresh = settings.refresh_token.get_secret_value() if settings.refresh_token else ""
    path = home / TOKEN_FILE if home is not None else None
    key = (
        settings.api_url,
        settings.oauth_url,
        settings.app_id or "",
        _fingerprint(access, refresh),
        str(path),
    )
    if key not in _TOKENS:
        _TOKENS[key] = ZaloTokens(settings, path, lang=lang)
    return _TOKENS[key]


def configured(settings: ZaloSettings) -> bool:
    return bool(settings.access_token or (settings.refresh_token and settings.app_id and settings.app_secret))


def build(context: BuildContext) -> list[DeliveryChannel]:
    settings = context.settings.alerts.zalo
    if not context.wants("zalo") or not configured(settings):
        return []
    own = context.brand.alerts.zalo_user_ids if context.brand is not None else []
    tokens = tokens_for(settings, context.home, context.lang)
    users = dict.fromkeys(uid.strip() for uid in (own or settings.user_ids) if uid.strip())
    return [ZaloChannel(uid, tokens, settings, lang=context.lang) for uid in users]
