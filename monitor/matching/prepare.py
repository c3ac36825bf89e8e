"""Steps before a name is read: URL decoding, cleaning long input, separators and diacritic marks."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import unquote

# A private-use character put where a separator stood: it is a word of its own, never a token.
BREAK = "\ue000"
# A mark that says a token was read through a digit or look-alike fold ("pt1" -> "pti").
DERIVED = "\x00"
# What splits a name into parts: a tagline after " - ", "|", "–", "·", ":" or in brackets.
# A "|" between letters stands for one ("B|nh"), so it separates only beside a space or an edge.
SEPARATORS = re.compile(r"(?:^|\s)[-~/+=*>]+(?=\s|$)|(?<!\w)\||\|(?!\w)|[·•–—()\[\]{}«»‹›:;✦★☆►▶◆■●]")
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
# Characters that take no room: format and bidi controls, variation selectors, fillers.
_NOTHING = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_INVISIBLE_RUN = re.compile(f"[{_NOTHING}]+|[\U000e0000-\U000e0fff]+")
_EMOJI = re.compile("[\u2190-\u21ff\u2300-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]+")
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# More than two marks on one letter is a flood (no Vietnamese letter carries more than two).
_FLOOD = re.compile(f"(?<=[{_MARKS}]{{2}})[{_MARKS}]+")
_SPACES = re.compile(r"\s{2,}")
_CHUNK = 4096


def percent_decode(text: str) -> str:
    """URL-encoded input ("bhxhbinhduong%2Ecom") as it reads; twice for doubly encoded input."""
    for _ in range(2):
        if "%" not in text or not _PERCENT.search(text):
            break
        text = unquote(text, errors="replace")
    return text


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """The head of a long text after what takes no room is gone: invisible and bidi characters,
    floods of combining marks, emoji and runs of spaces. True when invisible characters went."""
    out: list[str] = []
    size = 0
    hidden = False
    keep_bidi = "\u202e" in text
    for start in range(0, len(text), _CHUNK):
        chunk = text[start : start + _CHUNK]
        if keep_bidi:
            # Right-to-left overrides are read in visual order later; keep them, drop the rest.
            chunk = chunk.replace("\u202e", "\ue001").replace("\u202c", "\ue002")
        cleaned = _INVISIBLE_RUN.sub("", chunk)
        hidden = hidden or len(cleaned) != len(chunk)
        cleaned = _SPACES.sub(" ", _EMOJI.sub(" ", _FLOOD.sub("", cleaned)))
        if keep_bidi:
            cleaned = cleaned.replace("\ue001", "\u202e").replace("\ue002", "\u202c")
        out.append(cleaned)
        size += len(cleaned)
        if size >= limit * 2:
            break
    joined = _SPACES.sub(" ", "".join(out))
    return joined[:limit], hidden


@lru_cache(maxsize=50_000)
def canonical(word: str) -> str:
    """A lower-case syllable with its tone where the traditional spelling puts it ("hoà" -> "hòa")."""
    from monitor.matching.letters import place_tone

    return place_tone(unicodedata.normalize("NFC", word))


def agrees(term_marks: tuple[str, ...], marks: tuple[str, ...], start: int, end: int) -> bool:
    """Whether tokens [start, end) of a name can be the term: the diacritics the name writes must
    be the term's ("Vấn Hỗ" is not "Vân Hồ"), and no token may come from a digit or look-alike fold.
    Tokens written without diacritics agree with any spelling."""
    if not marks:
        return True
    for k in range(start, min(end, len(marks))):
        seen = marks[k]
        if not seen:
            continue
        if seen == DERIVED:
            return False
        index = k - start
        if index < len(term_marks) and term_marks[index] and term_marks[index] != seen:
            return False
    return True
