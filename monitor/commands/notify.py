"""`monitor notify test`: send a test message through each configured alert channel and say what happened."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import click

from monitor.commands.context import CliContext, pass_cli
from monitor.display import local_time
from monitor.errors import NotifyError
from monitor.i18n import Language, tr
from monitor.notify.channels import CHANNELS, Routes, channels_for, nobody_told, routes
from monitor.notify.channels.base import DeliveryChannel
from monitor.notify.messages import chat_test
from monitor.redact import scrub
from monitor.settings import Settings
from monitor.store.schema import utcnow


@click.group("notify", help=tr("Kênh cảnh báo.", "Alert channels."))
def notify_group() -> None:
    """Alert channel commands."""


@dataclass(frozen=True)
class Outcome:
    label: str
    destination: str
    error: str | None


async def _send_all(channels: list[DeliveryChannel], settings: Settings, lang: Language) -> list[Outcome]:
    when = local_time(utcnow(), settings.schedule.timezone)

    async def one(channel: DeliveryChannel) -> Outcome:
        message = chat_test(channel.label, when, lang)
        try:
            await channel.send_chat(message, key=f"test:{channel.name}:{utcnow().isoformat()}")
        except NotifyError as exc:
            return Outcome(channel.label, ", ".join(channel.destination()), str(exc))
        except Exception as exc:  # one broken channel is reported, the others still tried
            return Outcome(channel.label, ", ".join(channel.destination()), type(exc).__name__)
        return Outcome(channel.label, ", ".join(channel.destination()), None)

    return list(await asyncio.gather(*(one(channel) for channel in channels)))


@notify_group.command(
    "test",
    help=tr(
        "Gửi tin thử qua từng kênh cảnh báo đã cấu hình và in kết quả của mỗi kênh.",
        "Send a test message through each configured alert channel and print each result.",
    ),
)
@click.option(
    "--channel",
    "key",
    metavar="KEY",
    help=tr(
        "Chỉ thử kênh này (email, webhook, apprise, zalo hoặc tên như apprise:1a2b3c4d).",
        "Test only this channel (email, webhook, apprise, zalo or a name like apprise:1a2b3c4d).",
    ),
)
@click.option(
    "--brand", "slug", metavar="SLUG", help=tr("Các kênh của cơ quan này.", "This brand's channels.")
)
@pass_cli
def test_command(cli: CliContext, key: str | None, slug: str | None) -> None:
    settings, lang = cli.settings(), cli.lang
    if key is not None and key.partition(":")[0] not in CHANNELS:
        raise click.BadParameter(
            tr("không có kênh {key} (có: {known})", "no channel {key} (known: {known})", lang).format(
                key=key, known=", ".join(CHANNELS)
            ),
            param_hint="--channel",
        )
    if slug is not None:
        channels = channels_for(settings, settings.brand(slug), lang, only=key)
    else:
        every = routes(settings, settings.brands, lang).all()
        channels = Routes({}, [c for c in every if key in (None, c.key, c.name)]).all()
    for warning in nobody_told(settings, settings.brands, lang):
        click.echo(tr("Cảnh báo: ", "Warning: ", lang) + warning, err=True)
    if not channels:
        click.echo(tr("Không có kênh cảnh báo nào để thử.", "No alert channel to test.", lang))
        raise SystemExit(1)
    outcomes = asyncio.run(_send_all(channels, settings, lang))
    secrets = settings.secret_values()
    for outcome in outcomes:
        if outcome.error is None:
            line = tr("✓ {label} ({to}): đã gửi", "✓ {label} ({to}): sent", lang)
        else:
            line = tr("✗ {label} ({to}): LỖI – {error}", "✗ {label} ({to}): FAILED – {error}", lang)
        shown = line.format(label=outcome.label, to=outcome.destination, error=outcome.error)
        click.echo(scrub(shown, secrets))
    failed = sum(1 for outcome in outcomes if outcome.error is not None)
    click.echo(
        tr("{ok}/{all} kênh gửi được.", "{ok} of {all} channel(s) sent.", lang).format(
            ok=len(outcomes) - failed, all=len(outcomes)
        )
    )
    if failed:
        raise SystemExit(1)
