"""Character cleaning of a name: legacy encodings, bidi overrides, invisible, decorated and
look-alike characters, punycode labels; each trick seen is reported by its code."""

from __future__ import annotations

import re
import unicodedata

from monitor.matching.charmap import ASTRAL as _ASTRAL
from monitor.matching.charmap import BIDI as _BIDI_KIND
from monitor.matching.charmap import DECORATED as _DECORATED
from monitor.matching.charmap import HOMOGLYPH as _HOMOGLYPH
from monitor.matching.charmap import INVISIBLE as _INVISIBLE
from monitor.matching.charmap import char_tables
from monitor.matching.legacy import VIQR_GATE as _VIQR_GATE
from monitor.matching.legacy import legacy_class as _LEGACY_CLASS
from monitor.matching.legacy import legacy_gate as _LEGACY_GATE
from monitor.matching.legacy import repair

# Trick codes (also reason codes).
INVISIBLE = "invisible_characters"
BIDI = "bidi_override"
DECORATED = "decorated_letters"
HOMOGLYPHS = "homoglyphs"
SPACED = "spaced_letters"
DIGITS = "digits_as_letters"
LOOKALIKE = "lookalike_letters"
LEGACY = "legacy_encoding"
PUNYCODE = "punycode_domain"

_ENCODING_NAMES = {"cp1252": "UTF-8 read as Windows-1252", "tcvn3": "TCVN3", "vni": "VNI", "viqr": "VIQR"}
RLO, PDF = "\u202e", "\u202c"
_ASCII_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
# An internationalised domain label as DNS carries it ("xn--bhxh-bnh-dng-..." = "bhxh-bình-dương").
_PUNYCODE = re.compile(r"(?i)(?<![a-z0-9-])xn--([a-z0-9-]{1,63})")
_ASCII_CONTROL_TABLE = dict.fromkeys([*range(0x20), 0x7F], " ")


def _visual_order(text: str) -> str:
    """Undo right-to-left overrides: what an RLO reverses on screen is reversed here too."""
    out: list[str] = []
    pos = 0
    while (start := text.find(RLO, pos)) >= 0:
        end = text.find(PDF, start + 1)
        end = len(text) if end < 0 else end
        out.append(text[pos:start])
        out.append(unicodedata.normalize("NFC", text[start + 1 : end])[::-1])
        pos = end + 1
    out.append(text[pos:])
    return "".join(out)


