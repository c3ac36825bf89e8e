"""Showing stored values to people: local times, terminal-safe text and display-safe JSON."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

DISPLAY_ZONE = "Asia/Ho_Chi_Minh"
PEOPLE_TIME = "%d/%m/%Y %H:%M"
PEOPLE_DATE = "%d/%m/%Y"
# What a missing moment is shown as in letters and tables.
NO_TIME = "—"
# C0/C1 controls, DEL, bidi overrides/isolates and line/paragraph separators: they can rewrite
# what an officer sees in a terminal or a CSV cell, so they are shown as visible escapes.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def zone_of(name: str) -> ZoneInfo:
    """The named zone; Vietnam time when the name is unknown (display must never fail)."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(DISPLAY_ZONE)


def local_time(value: datetime | None, zone: str = DISPLAY_ZONE, empty: str = "") -> str:
    """The one time format people read, in every language and channel: 'dd/mm/yyyy HH:MM' local time."""
    if value is None:
        return empty
    return _utc(value).astimezone(zone_of(zone)).strftime(PEOPLE_TIME)


def local_date(value: datetime, zone: str = DISPLAY_ZONE) -> str:
    """The day of a moment as people read it: 'dd/mm/yyyy' in local time."""
    return _utc(value).astimezone(zone_of(zone)).strftime(PEOPLE_DATE)


def machine_time(value: datetime | None) -> str | None:
    """The one time format programs read (JSON): ISO 8601 with its UTC offset; None stays None."""
    if value is None:
        return None
    return _utc(value).isoformat()


def _utc(value: datetime) -> datetime:
    """A moment without a zone is UTC (as the store keeps them), never the machine's local time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def safe_text(value: str, limit: int | None = 200) -> str:
    """One line with control and bidi characters made visible, cut at `limit` characters."""
    text = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", unicodedata.normalize("NFC", value))
    text = text.encode("utf-8", "replace").decode("utf-8")
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def table_lines(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A plain text table: a header, a rule, then one line per row; columns two spaces apart.

    Cells must already be one safe line each; the last column is not padded.
    """
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = []
    for cells in (header, ["-" * width for width in widths], *rows):
        padded = [cell.ljust(width) for cell, width in zip(cells[:-1], widths[:-1], strict=True)]
        lines.append("  ".join([*padded, cells[-1]]).rstrip())
    return lines


@cache
def _json_unsafe() -> re.Pattern[str]:
    """Format characters (Cf: bidi, zero-width, tags), C1 controls, line/paragraph separators, surrogates.

    Built once, from the planes where such characters exist (BMP, SMP and the tag plane).
    """
    wanted = {"Cf", "Cc", "Zl", "Zp", "Cs"}
    scanned = list(chain(range(0x7F, 0x20000), range(0xE0000, 0xE1000)))
    categories = map(unicodedata.category, map(chr, scanned))
    codes = [code for code, category in zip(scanned, categories, strict=True) if category in wanted]
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    parts = "".join(f"\\U{lo:08x}" if lo == hi else f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)
    return re.compile(f"[{parts}]")


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells characters past the BMP as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(value: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """JSON for stdout, files and webhooks: UTF-8 text stays readable (ensure_ascii=False), while
    invisible format, bidi, C1 and line-separator characters are written as \\uXXXX escapes.

    A reader or terminal shown the raw output cannot be tricked by a name that reorders itself
    (U+202E) or splits a JSON line (U+2028); parsing gives back exactly the same values.
    """
    dumped = json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=sort_keys)
    # Outside string literals json.dumps writes ASCII only, so every match is inside a string.
    return _json_unsafe().sub(_json_escape, dumped)
