"""Alert channels in a registry built from settings; a new channel is one module and one line in CHANNELS.

Each builder turns the settings (and a brand's own routing, `[brands.alerts]`) into the channels
that carry that brand's alerts, so one office's alerts never reach another office's people.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from monitor.i18n import Language, tr
from monitor.log import get_logger
from monitor.notify.channels import apprise, email, webhook, zalo
from monitor.notify.channels.base import BuildContext, DeliveryChannel
from monitor.settings import BrandSettings, RunSettings

if TYPE_CHECKING:
    from monitor.notify.outbox import DeliveryReport

log = get_logger(__name__)

Builder = Callable[[BuildContext], list[DeliveryChannel]]

# The registry: config key -> builder. Order is the order channels are listed and tried.
CHANNELS: dict[str, Builder] = {
    "email": email.build,
    "webhook": webhook.build,
    "apprise": apprise.build,
    "zalo": zalo.build,
}


class Routes:
    """Which channels carry which brand's alerts."""

    def __init__(
        self, by_brand: Mapping[str, Sequence[DeliveryChannel]], default: Sequence[DeliveryChannel] = ()
    ) -> None:
        self._by_brand = {slug: {c.name: c for c in channels} for slug, channels in by_brand.items()}
        self._default = {c.name: c for c in default}

    def for_brand(self, brand: str) -> dict[str, DeliveryChannel]:
        return self._by_brand.get(brand, self._default)

    def names(self) -> set[str]:
        names = set(self._default)
        for channels in self._by_brand.values():
            names.update(channels)
        return names

    def all(self) -> list[DeliveryChannel]:
        """Every distinct channel once (a shared URL used by several brands counts once)."""
        seen: dict[tuple[str, tuple[str, ...]], DeliveryChannel] = {}
        for channels in [self._default, *self._by_brand.values()]:
            for channel in channels.values():
                seen.setdefault((channel.name, tuple(channel.destination())), channel)
        return list(seen.values())


def _context(
    settings: RunSettings, brand: BrandSettings | None, lang: Language, tls_context: ssl.SSLContext | None
) -> BuildContext:
    from monitor.net.client import user_agent

    return BuildContext(
        settings=settings,
        brand=brand,
        lang=lang,
        user_agent=user_agent(settings.http),
        # Kept beside the evidence folder, like the console's key: state that must survive restarts.
        home=settings.evidence.dir.parent,
        tls_context=tls_context,
    )


def channels_for(
    settings: RunSettings,
    brand: BrandSettings | None,
    lang: Language | None = None,
    *,
    only: str | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> list[DeliveryChannel]:
    """The channels carrying `brand`'s alerts (None: the shared ones); `only` keeps one key or name."""
    context = _context(settings, brand, lang or settings.email.language, tls_context)
    found: list[DeliveryChannel] = []
    for key, builder in CHANNELS.items():
        if only is not None and only != key and not only.startswith(f"{key}:"):
            continue
        found.extend(c for c in builder(context) if only in (None, key, c.name))
    return found


def build_channels(settings: RunSettings, lang: Language | None = None) -> list[DeliveryChannel]:
    """The shared alert channels the configuration turns on (no brand routing)."""
    return channels_for(settings, None, lang)


def routes(
    settings: RunSettings,
    brands: Sequence[BrandSettings],
    lang: Language | None = None,
    *,
    tls_context: ssl.SSLContext | None = None,
) -> Routes:
    return Routes(
        {brand.slug: channels_for(settings, brand, lang, tls_context=tls_context) for brand in brands},
        channels_for(settings, None, lang, tls_context=tls_context),
    )


def nobody_told(settings: RunSettings, brands: Sequence[BrandSettings], lang: Language) -> list[str]:
    """Warnings: brands whose alerts reach nobody, and channel keys that do not exist."""
    warnings: list[str] = []
    for brand in brands:
        unknown = sorted(set(brand.alerts.channels) - set(CHANNELS))
        if unknown:
            warnings.append(
                tr(
                    "{brand}: kênh không tồn tại trong [brands.alerts] channels: {keys} (có: {known})",
                    "{brand}: unknown channel(s) in [brands.alerts] channels: {keys} (known: {known})",
                    lang,
                ).format(brand=brand.slug, keys=", ".join(unknown), known=", ".join(CHANNELS))
            )
        if not channels_for(settings, brand, lang):
            warnings.append(
                tr(
                    "{brand}: sẽ không ai nhận cảnh báo — chưa có kênh nào (e-mail, webhook, Apprise, Zalo)"
                    " được cấu hình cho cơ quan này",
                    "{brand}: nobody will be told — no alert channel (e-mail, webhook, Apprise, Zalo)"
                    " is configured for this office",
                    lang,
                ).format(brand=brand.slug)
            )
    return warnings


_warned: set[str] = set()


def warn_nobody_told(settings: RunSettings, brands: Sequence[BrandSettings]) -> list[str]:
    """Log each "nobody will be told" warning once per process (at start-up and the first scan)."""
    warnings = nobody_told(settings, brands, settings.email.language)
    for line in warnings:
        if line not in _warned:
            _warned.add(line)
            log.warning("alerts_reach_nobody", detail=line)
    return warnings


async def deliver_alerts(
    factory: sessionmaker[Session],
    settings: RunSettings,
    brands: Sequence[BrandSettings],
    lang: Language | None = None,
) -> DeliveryReport:
    """Deliver every due alert and digest summary through the channels each brand routes to."""
    from monitor.notify.outbox import deliver_pending

    lang = lang or settings.email.language
    warn_nobody_told(settings, brands)
    public_url = settings.web.public_url
    return await deliver_pending(
        factory,
        routes(settings, brands, lang),
        lang,
        brands={brand.slug: brand for brand in brands},
        zone_name=settings.schedule.timezone,
        retry_after=settings.alerts.retry_after_seconds,
        public_url=public_url,
    )
