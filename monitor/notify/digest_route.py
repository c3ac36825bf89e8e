"""Where each office's digest goes: routed as its alerts are, through the channel registry.

An office's `[brands.alerts]` decide: the e-mail goes to its own `email_recipients` when it lists
any, else to [email]'s; none when its `channels` leave e-mail out; the chat summary goes to each of
its channels that takes one. One office's digest never reaches another office's people.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from monitor.i18n import Language
from monitor.notify.channels import channels_for
from monitor.notify.email import EmailChannel
from monitor.settings import BrandSettings, RunSettings, Settings


@dataclass(frozen=True)
class DigestRoute:
    """One office's digest: its e-mail channel (None: no e-mail) and the chat channels taking a summary."""

    mail: EmailChannel | None
    chats: tuple[str, ...] = ()

    @property
    def recipients(self) -> list[str]:
        return self.mail.destination() if self.mail is not None else []

    @property
    def reaches(self) -> bool:
        return self.mail is not None or bool(self.chats)


def digest_route(
    settings: RunSettings,
    brand: BrandSettings,
    lang: Language | None = None,
    *,
    tls_context: ssl.SSLContext | None = None,
) -> DigestRoute:
    """The office's digest route, from the same channels_for that routes its alerts."""
    # `alerts.email = false` turns off the instant alert mails only: the full digest stays e-mail,
    # routed like an alert mail (the office's channels and recipients).
    routing = settings.model_copy(update={"alerts": settings.alerts.model_copy(update={"email": True})})
    found = channels_for(routing, brand, lang or settings.email.language, tls_context=tls_context)
    mail = next((channel for channel in found if isinstance(channel, EmailChannel)), None)
    return DigestRoute(mail, tuple(channel.name for channel in found if channel.summaries))


def digest_reaches_anyone(settings: Settings, lang: Language | None = None) -> bool:
    """True when some office's digest has somewhere to go: an e-mail ([email]'s or the office's own
    recipients) or a chat channel."""
    lang = lang or settings.email.language
    return any(digest_route(settings, brand, lang).reaches for brand in settings.brands)
