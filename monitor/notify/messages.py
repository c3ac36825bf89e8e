"""Short messages for a phone screen, one template per kind of event, shared by every chat channel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.i18n import Language, tr
from monitor.notify.render import display
from monitor.notify.views import Link, describe_reason
from monitor.store.outbox import ChannelHealth

# A chat message stays readable on a phone: long names and links are cut, at most this many items.
NAME_CHARS = 80
LINK_CHARS = 300
BATCH_ITEMS = 30
SUMMARY_ITEMS = 5
STRONGEST = 2


@dataclass(frozen=True)
class ChatMessage:
    """A title line and a plain-text body: what Apprise, Zalo and the webhook's `text` carry."""

    title: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"


@dataclass(frozen=True)
class ChatFacts:
    """What a chat alert says about one finding event, every string already safe to print."""

    kind: str
    brand_name: str
    platform: str
    name: str
    url: str
    reasons: tuple[str, ...]
    console: str | None
    report: tuple[Link, ...]
    previous_name: str | None = None


# One template per kind of event: the first line of the message.
HEADLINES: dict[str, tuple[str, str]] = {
    "new": ("Phát hiện mạo danh mới – {brand}", "New impersonation – {brand}"),
    "reappeared": ("Trang mạo danh xuất hiện lại – {brand}", "Impersonation back online – {brand}"),
    "renamed": ("Trang mạo danh đã đổi tên – {brand}", "Impersonation renamed – {brand}"),
    "escalated": ("Mục nghi vấn nay là mạo danh – {brand}", "Suspect now an impersonation – {brand}"),
}


def console_link(public_url: str | None, finding_id: int) -> str | None:
    """The finding's page in the web console, when the console's public address is configured."""
    if not public_url:
        return None
    return f"{public_url.rstrip('/')}/findings/{finding_id}"


def strongest_reasons(
    reasons: Sequence[Any] | None, lang: Language, count: int = STRONGEST
) -> tuple[str, ...]:
    """The `count` reasons with the most weight, in words."""

    def weight(reason: Any) -> int:
        if isinstance(reason, Mapping):
            try:
                return int(reason.get("weight") or 0)
            except (TypeError, ValueError):
                return 0
        return 0

    ranked = sorted(reasons or [], key=weight, reverse=True)
    return tuple(display(describe_reason(reason, lang), 160) for reason in ranked[:count])


def _action_lines(facts: ChatFacts, lang: Language) -> list[str]:
    if facts.console:
        return [tr("Xử lý tại: {link}", "Handle it at: {link}", lang).format(link=facts.console)]
    lines = [tr("Việc cần làm: báo cáo trang này", "What to do: report this page", lang)]
    for link in facts.report:
        lines.append(f"- {link.label}: {link.href}" if link.href else f"- {link.label}")
    return lines


def chat_alert(facts: ChatFacts, lang: Language) -> ChatMessage:
    """One alert: what was found (platform, name, link), why, and what to do."""
    vi, en = HEADLINES.get(facts.kind, HEADLINES["new"])
    title = tr(vi, en, lang).format(brand=facts.brand_name)
    lines = [f"{facts.platform}: «{facts.name}»", facts.url]
    if facts.previous_name:
        lines.append(tr("Tên cũ: «{old}»", "Previous name: “{old}”", lang).format(old=facts.previous_name))
    if facts.reasons:
        lines.append(tr("Vì sao: ", "Why: ", lang) + "; ".join(facts.reasons))
    lines.extend(_action_lines(facts, lang))
    return ChatMessage(title=title, body="\n".join(lines))


def chat_batch(items: Sequence[ChatFacts], lang: Language, *, total: int | None = None) -> ChatMessage:
    """Several alerts due at once, more than the channel takes in a minute: one message naming them all."""
    total = total if total is not None else len(items)
    brands = sorted({item.brand_name for item in items})
    title = tr(
        "{count} cảnh báo mạo danh – {brands}", "{count} impersonation alerts – {brands}", lang
    ).format(count=total, brands=", ".join(brands))
    lines: list[str] = []
    for number, item in enumerate(items[:BATCH_ITEMS], start=1):
        lines.append(f"{number}. {item.platform}: «{item.name}»")
        lines.append(f"   {item.url}")
        if item.console:
            lines.append(f"   {item.console}")
    if total > BATCH_ITEMS:
        lines.append(
            tr("… và {more} mục nữa trong bản tin.", "… and {more} more in the digest.", lang).format(
                more=total - BATCH_ITEMS
            )
        )
    if not any(item.console for item in items):
        lines.append(
            tr(
                "Việc cần làm: báo cáo từng trang qua mục báo cáo của nền tảng.",
                "What to do: report each page through the platform's report form.",
                lang,
            )
        )
    return ChatMessage(title=title, body="\n".join(lines))


