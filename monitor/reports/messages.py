"""Report texts from templates: the abuse e-mail and the "copy these fields into the form" block."""

from __future__ import annotations

from email.message import EmailMessage
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import escape

from monitor.i18n import Language, tr
from monitor.notify.email import compose
from monitor.notify.render import display
from monitor.reports.cases import Fake
from monitor.reports.channels import Channel
from monitor.settings import BrandSettings


@cache
def _text_environment() -> Environment:
    # Plain text: nothing is escaped, every value is already one line of safe text (display()).
    return Environment(
        loader=PackageLoader("monitor.reports", "templates"),
        autoescape=False,  # noqa: S701 - plain-text mail and form blocks, never HTML
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def official_site(brand: BrandSettings) -> str:
    return f"https://{brand.official_domains[0]}" if brand.official_domains else "—"


def abuse_message(
    brand: BrandSettings,
    fake: Fake,
    *,
    domain: str,
    holder: str | None,
    sender: str,
    recipient: str,
    message_id: str,
) -> EmailMessage:
    """The bilingual abuse e-mail (Vietnamese first) about one look-alike domain."""
    plain = (
        _text_environment()
        .get_template("abuse_email.txt.j2")
        .render(
            brand_name=display(brand.name, 200),
            holder=display(holder, 200) if holder else None,
            domain=display(domain, 253),
            fake=fake,
            official=official_site(brand),
        )
    )
    html = (
        '<!DOCTYPE html><html lang="vi"><body><pre style="white-space:pre-wrap">'
        f"{escape(plain)}</pre></body></html>"
    )
    subject = (
        f"Báo cáo lừa đảo mạo danh / Phishing impersonating {display(brand.name, 80)}: {display(domain, 100)}"
    )
    return compose(sender, [recipient], subject, plain, html, message_id=message_id)


def form_block(brand: BrandSettings, channel: Channel, fake: Fake, lang: Language) -> str:
    """What an officer copies into a platform's report form, with the form's link."""
    fields = [
        (tr("Cơ quan bị mạo danh", "Impersonated office", lang), display(brand.name, 200)),
        (tr("Trang chính thức", "Official website", lang), official_site(brand)),
        (tr("Tài khoản, trang giả mạo", "Impersonating account or page", lang), fake.name),
        (tr("Đường dẫn", "Link", lang), fake.url),
        (tr("Mã tài khoản", "Account id", lang), fake.identity),
        (tr("Phát hiện lần đầu (giờ Việt Nam)", "First seen (Vietnam time)", lang), fake.first_seen),
        (
            tr("Mô tả (tiếng Anh, cho biểu mẫu)", "Description (English, for the form)", lang),
            f"This account impersonates {display(brand.name, 200)}, a Vietnamese public social insurance "
            "office, using its name to offer fraudulent services to citizens. "
            "The office owns no such account.",
        ),
    ]
    fields += [(tr("Dấu hiệu", "Sign", lang), reason) for reason in fake.reasons]
    fields += [
        (tr("Liên hệ trên trang giả", "Contact on the fake", lang), contact) for contact in fake.contacts
    ]
    fields += [(f"{entry.label} (SHA-256)", entry.sha256) for entry in fake.evidence]
    return (
        _text_environment()
        .get_template("form_block.txt.j2")
        .render(
            heading=tr(
                f"Sao chép các trường sau vào biểu mẫu của {channel.name} (phát hiện #{fake.finding_id}):",
                f"Copy these fields into the form of {channel.name} (finding #{fake.finding_id}):",
                lang,
            ),
            form_label=tr("Biểu mẫu", "Form", lang),
            form_url=channel.url,
            fields=fields,
        )
    )
