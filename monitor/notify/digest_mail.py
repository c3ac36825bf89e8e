"""The digest e-mail: sections and summary of one brand's period, rendered as text and HTML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from monitor.display import NO_TIME, local_date, local_time
from monitor.i18n import Language, tr
from monitor.notify.email import compose
from monitor.notify.render import display, render
from monitor.notify.texts import text, zone_label
from monitor.notify.views import Item, SourceHealth
from monitor.settings import BrandSettings, Settings

# Sections of things that happened; "still live" is a state and does not make a period non-empty.
EVENT_SECTIONS = ("new", "changed", "ended", "reappeared", "review")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple[Item, ...]
    total: int
    hint: str | None = None
    show_report: bool = True

    @property
    def hidden(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class ChannelLine:
    """One alert channel's deliveries in the period, as a line, and whether it is failing."""

    line: str
    healthy: bool


@dataclass(frozen=True)
class Digest:
    """One brand's period: the sections officers act on, and the rendered e-mail."""

    brand: str
    brand_name: str
    period_start: datetime
    period_end: datetime
    lang: Language
    sections: tuple[Section, ...]
    sources: tuple[SourceHealth, ...]
    scans: int
    subject: str
    text: str
    html: str
    message: EmailMessage
    channels: tuple[ChannelLine, ...] = ()

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)

    @property
    def new_count(self) -> int:
        return self.section("new").total

    @property
    def is_empty(self) -> bool:
        """Nothing happened: no event in any section (still-live fakes are state, not news)."""
        return _is_empty({section.key: section.total for section in self.sections})

    @property
    def healthy(self) -> bool:
        return _is_healthy(self.scans, self.sources)


def _is_empty(totals: Mapping[str, int]) -> bool:
    return all(totals[key] == 0 for key in EVENT_SECTIONS)


def _is_healthy(scans: int, sources: Sequence[SourceHealth]) -> bool:
    """Scans ran in the period and every source that ran is healthy."""
    return scans > 0 and all(source.healthy for source in sources)


def with_notes(item: Item, notes: tuple[str, ...]) -> Item:
    return replace(item, notes=notes + item.notes)


def render_digest(
    brand: BrandSettings,
    period_start: datetime,
    period_end: datetime,
    lang: Language,
    zone_name: str,
    sections: tuple[Section, ...],
    sources: list[SourceHealth],
    scans: int,
    settings: Settings,
    channels: Sequence[ChannelLine] = (),
    *,
    recipients: Sequence[str],
) -> Digest:
    """The period's e-mail, addressed to `recipients`: the office's own people, or [email]'s."""
    brand_name = display(brand.name, 120)
    totals = {section.key: section.total for section in sections}
    new_count = totals["new"]
    date = local_date(period_end, zone_name)
    subject_key = "digest.subject" if new_count else "digest.subject_none"
    subject = text(subject_key, lang, brand=brand_name, count=new_count, date=date)
    empty = _is_empty(totals)
    healthy = _is_healthy(scans, sources)
    status_lines = []
    if scans == 0:
        status_lines.append(text("digest.no_scans", lang))
    if empty:
        status_lines.append(text("digest.nothing_new", lang))
    status_lines.append(text("digest.sources_healthy" if healthy else "digest.sources_unhealthy", lang))
    channels_healthy = all(channel.healthy for channel in channels)
    if not channels_healthy:
        status_lines.append(
            tr(
                "Có kênh cảnh báo đang lỗi (xem mục «Kênh cảnh báo»): cảnh báo có thể chưa tới người nhận.",
                "An alert channel is failing (see “Alert channels”): alerts may not have reached anyone.",
                lang,
            )
        )
    shown = [section for section in sections if section.total]
    if shown and shown[0].key == "new":
        shown[0] = replace(shown[0], hint=text("digest.how_to", lang))
    context: dict[str, Any] = {
        "subject": subject,
        "title": text("digest.title", lang),
        "brand_name": brand_name,
        "period": text(
            "digest.period",
            lang,
            start=local_time(period_start, zone_name, NO_TIME),
            end=local_time(period_end, zone_name, NO_TIME),
            zone=zone_label(zone_name, lang),
        ),
        "summary": text(
            "digest.summary",
            lang,
            new=new_count,
            changed=totals["changed"],
            ended=totals["ended"],
            reappeared=totals["reappeared"],
            still=totals["still_live"],
            review=totals["review"],
        ),
        "new_count": new_count,
        "healthy": healthy and channels_healthy,
        "status_lines": status_lines,
        "sections": shown,
        "scans_line": text("digest.scans", lang, count=scans),
        "sources": sources,
        "channels_title": tr("Kênh cảnh báo", "Alert channels", lang),
        "channels": list(channels),
        "authorities": list(brand.authorities),
    }
    plain = render("digest.txt", lang, **context)
    html = render("digest.html", lang, **context)
    sender = settings.email.sender or "monitor@localhost"
    message = compose(sender, list(recipients), subject, plain, html)
    return Digest(
        brand=brand.slug,
        brand_name=brand_name,
        period_start=period_start,
        period_end=period_end,
        lang=lang,
        sections=sections,
        sources=tuple(sources),
        scans=scans,
        subject=subject,
        text=plain,
        html=html,
        message=message,
        channels=tuple(channels),
    )
