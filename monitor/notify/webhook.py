"""The webhook channel: one JSON POST per alert (with a readable `text` and the finding's `link`)."""

from __future__ import annotations

import httpx

from monitor.display import json_text
from monitor.errors import NotifyError
from monitor.i18n import Language
from monitor.log import get_logger, mask_text
from monitor.notify.alerts import Alert
from monitor.notify.messages import ChatMessage
from monitor.notify.render import display
from monitor.notify.texts import text
from monitor.settings import WebhookSettings

log = get_logger(__name__)


class WebhookChannel:
    """POSTs the alert payload; any answer but 2xx is a failure retried on the next run."""

    key = "webhook"
    summaries = True
    per_minute: int | None = None

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        user_agent: str = "impersonation-monitor",
        lang: Language = "vi",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.user_agent = user_agent
        self.lang = lang
        self.transport = transport

    @classmethod
    def from_settings(
        cls, webhook: WebhookSettings, *, user_agent: str, lang: Language = "vi"
    ) -> WebhookChannel | None:
        """The channel, or None when no webhook URL is configured."""
        if not webhook.url:
            return None
        return cls(webhook.url, timeout=webhook.timeout, user_agent=user_agent, lang=lang)

    @property
    def name(self) -> str:
        return "webhook"

    @property
    def label(self) -> str:
        return "Webhook"

    def destination(self) -> list[str]:
        # The URL may carry a token in its query: record it masked.
        return [mask_text(self.url)]

    async def send(self, alert: Alert) -> None:
        await self.post(alert.payload, alert.key)

    async def send_chat(self, message: ChatMessage, *, key: str) -> None:
        """A message that is not one finding's alert (alerts combined, digest summary, test)."""
        kind = key.partition(":")[0] or "message"
        await self.post({"event": kind, "title": message.title, "text": message.text}, key)

    async def post(self, payload: dict[str, object], key: str) -> None:
        # Bidi and other invisible characters of a hostile name go out as \uXXXX escapes.
        body = json_text(payload).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": self.user_agent,
            # Receivers can drop a repeat if our "sent" mark was lost after they got it.
            "Idempotency-Key": key,
        }
        shown = mask_text(display(self.url, 200))
        try:
            # The office's own endpoint: no redirects followed, no retries here (the outbox retries).
            async with httpx.AsyncClient(
                timeout=self.timeout, transport=self.transport, follow_redirects=False
            ) as client:
                response = await client.post(self.url, content=body, headers=headers)
        except (httpx.HTTPError, OSError) as exc:
            detail = display(str(exc) or type(exc).__name__, 200)
            raise NotifyError(
                text("error.webhook_failed", self.lang, url=shown, detail=mask_text(detail))
            ) from exc
        if not 200 <= response.status_code < 300:
            raise NotifyError(text("error.webhook_status", self.lang, url=shown, status=response.status_code))
        log.info("webhook_sent", status=response.status_code, key=key)
