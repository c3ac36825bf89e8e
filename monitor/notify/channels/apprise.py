"""Apprise channels: one per URL of [alerts.apprise] (Telegram, Teams, Slack, Matrix, SMS gateways…).

The URLs hold tokens, so they come only from the environment and are never shown: a channel is
named "apprise:<8 hex>" and described by its scheme alone. Apprise's own log lines can quote a URL,
so its logger is silenced; failures are reported here, in the channel's language.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from monitor.errors import NotifyError
from monitor.i18n import Language, tr
from monitor.log import get_logger
from monitor.notify.alerts import Alert
from monitor.notify.channels.base import BuildContext, DeliveryChannel, short_id
from monitor.notify.messages import ChatMessage

log = get_logger(__name__)
# Longer bodies are cut: most chat services refuse messages beyond a few thousand characters.
MAX_BODY = 3500

logging.getLogger("apprise").setLevel(logging.CRITICAL + 1)


def scheme_of(url: str) -> str:
    return (urlsplit(url).scheme or "?").lower()[:20]


def with_timeouts(url: str, timeout: float) -> str:
    """The URL with Apprise's connect (cto) and read (rto) timeouts, unless it sets its own."""
    query = urlsplit(url).query
    names = {piece.partition("=")[0].lower() for piece in query.split("&") if piece}
    extra = [f"{name}={timeout:g}" for name in ("cto", "rto") if name not in names]
    if not extra:
        return url
    base, hash_mark, fragment = url.partition("#")
    joiner = "&" if "?" in base else "?"
    return base + joiner + "&".join(extra) + hash_mark + fragment


class AppriseChannel:
    """Sends through one Apprise URL; a refusal or an unreachable service is a NotifyError."""

    key = "apprise"
    summaries = True

    def __init__(
        self, url: str, *, timeout: float = 15.0, per_minute: int = 20, lang: Language = "vi"
    ) -> None:
        self._url = url
        self.timeout = timeout
        self._per_minute = per_minute
        self.lang = lang
        self._id = short_id(url)

    @property
    def name(self) -> str:
        return f"apprise:{self._id}"

    @property
    def label(self) -> str:
        return f"Apprise {scheme_of(self._url)}://… ({self._id})"

    @property
    def per_minute(self) -> int | None:
        return self._per_minute

    def destination(self) -> list[str]:
        return [f"{scheme_of(self._url)}://…#{self._id}"]

    async def send(self, alert: Alert) -> None:
        await self.send_chat(alert.chat, key=alert.key)

    async def send_chat(self, message: ChatMessage, *, key: str) -> None:
        body = message.body if len(message.body) <= MAX_BODY else message.body[: MAX_BODY - 1] + "…"
        outcome = await asyncio.to_thread(self._notify, message.title, body)
        if outcome == "missing":
            raise NotifyError(
                tr(
                    "{label}: thư viện Apprise chưa được cài (pip install apprise)",
                    "{label}: the Apprise library is not installed (pip install apprise)",
                    self.lang,
                ).format(label=self.label)
            )
        if outcome == "invalid":
            raise NotifyError(
                tr(
                    "{label}: Apprise không hiểu địa chỉ này (sai cú pháp hoặc dịch vụ không hỗ trợ)",
                    "{label}: Apprise does not understand this URL (wrong syntax or unsupported service)",
                    self.lang,
                ).format(label=self.label)
            )
        if outcome != "sent":
            raise NotifyError(
                tr(
                    "{label}: dịch vụ không nhận tin (không kết nối được, hết thời gian chờ hoặc bị từ chối)",
                    "{label}: the service did not accept the message (unreachable, timed out or refused)",
                    self.lang,
                ).format(label=self.label)
            )
        log.info("apprise_sent", channel=self.name, key=key)

    def _notify(self, title: str, body: str) -> str:
        try:
            import apprise
        except ImportError:
            return "missing"
        try:
            sender = apprise.Apprise()
            if not sender.add(with_timeouts(self._url, self.timeout)):
                return "invalid"
            return "sent" if bool(sender.notify(body=body, title=title)) else "failed"
        except Exception:  # a plugin's own error must not stop the other channels
            log.warning("apprise_error", channel=self.name)
            return "failed"


def build(context: BuildContext) -> list[DeliveryChannel]:
    if not context.wants("apprise"):
        return []
    settings = context.settings.alerts.apprise
    urls = settings.urls
    if context.brand is not None and context.brand.slug in settings.brand_urls:
        urls = settings.brand_urls[context.brand.slug]
    channels: dict[str, DeliveryChannel] = {}
    for secret in urls:
        url = secret.get_secret_value().strip()
        if url:
            channel = AppriseChannel(
                url, timeout=settings.timeout, per_minute=settings.per_minute, lang=context.lang
            )
            channels.setdefault(channel.name, channel)
    return list(channels.values())
