"""Repair of Vietnamese typed in legacy encodings: UTF-8 read as cp1252, TCVN3, VNI and VIQR.

Each repair is tried only when cheap markers of its encoding are present, and kept only when it
leaves fewer characters that cannot belong to Vietnamese text than the input had.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from monitor.matching.charmap import vietnamese_letters

# TCVN3 (ABC): one byte per letter, read as Latin-1. Lower-case letters, in this order ...
_TCVN3_LETTERS = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
# ... and their bytes. ư is 0xAD, a soft hyphen, which is why repair runs before invisible
# characters are removed.
_TCVN3_BYTES = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦"
# VNI Windows: a base letter followed by one mark character (Latin-1).
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï", "": ""}
_VNI_CIRCUMFLEX = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"": "i", "\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}
# VIQR: ASCII marks after the vowel.
_VIQR_MARK = {"^": "\u0302", "(": "\u0306", "+": "\u031b"}
_VIQR_TONE = {"'": "\u0301", "`": "\u0300", "?": "\u0309", "~": "\u0303", ".": "\u0323"}

_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
# A UTF-8 lead byte of a Vietnamese letter (Ã Ä Å Æ Ì Í á) followed by a continuation byte as
# cp1252 shows it.
_CONTINUATION = (
    "\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122"
)
_MOJIBAKE = re.compile(f"[ÃÄÅÆÌÍá][{_CONTINUATION}]")
# A vowel followed by a VNI mark that no Unicode Vietnamese letter uses, or VNI's ư.
_VNI_HINT = re.compile("[aeiouyAEIOUY][ûøïåäëüÛØÏÅÄËÜ]|[öÖ]")
VIQR_GATE = re.compile(r"[A-Za-z][\^(+`~?']")
_VIQR_HINT = re.compile(
    r"[A-Za-z][\^(+]|[aeiouyAEIOUY][\^(+]?['`?~.](?=[A-Za-z])|\b[dD][dD](?=[aeiouyAEIOUY])"
)
_VIQR_LETTER = re.compile(
    r"([aeiouyAEIOUY])([\^(+]?)(['`?~.]?)(?=[A-Za-z\s]|$)|\b([dD])[dD](?=[aeiouyAEIOUY])"
)


def _vni_encode(letter: str) -> str:
    """The VNI Windows spelling of one precomposed Vietnamese letter."""
    if letter in "đĐ":
        return "ñ" if letter == "đ" else "Ñ"
    upper = letter.isupper()
    parts = unicodedata.normalize("NFD", letter.lower())
    base, marks = parts[0], parts[1:]
    shape = next((m for m in marks if m in "\u0302\u0306\u031b"), "")
    tone = next((m for m in marks if m in _VNI_TONE and m), "")
    if shape == "\u031b":
        out = ("ô" if base == "o" else "ö") + _VNI_TONE[tone]
    elif shape == "\u0302":
        out = base + _VNI_CIRCUMFLEX[tone]
    elif shape == "\u0306":
        out = base + _VNI_BREVE[tone]
    elif base == "i":
        out = _VNI_I[tone]
    elif base == "y" and tone == "\u0323":
        out = "î"
    else:
        out = base + _VNI_TONE[tone]
    return out.upper() if upper else out


@lru_cache(maxsize=1)
def _tables() -> tuple[
    dict[int, str], dict[str, str], re.Pattern[str], frozenset[str], re.Pattern[str], re.Pattern[str]
]:
    tcvn3 = {ord(byte): letter for byte, letter in zip(_TCVN3_BYTES, _TCVN3_LETTERS, strict=True)}
    vni: dict[str, str] = {}
    for letter in sorted(vietnamese_letters()):
        encoded = _vni_encode(letter)
        if encoded != letter:
            vni.setdefault(encoded, letter)
    pattern = re.compile("|".join(re.escape(k) for k in sorted(vni, key=len, reverse=True)))
    allowed = frozenset(vietnamese_letters())
    # Characters that belong to TCVN3 or VNI but never to Vietnamese text in Unicode.
    markers = frozenset(_TCVN3_BYTES + "".join(vni)) - allowed - set(map(chr, range(128)))
    marker = re.compile("[" + re.escape("".join(sorted(markers))) + "]")
    # One cheap test for any of the three: a marker character or the start of UTF-8 mojibake.
    gate = re.compile(f"{marker.pattern}|{_MOJIBAKE.pattern}")
    return tcvn3, vni, pattern, allowed, marker, gate


def _badness(text: str) -> int:
    """How un-Vietnamese a text looks: foreign Latin-1 characters and words with two tones."""
    allowed = _tables()[3]
    bad = sum(
        2 for ch in text if not ch.isascii() and ch not in allowed and ch.isprintable() and ch.isalpha()
    )
    bad += sum(3 for ch in text if ch in "\xad¬¶·¸¹»¼½¾×÷©®ª«¡¢£¤¥¦§µ")
    for word in text.split():
        tones = sum(1 for ch in unicodedata.normalize("NFD", word) if ch in "\u0300\u0301\u0303\u0309\u0323")
        bad += 2 * max(0, tones - 1)
    return bad


def _from_mojibake(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        run = match.group(0)
        raw = bytearray()
        for ch in run:
            if ord(ch) < 0x100:
                raw.append(ord(ch))
            else:
                try:
                    raw += ch.encode("cp1252")
                except UnicodeEncodeError:
                    return run
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return run

    return unicodedata.normalize("NFC", _NON_ASCII_RUN.sub(fix, text))


def _from_tcvn3(text: str) -> str:
    return text.translate(_tables()[0])


def _from_vni(text: str) -> str:
    _, vni, pattern, _, _, _ = _tables()
    return pattern.sub(lambda m: vni[m.group(0)], text)


def _from_viqr(text: str) -> str:
    def fix(match: re.Match[str]) -> str:
        if match.group(4):
            return "đ" if match.group(4) == "d" else "Đ"
        vowel, mark, tone = match.group(1), match.group(2), match.group(3)
        if not mark and not tone:
            return vowel
        return unicodedata.normalize("NFC", vowel + _VIQR_MARK.get(mark, "") + _VIQR_TONE.get(tone, ""))

    return _VIQR_LETTER.sub(fix, text)


def legacy_gate() -> re.Pattern[str]:
    """A cheap test for non-ASCII text: False means no legacy encoding can be in it."""
    return _tables()[5]


def legacy_class() -> str:
    """The body of a regex character class holding a character of every legacy gate match
    (a marker, or the continuation byte of mojibake), to fold into a wider one-pass test."""
    return _tables()[4].pattern[1:-1] + _CONTINUATION


def repair(text: str) -> tuple[str, str | None]:
    """The text in Unicode and the name of the legacy encoding it was in (None: left as is)."""
    candidates: list[tuple[str, str]] = []
    if text.isascii():
        if VIQR_GATE.search(text) and len(_VIQR_HINT.findall(text)) >= 2:
            candidates.append(("viqr", _from_viqr(text)))
    elif _tables()[5].search(text):
        if _MOJIBAKE.search(text):
            candidates.append(("cp1252", _from_mojibake(text)))
        marker = _tables()[4]
        markers = len(marker.findall(text)) if marker.search(text) else 0
        if markers >= 2:
            candidates.append(("tcvn3", _from_tcvn3(text)))
        if markers >= 2 and _VNI_HINT.search(text):
            candidates.append(("vni", _from_vni(text)))
    if not candidates:
        return text, None
    best_name: str | None = None
    best_text, best_bad = text, _badness(text)
    if best_bad == 0 and candidates[0][0] != "viqr":
        return text, None
    for name, candidate in candidates:
        bad = _badness(candidate)
        if name == "viqr":
            bad -= 1  # plain ASCII scores 0; VIQR that decodes cleanly must still win
        if bad < best_bad:
            best_name, best_text, best_bad = name, candidate, bad
    return best_text, best_name
