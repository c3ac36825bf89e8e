"""The e-mail channel in the registry: [email]'s server, the brand's own recipients when it names them."""

from __future__ import annotations

from monitor.notify.channels.base import BuildContext, DeliveryChannel
from monitor.notify.email import EmailChannel, email_configured


def build(context: BuildContext) -> list[DeliveryChannel]:
    settings = context.settings
    if not settings.alerts.email or not context.wants("email"):
        return []
    email = settings.email
    own = context.brand.alerts.email_recipients if context.brand is not None else []
    if own:
        email = email.model_copy(update={"recipients": list(own)})
    if not email_configured(email):
        return []
    return [EmailChannel.from_settings(email, lang=context.lang, tls_context=context.tls_context)]
