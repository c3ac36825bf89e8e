"""The alert channels the configuration turns on, and one delivery round with them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from monitor.i18n import Language
from monitor.notify.alerts import Channel
from monitor.notify.email import EmailChannel, email_configured
from monitor.notify.outbox import DeliveryReport, deliver_pending
from monitor.notify.webhook import WebhookChannel
from monitor.settings import BrandSettings, RunSettings


def build_channels(settings: RunSettings, lang: Language | None = None) -> list[Channel]:
    """The alert channels the configuration turns on."""
    from monitor.net.client import user_agent

    lang = lang or settings.email.language
    channels: list[Channel] = []
    if settings.alerts.email and email_configured(settings.email):
        channels.append(EmailChannel.from_settings(settings.email, lang=lang))
    webhook = WebhookChannel.from_settings(
        settings.alerts.webhook, user_agent=user_agent(settings.http), lang=lang
    )
    if webhook is not None:
        channels.append(webhook)
    return channels


async def deliver_alerts(
    factory: sessionmaker[Session],
    settings: RunSettings,
    brands: Sequence[BrandSettings],
    lang: Language | None = None,
) -> DeliveryReport:
    """deliver_pending with the channels, brands and time zone of the configuration."""
    lang = lang or settings.email.language
    return await deliver_pending(
        factory,
        build_channels(settings, lang),
        lang,
        brands={brand.slug: brand for brand in brands},
        zone_name=settings.schedule.timezone,
    )
