"""The e-mail channel: multipart messages over SMTP (STARTTLS, SSL or plain), errors in one line."""

from __future__ import annotations

import hashlib
import html as html_text
import ssl
from collections.abc import Mapping
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from monitor.errors import NotifyError
from monitor.i18n import Language
from monitor.log import get_logger, mask_text
from monitor.notify.alerts import Alert
from monitor.notify.messages import ChatMessage
from monitor.notify.render import display
from monitor.notify.texts import text
from monitor.settings import EmailSettings

log = get_logger(__name__)


def email_configured(email: EmailSettings) -> bool:
    """Whether mails can go out: a server, a sender and at least one recipient."""
    return bool(email.smtp_host and email.sender and email.recipients)


def compose(
    sender: str,
    recipients: list[str],
    subject: str,
    plain: str,
    html: str,
    *,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message (plain text first, HTML preferred), UTF-8 throughout."""
    message = EmailMessage()
    # A header must be one line: a hostile name must not add headers.
    set_subject(message, display(subject, 250))
    message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or None
    message["Message-ID"] = message_id or make_msgid(domain=domain)
    # RFC 3834: tells mail servers not to send vacation replies back.
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        message[name] = display(value, 250)
    message.set_content(plain, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


def set_subject(message: EmailMessage, subject: str) -> None:
    """Set Subject so that every space survives folding, whichever generator writes the message.

    The standard library's folder (Python 3.11, policy SMTP as aiosmtplib uses it) can move the
    space between two words out of an encoded word into the fold, where RFC 2047 decoders drop it:
    "BHXH tỉnh Bình Dương" arrived as "BHXH tỉnhBình Dương". A non-ASCII subject is therefore
    encoded here, spaces inside the encoded words and every line within 78 characters, and stored
    as it will be sent; the generator writes such short lines unchanged.
    """
    if subject.isascii():
        message["Subject"] = subject
        return
    folded = Header(subject, "utf-8", header_name="Subject").encode(linesep="\n")
    message.set_raw("Subject", folded)


def stable_message_id(alert: Alert, sender: str | None) -> str:
    """The Message-ID of every send of one queued alert: a resend after a crash carries the same one.

    Derived from the outbox key, with the observation's time and identity mixed in so that two
    databases (a test copy, another office) sending from one domain never share an id.
    """
    finding = alert.payload.get("finding")
    identity = finding.get("identity") if isinstance(finding, dict) else None
    seed = "\n".join((alert.key, str(alert.payload.get("observed_at") or ""), str(identity or "")))
    digest = hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:32]
    domain = sender.rpartition("@")[2] if sender and "@" in sender else ""
    return f"<{digest}@{domain or 'monitor.invalid'}>"


class EmailChannel:
    """Sends mails through the [email] SMTP server; one connection per message."""

    key = "email"
    # The digest goes by e-mail in full (monitor.digest), not as a chat summary.
    summaries = False
    per_minute: int | None = None

    def __init__(
        self, settings: EmailSettings, *, lang: Language = "vi", tls_context: ssl.SSLContext | None = None
    ) -> None:
        self.settings = settings
        self.lang = lang
        # Tests (and private CAs) pass their own context; otherwise the system's trust store.
        self.tls_context = tls_context

    @classmethod
    def from_settings(
        cls, email: EmailSettings, *, lang: Language | None = None, tls_context: ssl.SSLContext | None = None
    ) -> EmailChannel:
        return cls(email, lang=lang or email.language, tls_context=tls_context)

    @property
    def name(self) -> str:
        return "email"

    @property
    def label(self) -> str:
        return "E-mail"

    @property
    def configured(self) -> bool:
        return email_configured(self.settings)

    def destination(self) -> list[str]:
        return list(self.settings.recipients)

    def compose(
        self,
        subject: str,
        plain: str,
        html: str,
        *,
        headers: Mapping[str, str] | None = None,
        message_id: str | None = None,
    ) -> EmailMessage:
        if not self.configured or self.settings.sender is None:
            raise NotifyError(text("error.not_configured", self.lang))
        return compose(
            self.settings.sender,
            self.destination(),
            subject,
            plain,
            html,
            headers=headers,
            message_id=message_id,
        )

    async def send(self, alert: Alert) -> None:
        message = self.compose(
            alert.subject,
            alert.text,
            alert.html,
            headers={"X-Monitor-Key": alert.key},
            message_id=stable_message_id(alert, self.settings.sender),
        )
        await self.send_message(message)

    async def send_chat(self, message: ChatMessage, *, key: str) -> None:
        """A short message as a mail: the title as subject, the text as body."""
        body = html_text.escape(message.body).replace("\n", "<br>\n")
        await self.send_message(
            self.compose(message.title, message.body, f"<p>{body}</p>", headers={"X-Monitor-Key": key})
        )

    async def send_message(self, message: EmailMessage) -> None:
        """Deliver one message; any failure becomes a one-line NotifyError in the channel's language."""
        settings = self.settings
        if not self.configured or settings.smtp_host is None:
            raise NotifyError(text("error.not_configured", self.lang))
        if settings.username and settings.password is None:
            raise NotifyError(text("error.no_password", self.lang))
        password = settings.password.get_secret_value() if settings.password is not None else None
        server = f"{settings.smtp_host}:{settings.smtp_port}"
        try:
            await aiosmtplib.send(
                message,
                sender=settings.sender,
                recipients=list(settings.recipients),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.username or None,
                password=password if settings.username else None,
                use_tls=settings.security == "ssl",
                start_tls=settings.security == "starttls",
                timeout=settings.timeout,
                tls_context=self.tls_context,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            error = NotifyError(self._describe(exc, server, password))
            log.warning("email_failed", server=server, error=str(error))
            raise error from exc
        log.info("email_sent", server=server, recipients=len(settings.recipients))

    def _describe(self, exc: BaseException, server: str, password: str | None) -> str:
        lang, settings = self.lang, self.settings
        detail = _detail(exc)
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            message = text("error.auth", lang, server=server, username=settings.username or "", detail=detail)
        elif isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
            message = text("error.timeout", lang, server=server, timeout=settings.timeout)
        elif "starttls" in detail.lower() and not isinstance(exc, aiosmtplib.SMTPResponseException):
            message = text("error.starttls", lang, server=server)
        elif isinstance(exc, aiosmtplib.SMTPNotSupported):
            message = text("error.auth_unsupported", lang, server=server, detail=detail)
        elif isinstance(exc, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPRecipientRefused):
            message = text("error.recipients", lang, server=server, detail=detail)
        elif isinstance(exc, aiosmtplib.SMTPSenderRefused):
            message = text("error.sender", lang, server=server, sender=settings.sender or "", detail=detail)
        elif isinstance(exc, ssl.SSLError) or isinstance(exc.__cause__, ssl.SSLError):
            message = text("error.tls", lang, server=server, detail=detail)
        elif isinstance(exc, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected | OSError):
            message = text("error.refused", lang, server=server, detail=detail)
        else:
            message = text("error.smtp", lang, server=server, detail=detail)
        if password:
            message = message.replace(password, "********")
        return mask_text(display(message, 400))


def _detail(exc: BaseException) -> str:
    """The library's reason, short and on one line."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        reason = f"{exc.code} {exc.message}"
    else:
        reason = str(exc) or type(exc).__name__
    if isinstance(exc.__cause__, ssl.SSLError):
        reason = exc.__cause__.reason or str(exc.__cause__)
    return display(reason, 200)
