"""The SMTP channel against real aiosmtpd servers on 127.0.0.1: plain, auth, STARTTLS, SSL, failures."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
from email.header import decode_header, make_header

import pytest
import trustme
from pydantic import SecretStr

from monitor.errors import NotifyError
from monitor.notify.email import EmailChannel
from monitor.settings import EmailSettings
from tests.notify.helpers import smtp_server
from tests.support.loopback import free_port

SUBJECT = "[Cảnh báo] Phát hiện mạo danh Bảo hiểm xã hội tỉnh Bình Dương"
PASSWORD = "mật-khẩu-bí-mật-42"
# aiosmtpd warns when a test server takes logins without TLS; that is the point of these tests.
plain_auth = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def mail(port: int, **overrides: object) -> EmailSettings:
    values: dict[str, object] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "security": "none",
        "sender": "giamsat@bhxh-bd.example.vn",
        "recipients": ["canbo1@bhxh-bd.example.vn", "canbo2@bhxh-bd.example.vn"],
        "timeout": 5,
    }
    values.update(overrides)
    return EmailSettings.model_validate(values)


def send(channel: EmailChannel) -> None:
    message = channel.compose(SUBJECT, "Nội dung: Bình Dương", "<p>Nội dung: <b>Bình Dương</b></p>")
    asyncio.run(channel.send_message(message))


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throw-away CA: the server's context and a client context trusting it."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


def test_plain_delivery_has_both_parts_in_utf8() -> None:
    with smtp_server() as server:
        send(EmailChannel.from_settings(mail(server.port)))
    [received] = server.mailbox.messages
    assert received.mail_from == "giamsat@bhxh-bd.example.vn"
    assert received.rcpt_tos == ["canbo1@bhxh-bd.example.vn", "canbo2@bhxh-bd.example.vn"]
    message = received.message
    assert message["Subject"] == SUBJECT
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert plain.get_content_charset() == "utf-8"
    assert "Bình Dương" in plain.get_content()
    assert "<b>Bình Dương</b>" in html.get_content()


@plain_auth
def test_login_succeeds_and_password_never_shows(capsys: pytest.CaptureFixture[str]) -> None:
    with smtp_server(auth=("canbo", PASSWORD)) as server:
        send(EmailChannel.from_settings(mail(server.port, username="canbo", password=SecretStr(PASSWORD))))
    assert len(server.mailbox.messages) == 1
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err


@plain_auth
def test_wrong_password_is_one_clear_vietnamese_line(capsys: pytest.CaptureFixture[str]) -> None:
    with smtp_server(auth=("canbo", "đúng")) as server:
        channel = EmailChannel.from_settings(
            mail(server.port, username="canbo", password=SecretStr(PASSWORD))
        )
        with pytest.raises(NotifyError) as caught:
            send(channel)
    message = str(caught.value)
    assert "từ chối đăng nhập của «canbo»" in message
    assert "\n" not in message
    assert PASSWORD not in message
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
    assert server.mailbox.messages == []


@plain_auth
def test_wrong_password_in_english() -> None:
    with smtp_server(auth=("canbo", "right")) as server:
        channel = EmailChannel.from_settings(
            mail(server.port, username="canbo", password=SecretStr("wrong")), lang="en"
        )
        with pytest.raises(NotifyError, match="refused the login"):
            send(channel)


def test_refused_connection() -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(NotifyError) as caught:
        send(EmailChannel.from_settings(mail(port)))
    assert str(caught.value).startswith(f"không kết nối được máy chủ thư 127.0.0.1:{port}")
    assert "\n" not in str(caught.value)


def test_silent_server_times_out() -> None:
    with socket.socket() as listener:
        # Accepts TCP connections (backlog) but never says hello.
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with pytest.raises(NotifyError, match=r"không trả lời sau 0\.5 giây"):
            send(EmailChannel.from_settings(mail(port, timeout=0.5)))


def test_starttls_with_login(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    with smtp_server(auth=("canbo", PASSWORD), starttls=server_ctx) as server:
        settings = mail(server.port, security="starttls", username="canbo", password=SecretStr(PASSWORD))
        send(EmailChannel.from_settings(settings, tls_context=client_ctx))
    assert len(server.mailbox.messages) == 1


def test_implicit_ssl(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls
    with smtp_server(implicit_tls=server_ctx) as server:
        send(EmailChannel.from_settings(mail(server.port, security="ssl"), tls_context=client_ctx))
    assert len(server.mailbox.messages) == 1


def test_untrusted_certificate_is_a_tls_error(tls: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, _ = tls
    with (
        smtp_server(implicit_tls=server_ctx) as server,
        pytest.raises(NotifyError, match="lỗi TLS với máy chủ thư"),
    ):
        send(EmailChannel.from_settings(mail(server.port, security="ssl")))
    assert server.mailbox.messages == []


def test_starttls_required_but_not_offered() -> None:
    with smtp_server() as server, pytest.raises(NotifyError, match="không hỗ trợ STARTTLS"):
        send(EmailChannel.from_settings(mail(server.port, security="starttls")))


def test_missing_configuration_and_password() -> None:
    with pytest.raises(NotifyError, match="chưa cấu hình gửi thư"):
        send(EmailChannel.from_settings(mail(25, smtp_host=None)))
    channel = EmailChannel.from_settings(mail(25, username="canbo"))
    with pytest.raises(NotifyError, match="MONITOR_EMAIL__PASSWORD"):
        asyncio.run(channel.send_message(channel.compose("s", "t", "<p>t</p>")))


def test_hostile_subject_cannot_add_headers() -> None:
    channel = EmailChannel.from_settings(mail(25))
    message = channel.compose("BHXH\r\nBcc: victim@example.com\x00", "t", "<p>t</p>")
    assert message["Bcc"] is None
    assert message["Subject"] == "BHXH Bcc: victim@example.com"


# The alert subject a new office received as "BHXH tỉnhBình Dương": folding dropped the space.
ALERT_SUBJECT = (
    "[Cảnh báo] Facebook mạo danh Bảo hiểm xã hội tỉnh Bình Dương: "
    "BHXH tỉnh Bình Dương - Hỗ trợ rút BHXH 1 lần, nhận tiền ngay trong ngày"
)
ENGLISH_SUBJECT = (
    "[Alert] Facebook impersonating Social Insurance of Binh Duong province was renamed: "
    "Social Insurance Binh Duong - customer care, withdraw your insurance at once"
)


def _cuts(subject: str) -> list[str]:
    """The subject cut after every word: each cut folds at another place."""
    words = subject.split(" ")
    return [" ".join(words[:n]) for n in range(4, len(words) + 1)]


def test_long_subjects_keep_every_space_on_the_wire() -> None:
    subjects = [*_cuts(ALERT_SUBJECT), ENGLISH_SUBJECT, "Bình " * 45 + "Dương"]
    with smtp_server() as server:
        channel = EmailChannel.from_settings(mail(server.port))
        for subject in subjects:
            message = channel.compose(subject, "Nội dung", "<p>Nội dung</p>")
            asyncio.run(channel.send_message(message))
    assert len(server.mailbox.messages) == len(subjects)
    for subject, received in zip(subjects, server.mailbox.messages, strict=True):
        head = received.raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii()
        lines = head.split(b"\r\n")
        assert max(len(line) for line in lines) <= 78
        start = next(i for i, line in enumerate(lines) if line.startswith(b"Subject: "))
        end = next(i for i in range(start + 1, len(lines)) if lines[i][:1] not in (b" ", b"\t"))
        folded = lines[start:end]
        if len(subject) > 60:
            assert len(folded) > 1  # long enough to be folded: the case that lost spaces
        parsed = email.message_from_bytes(received.raw, policy=email.policy.default)
        assert parsed["Subject"] == subject
        # A legacy decoder (compat32) reads the same words and spaces once unfolded (CRLF removed).
        value = b"".join(folded)[len(b"Subject: ") :].decode("ascii")
        assert str(make_header(decode_header(value))) == subject
    assert any("BHXH tỉnh Bình Dương - Hỗ trợ" in s for s in subjects)
