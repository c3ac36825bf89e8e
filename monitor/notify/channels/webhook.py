"""The webhook channel in the registry: [alerts.webhook]'s URL, when one is set."""

from __future__ import annotations

from monitor.notify.channels.base import BuildContext, DeliveryChannel
from monitor.notify.webhook import WebhookChannel


def build(context: BuildContext) -> list[DeliveryChannel]:
    if not context.wants("webhook"):
        return []
    channel = WebhookChannel.from_settings(
        context.settings.alerts.webhook, user_agent=context.user_agent, lang=context.lang
    )
    return [channel] if channel is not None else []
