"""What every alert channel offers the outbox, and what a channel's builder is given."""

from __future__ import annotations

import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from monitor.i18n import Language
from monitor.notify.alerts import Alert
from monitor.notify.messages import ChatMessage
from monitor.settings import BrandSettings, RunSettings


@runtime_checkable
class DeliveryChannel(Protocol):
    """A configured destination: one e-mail list, one webhook, one Apprise URL, one Zalo follower.

    `name` is what the outbox records per delivery (at most 16 characters), `key` the registry key
    officers write in `[brands.alerts] channels`. Chat channels also send short messages (combined
    alerts, the digest summary, a test) and may have a rate limit per minute.
    """

    @property
    def name(self) -> str: ...

    @property
    def key(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def per_minute(self) -> int | None: ...

    @property
    def summaries(self) -> bool: ...

    def destination(self) -> list[str]: ...

    async def send(self, alert: Alert) -> None: ...

    async def send_chat(self, message: ChatMessage, *, key: str) -> None: ...


@dataclass(frozen=True)
class BuildContext:
    """What a channel builder reads: the settings, the brand being routed (None: the shared channels)."""

    settings: RunSettings
    brand: BrandSettings | None
    lang: Language
    user_agent: str
    home: Path | None = None
    tls_context: ssl.SSLContext | None = None

    def wants(self, key: str) -> bool:
        """Whether the brand lets this channel carry its alerts (no list: every configured one)."""
        chosen = self.brand.alerts.channels if self.brand is not None else []
        return not chosen or key in chosen


def short_id(value: str) -> str:
    """Eight hex characters naming a destination without revealing it (URLs hold tokens)."""
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:8]