def chat_test(channel: str, when: str, lang: Language) -> ChatMessage:
    """`monitor notify test`: proves the channel reaches its people."""
    return ChatMessage(
        title=tr("Thử kênh cảnh báo", "Alert channel test", lang),
        body=tr(
            "Tin thử từ hệ thống giám sát mạo danh qua kênh {channel} lúc {when}. Không cần làm gì.",
            "Test message from the impersonation monitor through {channel} at {when}. Nothing to do.",
            lang,
        ).format(channel=channel, when=when),
    )


@dataclass(frozen=True)
class SummaryFacts:
    """A digest reduced to what a chat channel shows: counts per section and the most urgent items."""

    brand_name: str
    period: str
    counts: tuple[tuple[str, int], ...]
    urgent: tuple[tuple[str, str, str], ...]  # platform, name, url
    failing_sources: int
    console: str | None


def digest_summary(facts: SummaryFacts, lang: Language) -> ChatMessage:
    """The daily digest as a short summary; the full digest stays e-mail."""
    title = tr("Bản tin {brand} ({period})", "Digest {brand} ({period})", lang).format(
        brand=facts.brand_name, period=facts.period
    )
    lines = [f"{label}: {count}" for label, count in facts.counts]
    if facts.urgent:
        lines.append(tr("Cần xử lý trước:", "Most urgent:", lang))
        for platform, name, url in facts.urgent[:SUMMARY_ITEMS]:
            lines.append(f"- {platform}: «{name}» {url}")
    if facts.failing_sources:
        lines.append(
            tr("{n} nguồn đang lỗi.", "{n} source(s) failing.", lang).format(n=facts.failing_sources)
        )
    if facts.console:
        lines.append(tr("Chi tiết: {link}", "Details: {link}", lang).format(link=facts.console))
    else:
        lines.append(tr("Chi tiết trong thư bản tin.", "Details in the digest e-mail.", lang))
    return ChatMessage(title=title, body="\n".join(lines))


def facts_for(
    kind: str,
    brand_name: str,
    platform: str,
    name: str,
    url: str,
    reasons: Sequence[Any] | None,
    *,
    console: str | None,
    report: Sequence[Link],
    previous_name: str | None,
    lang: Language,
) -> ChatFacts:
    """ChatFacts with every value cut and cleaned for a chat screen."""
    return ChatFacts(
        kind=kind,
        brand_name=display(brand_name, NAME_CHARS),
        platform=platform,
        name=display(name, NAME_CHARS),
        url=display(url, LINK_CHARS),
        reasons=strongest_reasons(reasons, lang),
        console=console,
        report=tuple(report),
        previous_name=display(previous_name, NAME_CHARS) if previous_name else None,
    )


def health_lines(health: Sequence[ChannelHealth], lang: Language) -> list[str]:
    """One line per channel for the digest and status: failing channels first, with the last error."""
    lines: list[str] = []
    for entry in sorted(health, key=lambda h: (h.healthy, h.channel)):
        if entry.healthy:
            line = tr("{channel}: {sent} tin đã gửi", "{channel}: {sent} message(s) sent", lang)
        else:
            line = tr(
                "{channel}: LỖI – {sent} đã gửi, {retrying} đang thử lại, {gave_up} đã bỏ ({error})",
                "{channel}: FAILING – {sent} sent, {retrying} retrying, {gave_up} given up ({error})",
                lang,
            )
        error = display(entry.last_error or "", 200)
        lines.append(
            line.format(
                channel=entry.channel,
                sent=entry.sent,
                retrying=entry.retrying,
                gave_up=entry.gave_up,
                error=error,
            )
        )
    return lines
