"""Showing stored values to people: local times and terminal-safe text."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

DISPLAY_ZONE = "Asia/Ho_Chi_Minh"
# C0/C1 controls, DEL, bidi overrides/isolates and line/paragraph separators: they can rewrite
# what an officer sees in a terminal or a CSV cell, so they are shown as visible escapes.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def local_time(value: datetime | None, zone: str = DISPLAY_ZONE) -> str:
    """'2026-11-24 14:30 (+07)' in the display zone; '' for None."""
    if value is None:
        return ""
    shown = value.astimezone(ZoneInfo(zone))
    offset = shown.strftime("%z")
    return f"{shown:%Y-%m-%d %H:%M} ({offset[:3]})"


def safe_text(value: str, limit: int | None = 200) -> str:
    """One line with control and bidi characters made visible, cut at `limit` characters."""
    text = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", unicodedata.normalize("NFC", value))
    text = text.encode("utf-8", "replace").decode("utf-8")
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text
