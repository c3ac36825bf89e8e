"""Instant alerts: which finding events alert (the policy), and the message every channel sends."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from monitor.diff import SILENCING_TRIAGE, same_name
from monitor.i18n import Language
from monitor.notify.messages import ChatFacts, ChatMessage, chat_alert, console_link, facts_for
from monitor.notify.render import display, json_safe, render
from monitor.notify.texts import text
from monitor.notify.views import make_item, platform_name, report_links
from monitor.settings import BrandSettings
from monitor.store.schema import Finding, Observation
from monitor.store.views import FindingView

AlertKind = Literal["new", "reappeared", "renamed", "escalated"]
SUBJECT_NAME_CHARS = 80


def alert_kind(
    event: str,
    verdict: str,
    triage: str,
    previous: Observation | None,
    name: str,
    verdicts: Collection[str],
) -> AlertKind | None:
    """Why an event alerts, or None.

    new and reappeared alert; a change alerts when the name changed (renamed) or when the verdict
    rose into an alerting one (escalated). Gone and taken down wait for the digest.
    """
    if verdict not in verdicts:
        return None
    renamed = previous is not None and not same_name(previous.name, name)
    if triage in SILENCING_TRIAGE and not renamed:
        return None
    if event == "new":
        return "new"
    if event == "reappeared":
        return "reappeared"
    if event == "changed" and previous is not None:
        if renamed:
            return "renamed"
        if previous.verdict not in verdicts:
            return "escalated"
    return None


@dataclass(frozen=True)
class Alert:
    """One alert ready for any channel: a JSON payload, an e-mail's subject and parts, a chat message."""

    key: str
    kind: AlertKind
    brand: str
    payload: dict[str, Any]
    subject: str
    text: str
    html: str
    chat: ChatMessage = field(default_factory=lambda: ChatMessage("", ""))
    facts: ChatFacts | None = None


class Channel(Protocol):
    """A way to deliver alerts; raises monitor.errors.NotifyError when it cannot."""

    @property
    def name(self) -> str: ...

    def destination(self) -> list[str]:
        """Who receives it (addresses or URL), recorded with the notification."""
        ...

    async def send(self, alert: Alert) -> None: ...


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return json_safe(value)
    if isinstance(value, dict):
        return {json_safe(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    return value


def alert_payload(
    kind: AlertKind,
    finding: Finding,
    observation: Observation,
    previous: Observation | None,
    *,
    message: str = "",
    link: str | None = None,
) -> dict[str, Any]:
    """The webhook body: the event, a readable text, the finding's link, the finding as this event saw it."""
    payload: dict[str, Any] = _clean_json(
        {
            "event": observation.event,
            "alert": kind,
            "text": message,
            "link": link or observation.url,
            "finding": FindingView.of(finding).as_seen(observation).to_json(),
            "observed_at": observation.observed_at.isoformat(),
            "previous_name": previous.name if previous is not None and kind == "renamed" else None,
        }
    )
    return payload


def build_alert(
    key: str,
    kind: AlertKind,
    finding: Finding,
    observation: Observation,
    previous: Observation | None,
    *,
    brand: BrandSettings | None,
    zone_name: str,
    lang: Language,
    public_url: str | None = None,
) -> Alert:
    """The alert for one finding event, in `lang`; `public_url` is the web console's address, if any."""
    brand_name = display(brand.name if brand is not None else finding.brand, 80)
    console = console_link(public_url, finding.id)
    facts = facts_for(
        kind,
        brand.name if brand is not None else finding.brand,
        platform_name(finding.platform, lang),
        observation.name,
        observation.url,
        observation.reasons,
        console=console,
        report=report_links(finding.platform, lang),
        previous_name=previous.name if previous is not None and kind == "renamed" else None,
        lang=lang,
    )
    chat = chat_alert(facts, lang)
    item = make_item(finding, observation, zone_name=zone_name, lang=lang, previous=previous)
    subject = text(
        f"alert.subject.{kind}",
        lang,
        platform=platform_name(finding.platform, lang),
        brand=brand_name,
        name=display(observation.name, SUBJECT_NAME_CHARS),
    )
    context: dict[str, Any] = {
        "title": text(f"alert.title.{kind}", lang),
        "brand_name": brand_name,
        "item": item,
        "authorities": list(brand.authorities) if brand is not None else [],
    }
    return Alert(
        key=key,
        kind=kind,
        brand=finding.brand,
        payload=alert_payload(kind, finding, observation, previous, message=chat.text, link=console),
        subject=subject,
        text=render("alert.txt", lang, **context),
        html=render("alert.html", lang, **context),
        chat=chat,
        facts=facts,
    )
