"""`monitor demo` as a user runs it: a real subprocess, its mails as files, its hints run as printed."""

from __future__ import annotations

import asyncio
import email
import email.policy
import os
import re
import shutil
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

import pytest

from monitor.demo.mailbox import Mailbox
from monitor.notify.email import EmailChannel, compose
from monitor.settings import EmailSettings

REPO = Path(__file__).resolve().parents[1]
# The `monitor` script installed beside this interpreter, as a user's shell finds it.
BIN = Path(sys.executable).parent


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["TMPDIR"] = str(tmp_path / "tmp")  # the demo's default folder lands here, removed with tmp_path
    env["MONITOR_LOG_LEVEL"] = "ERROR"
    return env


def parse(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(REPO / "config", work / "config")
    (tmp_path / "tmp").mkdir()
    return work


def test_demo_writes_its_mails_and_its_hints_run_as_printed(workdir: Path, tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "demo"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    [folder_line] = [line for line in out.splitlines() if line.startswith("Thư mục demo: ")]
    folder = Path(folder_line.removeprefix("Thư mục demo: ").split(" (")[0])
    assert folder.parent == tmp_path / "tmp"

    paths = [Path(line.strip()) for line in out.splitlines() if re.match(r"^  /.*\.(eml|html)$", line)]
    emls = [path for path in paths if path.suffix == ".eml"]
    htmls = [path for path in paths if path.suffix == ".html"]
    assert len(emls) == len(htmls) >= 2
    assert all(path.is_file() and path.parent == folder / "mail" for path in paths)
    alerts = [parse(path) for path in emls if path.name.endswith("-alert.eml")]
    [digest] = [parse(path) for path in emls if path.name.endswith("-digest.eml")]
    assert len(alerts) >= 4  # three new fakes, a rename (and the TikTok page, taken down later)
    for message in [*alerts, digest]:
        subject = str(message["Subject"])
        assert f"{subject}" in out  # printed beside its files
        assert "Bảo hiểm xã hội tỉnh Bình Dương" in subject
        assert message.get_body(("plain",)) is not None
        assert message.get_body(("html",)) is not None
    assert any("đã đổi tên" in str(message["Subject"]) for message in alerts)
    for html in htmls:
        page = html.read_text(encoding="utf-8")
        assert page.lstrip().startswith("<!DOCTYPE html>")
        part = parse(html.with_suffix(".eml")).get_body(("html",))
        assert part is not None
        assert page == part.get_content().replace("\r\n", "\n")
    plain = digest.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    # The renamed fake is one card telling both; the removed TikTok page one card telling both.
    assert "Diễn biến trong kỳ: Mới · đã đổi tên" in text
    assert "Diễn biến trong kỳ: Mới · đã bị gỡ" in text
    card_ids = re.findall(r"Mã phát hiện #(\d+) ", text)
    assert len(card_ids) == len(set(card_ids)) == 4

    hints = [line.strip() for line in out.splitlines() if line.startswith("  monitor ")]
    assert len(hints) == 2
    assert any(" evidence export " in hint for hint in hints)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for hint in hints:
        # Exactly as printed, from another folder, in a shell without any MONITOR_ variable.
        ran = subprocess.run(
            hint,
            shell=True,
            cwd=elsewhere,
            env={k: v for k, v in env.items() if not k.startswith("MONITOR_")},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, (hint, ran.stderr[-3000:])
        if " findings list" in hint:
            assert "BHXH Bình Dương CSKH" in ran.stdout
        else:
            exported = Path(hint.split("--out ", 1)[1])
            assert (exported / "SHA256SUMS").is_file()
            assert (exported / "manifest.json").is_file()


def test_demo_mail_server_keeps_what_the_channel_sends() -> None:
    subject = "[Cảnh báo] Facebook mạo danh Bảo hiểm xã hội tỉnh Bình Dương: BHXH tỉnh Bình Dương"
    # ASCII, so the body crosses the wire as it is: lines starting with dots test the dot-stuffing.
    body = "line one\n.a line starting with a dot\n..\n.\nend\n"
    with Mailbox() as box:
        settings = EmailSettings(
            smtp_host=box.host,
            smtp_port=box.port,
            security="none",
            sender="giamsat@demo.example.vn",
            recipients=["canbo@demo.example.vn"],
            timeout=60,
        )
        message = compose(settings.sender or "", list(settings.recipients), subject, body, "<p>x</p>")
        asyncio.run(EmailChannel.from_settings(settings).send_message(message))
        [received] = box.messages
    assert received.mail_from == "giamsat@demo.example.vn"
    assert received.recipients == ("canbo@demo.example.vn",)
    parsed = email.message_from_bytes(received.raw, policy=email.policy.default)
    assert parsed["Subject"] == subject
    plain = parsed.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == body