def _between_letters(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands between two letters or digits."""
    return start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()


class Cleaner:
    """Cleans names; the cheap tests that let most names skip the work are built on first use."""

    def __init__(self) -> None:
        # The first gate is one pass over a class holding a character of anything the others find.
        self._gates: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None = None

    def _load_gates(self) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
        special = char_tables().special
        bmp = special.bmp.pattern
        inner = bmp[1:-1] if bmp.startswith("[") and bmp.endswith("]") else ""
        wide = re.compile(f"[{inner}{_LEGACY_CLASS()}\U00010000-\U0010ffff]")
        self._gates = (wide, _LEGACY_GATE(), special.bmp, special.astral)
        return self._gates

    def clean(self, text: str) -> tuple[str, dict[str, str], str | None]:
        """Unicode text as it shows, free of invisible, decorated and look-alike characters."""
        if ("n--" in text or "N--" in text) and _PUNYCODE.search(text):
            decoded, labels = _decode_punycode(text)
            if labels:
                cleaned, tricks, encoding = self._clean(decoded)
                return cleaned, {PUNYCODE: ", ".join(labels), **tricks}, encoding
        return self._clean(text)

    def _clean(self, text: str) -> tuple[str, dict[str, str], str | None]:
        # The common cases first, without a look at legacy encodings or look-alikes.
        if text.isascii():
            if not _VIQR_GATE.search(text):
                if _ASCII_CONTROLS.search(text):
                    text = text.translate(_ASCII_CONTROL_TABLE)
                return text, {}, None
        else:
            wide, legacy, special_bmp, special_astral = self._gates or self._load_gates()
            if not wide.search(text):
                return unicodedata.normalize("NFKC", text), {}, None
            if not (
                legacy.search(text)
                or special_bmp.search(text)
                or (_ASTRAL.search(text) and special_astral.search(text))
            ):
                return unicodedata.normalize("NFKC", text), {}, None
        tricks: dict[str, str] = {}
        text, encoding = repair(text)
        if encoding:
            tricks[LEGACY] = _ENCODING_NAMES.get(encoding, encoding)
        if text.isascii():
            if _ASCII_CONTROLS.search(text):
                text = text.translate(_ASCII_CONTROL_TABLE)
            return text, tricks, encoding
        tables = char_tables()
        if RLO in text:
            text = _visual_order(text)
            tricks[BIDI] = ""
        found = tables.special.finditer(text)
        if not found:
            return unicodedata.normalize("NFKC", text), tricks, encoding
        tricks.update(trick_details(*_special(text, found)))
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = unicodedata.normalize("NFC", text.translate(tables.table))
        return text, tricks, encoding

    def special(self, text: str) -> Special:
        """The special characters of a text without a legacy encoding or right-to-left override,
        by kind (see `_special`)."""
        found = char_tables().special.finditer(text)
        return _special(text, found) if found else ([], [], [], [])


# Characters of a text by trick: invisible and bidi characters between letters, decorated
# letters, look-alikes. Each list holds those of the Basic Multilingual Plane in text order, then
# the others in text order, as the search finds them; texts put one after the other merge so.
Special = tuple[list[str], list[str], list[str], list[str]]


def _special(text: str, found: list[re.Match[str]]) -> Special:
    """One pass over the special characters found, sorted by kind (in the order found)."""
    tables = char_tables()
    kinds = tables.kinds
    invisible: list[str] = []
    bidi: list[str] = []
    decorated: list[str] = []
    lookalikes: list[str] = []
    for match in found:
        ch = match.group(0)
        kind = kinds.get(ord(ch), 0)
        if kind & (_INVISIBLE | _BIDI_KIND) and _between_letters(text, match.start(), match.end()):
            (invisible if kind & _INVISIBLE else bidi).append(ch)
        if kind & _DECORATED:
            decorated.append(ch)
        if kind & _HOMOGLYPH:
            lookalikes.append(ch)
    if not unicodedata.is_normalized("NFKC", text):
        # Compatibility forms may unfold into look-alikes ("𝚩" -> Greek "Β"): look again.
        lookalikes = tables.homoglyph.findall(unicodedata.normalize("NFKC", text))
    return invisible, bidi, decorated, lookalikes


def merge_special(parts: list[Special]) -> Special:
    """The special characters of texts put one after the other, as `_special` finds them."""
    merged: list[list[str]] = [[], [], [], []]
    for kind in range(4):
        chars = [ch for part in parts for ch in part[kind]]
        merged[kind] = [c for c in chars if ord(c) < 0x10000] + [c for c in chars if ord(c) >= 0x10000]
    return merged[0], merged[1], merged[2], merged[3]


def trick_details(
    invisible: list[str], bidi: list[str], decorated: list[str], lookalikes: list[str]
) -> dict[str, str]:
    """The tricks special characters show, code -> what was seen."""
    tricks: dict[str, str] = {}
    hidden = invisible + bidi
    if hidden:
        tricks[INVISIBLE] = ", ".join(dict.fromkeys(unicodedata.name(c, f"U+{ord(c):04X}") for c in hidden))
    if decorated:
        tricks[DECORATED] = "".join(dict.fromkeys(decorated))[:12]
    if lookalikes:
        scripts = dict.fromkeys(unicodedata.name(c, "?").split(" ")[0].title() for c in lookalikes)
        tricks[HOMOGLYPHS] = f"{''.join(dict.fromkeys(lookalikes))[:12]} ({', '.join(scripts)})"
    return tricks


def _decode_punycode(text: str) -> tuple[str, list[str]]:
    """The text with its punycode domain labels decoded, and the labels as they read decoded."""
    labels: list[str] = []

    def decode(match: re.Match[str]) -> str:
        try:
            label = match.group(1).lower().encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            return match.group(0)
        if not label or label.isascii() or not label.isprintable():
            return match.group(0)
        labels.append(label)
        return label

    return _PUNYCODE.sub(decode, text), labels
