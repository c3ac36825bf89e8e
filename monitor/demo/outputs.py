"""What the demo leaves in its folder: a config file for the commands it suggests, and its mails as files."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from monitor.demo.mailbox import Received

CONFIG_NAME = "monitor.toml"
DATABASE_NAME = "demo.db"
EVIDENCE_NAME = "evidence"
MAIL_NAME = "mail"
_MAIL_FILE = re.compile(r"^\d{2,}-(alert|digest)\.(eml|html)$")


@dataclass(frozen=True)
class MailFile:
    """One received mail written as .eml (the bytes as sent) and .html (its HTML part)."""

    kind: str  # alert | digest
    subject: str
    eml: Path
    html: Path | None


def _toml_string(value: str) -> str:
    # A JSON string without \u escapes of astral characters is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def write_config(folder: Path, brands: Path, lang: str) -> Path:
    """monitor.toml in `folder`; every path in it is absolute, so the commands work from any folder.

    The brands stay in their own file (its logo files are found beside it).
    """
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_NAME
    lines = [
        "# Written by `monitor demo`: the demo's database and evidence, for the commands it printed.",
        f"brands_file = {_toml_string(str(brands.resolve()))}",
        "",
        "[database]",
        f"url = {_toml_string('sqlite:///' + str(folder / DATABASE_NAME))}",
        "",
        "[evidence]",
        f"dir = {_toml_string(str(folder / EVIDENCE_NAME))}",
        "",
        "[email]",
        f"language = {_toml_string(lang)}",
        "",
    ]
    config.write_text("\n".join(lines), encoding="utf-8")
    return config


def write_mails(folder: Path, received: Sequence[Received]) -> list[MailFile]:
    """Each message as NN-alert.eml / NN-digest.eml, with its HTML part beside it; older ones removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if _MAIL_FILE.match(old.name):
            old.unlink()
    files: list[MailFile] = []
    for number, item in enumerate(received, 1):
        parsed = email.message_from_bytes(item.raw, policy=email.policy.default)
        key = str(parsed.get("X-Monitor-Key") or "")
        kind = "alert" if key.startswith("alert:") else "digest"
        eml = folder / f"{number:02d}-{kind}.eml"
        eml.write_bytes(item.raw)
        html: Path | None = None
        body = parsed.get_body(("html",)) if isinstance(parsed, EmailMessage) else None
        if body is not None and isinstance(body, EmailMessage):
            html = eml.with_suffix(".html")
            # The wire's CRLF line ends become the platform's, as any saved web page has them.
            html.write_text(body.get_content().replace("\r\n", "\n"), encoding="utf-8")
        files.append(MailFile(kind, str(parsed.get("Subject") or ""), eml, html))
    return files


def command(config: Path, *args: str, lang: str = "vi") -> str:
    """A `monitor` command line on the demo's config, quoted for a POSIX shell."""
    words = ["monitor", "--config", str(config), *(["--lang", "en"] if lang == "en" else []), *args]
    return shlex.join(words)
