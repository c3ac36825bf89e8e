"""Normalisation of display names, handles and domain labels into folded tokens and trick codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from monitor.matching.clean import (
    BIDI,
    DECORATED,
    DIGITS,
    HOMOGLYPHS,
    INVISIBLE,
    LEGACY,
    LOOKALIKE,
    PDF,
    PUNYCODE,
    RLO,
    SPACED,
    Cleaner,
)
from monitor.matching.letters import canonical_tones, case_classes, fold, is_syllable, place_tone
from monitor.matching.prepare import BREAK, DERIVED, SEPARATORS, canonical, percent_decode, shorten

# Longer input is not a name; the head is enough to judge it and keeps hostile input cheap.
MAX_CHARS = 1000
_CACHE_LIMIT = 100_000

_RLO, _PDF = RLO, PDF
__all__ = [
    "BIDI",
    "DECORATED",
    "DIGITS",
    "HOMOGLYPHS",
    "INVISIBLE",
    "LEGACY",
    "LOOKALIKE",
    "MAX_CHARS",
    "PUNYCODE",
    "SPACED",
    "Normalized",
    "Normalizer",
    "canonical_tones",
    "fold",
    "is_syllable",
    "normalize",
    "place_tone",
]
_CLAIM_SYMBOLS = re.compile("[\u2611\u2705\u2713\u2714\U0001f5f8]")
# Vietnamese phone numbers: mobiles and landlines (0 / +84 / 84 prefix) and 1800/1900 hotlines.
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+?84|0)(?:[ .\-]?\d){9,10}|1[89]00(?:[ .\-]?\d){4,6})(?!\d)")
_NOT_DIGIT = re.compile(r"\D")
_LONG_NUMBER = 3
_TOKEN = re.compile(r"[a-z0-9đ@$€|!]+")
_EDGE = re.compile(r"[@$€|!]")
_ODD = re.compile("[0-9@$€|!\u2611\u2705\u2713\u2714\U0001f5f8]")
# Nine or more digits, maybe spaced or dotted: the least a phone number has.
_PHONE_GATE = re.compile(r"\d[\d .\-]{7,}\d")
_EDGE_SYMBOLS = "@$€|!"
_LETTERS_OR_DIGITS = re.compile(r"[a-zđ]+|[0-9]+")
# Letters and digits (and a few symbols) that stand for letters inside words.
_LEET = str.maketrans("013456789@$€|!", "oieasgtbgaseii")

# A word's tokens, the tricks seen in it (code, token), how many lone letters it holds, its
# raw tokens before they were read, and the diacritic marks of its tokens (see `Normalized`).
_Word = tuple[tuple[str, ...], tuple[tuple[str, str], ...], int, tuple[str, ...], tuple[str, ...]]


class Normalized(NamedTuple):
    """A name after normalisation (a named tuple: built for every name, so kept light)."""

    text: str  # cleaned Unicode text: visual order, no invisibles, legacy encodings repaired
    tokens: tuple[str, ...]  # folded lower-case tokens (ASCII plus đ) that matching works on
    tricks: dict[str, str]  # evasion tricks seen: code -> what was seen
    phones: tuple[str, ...]  # phone numbers, digits only, 0-prefixed
    claim_symbols: tuple[str, ...]  # check marks and similar "verified" symbols
    encoding: str | None  # legacy encoding that was repaired
    # Token positions where a new part of the name begins, after " - ", "|", "(" ...
    breaks: tuple[int, ...] = ()
    # Per token: the syllable as written, lower case with its diacritics, when it has any; ""
    # when written without; DERIVED when read through a digit or look-alike fold. Empty when the
    # tokens could not be lined up with the text (letters typed apart).
    marks: tuple[str, ...] = ()

    @property
    def folded(self) -> str:
        return " ".join(self.tokens)

    @property
    def display(self) -> str:
        """The cleaned text with tone marks in their traditional place, for people to read."""
        return canonical_tones(" ".join(self.text.split()))


class Normalizer:
    """Turns names into folded tokens; knows a vocabulary to read digits and glued words."""

    def __init__(
        self,
        vocabulary: frozenset[str] = frozenset(),
        compounds: Mapping[str, tuple[str, ...]] | None = None,
        splitters: frozenset[str] = frozenset(),
        *,
        literal: bool = False,
    ) -> None:
        """`compounds` maps glued keys ("binhduong") to tokens; `splitters` are the keys
        searched inside longer tokens (only these make a glued token split). A `literal`
        normaliser takes letters and digits as written: for terms, whose "Đắk Mil" is no trick."""
        self.vocabulary = vocabulary
        self.literal = literal
        self.compounds: dict[str, tuple[str, ...]] = dict(compounds or {})
        keys = sorted((k for k in splitters if len(k) >= 4), key=len, reverse=True)
        self._splitter = re.compile("|".join(map(re.escape, keys))) if keys else None
        self._cleaner = Cleaner()
        self.clean = self._cleaner.clean
        self._tokens: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
        self._words: dict[str, _Word] = {}

    # -- tokens ------------------------------------------------------------------------------

    def normalize(self, text: str) -> Normalized:
        """Normalise one name (never raises; any string gives a result)."""
        if _RLO in text:
            # Shown right to left or typed in logical order: the reading with more known words.
            visual = self._normalize(text)
            logical = self._normalize(text.replace(_RLO, "").replace(_PDF, ""))
            known = self.vocabulary
            if sum(t in known for t in logical.tokens) > sum(t in known for t in visual.tokens):
                logical.tricks.setdefault(BIDI, "")
                return logical
            return visual
        return self._normalize(text)

    def _normalize(self, text: str) -> Normalized:
        if "%" in text:
            text = percent_decode(text)
        hidden = False
        if len(text) > MAX_CHARS:
            # What takes no room goes before the cut, so that it cannot push the name out.
            text, hidden = shorten(text, MAX_CHARS)
        cleaned, tricks, encoding = self.clean(text)
        if hidden:
            tricks.setdefault(INVISIBLE, "")
        claims: tuple[str, ...] = ()
        phones: tuple[str, ...] = ()
        work = cleaned
        odd = _ODD.search(work) is not None  # digits, symbols in words, check marks
        if odd:
            if _CLAIM_SYMBOLS.search(work):
                claims = tuple(_CLAIM_SYMBOLS.findall(work))
            if _PHONE_GATE.search(work):
                found = _PHONE.findall(work)
                if found:
                    phones = tuple(_phone_digits(p) for p in found)
                    work = _PHONE.sub(" ", work)
        parted = SEPARATORS.search(work) is not None
        if parted:
            work = SEPARATORS.sub(f" {BREAK} ", work)
        tokens: list[str] = []
        marks: list[str] = []
        breaks: list[int] = []
        words = self._words
        split = work.split()
        singles = 0
        for word in split:
            done = words.get(word)
            if done is None:
                if word == BREAK:
                    if tokens and (not breaks or breaks[-1] != len(tokens)):
                        breaks.append(len(tokens))
                    continue
                if word.isdigit() and len(word) > 1:
                    # Numbers are many and unique: short ones can be in a term ("quận 12"),
                    # years and counters say nothing.
                    if len(word) < _LONG_NUMBER:
                        tokens.append(word)
                        marks.append("")
                    continue
                done = self._word(word)
            tokens += done[0]
            marks += done[4]
            singles += done[2]
            if done[1]:
                for flag, seen in done[1]:
                    tricks.setdefault(flag, seen)
        if singles >= 2:
            # Lone letters: they may be one word typed apart ("B H X H"), so read them again.
            tokens, breaks = self._tokens_of(split, tricks)
            marks = []
        if breaks and breaks[-1] >= len(tokens):
            breaks.pop()
        return Normalized(
            cleaned, tuple(tokens), tricks, phones, claims, encoding, tuple(breaks), tuple(marks)
        )

    def _raw(self, word: str, camel_case: bool = True) -> list[str]:
        """The folded raw tokens of one whitespace-separated word."""
        camel, fold_table, gate = case_classes()
        text = camel.sub(" ", word) if camel_case and gate.search(word) else word
        text = text.lower()
        if not text.isascii():
            text = text.translate(fold_table)
        raw = _TOKEN.findall(text)
        if _EDGE.search(text):
            raw = [t for t in (tok.strip(_EDGE_SYMBOLS) for tok in raw) if t]
        return raw

    def _word(self, word: str) -> _Word:
        """Tokens of one word, the tricks seen in it, and whether it holds a lone letter."""
        raw = self._raw(word)
        camel_case = True
        tokens, flags, derived = self._read(raw)
        if len(raw) > 1 and case_classes()[2].search(word):
            # Capitals do not always start words ("BHxãhội", "BảohiểmXHBD"): when cutting at
            # them leaves unknown pieces, the word read whole may do better.
            unknown = self._unknown(tokens)
            if unknown:
                whole = self._raw(word, camel_case=False)
                whole_tokens, whole_flags, whole_derived = self._read(whole)
                if self._unknown(whole_tokens) < unknown:
                    raw, tokens, flags, derived = whole, whole_tokens, whole_flags, whole_derived
                    camel_case = False
        marks = self._marks(word, raw, tokens, derived, camel_case)
        done = (tuple(tokens), tuple(flags), sum(1 for t in raw if len(t) == 1), tuple(raw), marks)
        if not word.isdigit():  # numbers are many and unique: not worth keeping
            if len(self._words) >= _CACHE_LIMIT:
                self._words.clear()
            self._words[word] = done
        return done

    def _read(self, raw: list[str]) -> tuple[list[str], list[tuple[str, str]], bool]:
        """Tokens of raw tokens, the tricks seen, (code, raw token), and whether a token came
        from a digit or look-alike fold."""
        tokens: list[str] = []
        flags: list[tuple[str, str]] = []
        for tok in raw:
            if tok.isdigit() and len(tok) >= _LONG_NUMBER:
                continue  # years and counters say nothing; short numbers can be in a term
            pieces, found = self._token(tok)
            tokens += pieces
            flags += [(flag, tok) for flag in sorted(found)]
        return tokens, flags, any(f in (DIGITS, LOOKALIKE) for f, _ in flags)

    def _marks(
        self, word: str, raw: list[str], tokens: list[str], derived: bool, camel_case: bool
    ) -> tuple[str, ...]:
        """The diacritic marks of a word's tokens (see `Normalized.marks`)."""
        if derived:
            # Which token came from a fold: those that are not a raw token as written.
            plain = set(raw)
            return tuple("" if t in plain else DERIVED for t in tokens)
        if word.isascii() or tokens != raw:
            return ("",) * len(tokens)
        camel, fold_table, gate = case_classes()
        text = camel.sub(" ", word) if camel_case and gate.search(word) else word
        lower = text.lower()
        folded = lower.translate(fold_table)
        if len(folded) != len(lower) or _EDGE.search(folded):
            return ("",) * len(tokens)
        found = [lower[m.start() : m.end()] for m in _TOKEN.finditer(folded)]
        found = [m for m in found if not (m.isdigit() and len(m) >= _LONG_NUMBER)]
        if len(found) != len(tokens):
            return ("",) * len(tokens)
        return tuple("" if m == t else canonical(m) for m, t in zip(found, tokens, strict=True))

    def _unknown(self, tokens: list[str]) -> int:
        """How many tokens are neither known words, numbers nor Vietnamese syllables."""
        known = self.vocabulary
        return sum(1 for t in tokens if t not in known and not t.isdigit() and not is_syllable(t))

    def _tokens_of(self, words: list[str], tricks: dict[str, str]) -> tuple[list[str], list[int]]:
        """Tokens of a name whose letters may be typed apart across words, and its breaks."""
        raw = [
            tok
            for word in words
            for tok in ((BREAK,) if word == BREAK else (self._words.get(word) or self._word(word))[3])
        ]
        if list(map(len, raw)).count(1) >= 2:
            raw = self._join_spaced(raw, tricks)
        tokens: list[str] = []
        breaks: list[int] = []
        for tok in raw:
            if tok == BREAK:
                if tokens and (not breaks or breaks[-1] != len(tokens)):
                    breaks.append(len(tokens))
                continue
            if tok.isdigit() and len(tok) >= _LONG_NUMBER:
                continue
            pieces, flags = self._token(tok)
            tokens += pieces
            for flag in flags:
                tricks.setdefault(flag, tok)
        return tokens, breaks

    def _join_spaced(self, raw: list[str], tricks: dict[str, str]) -> list[str]:
        """Join letters typed apart ("B H X H", "B.H.X.H") when the joined word is known."""
        out: list[str] = []
        i = 0
        while i < len(raw):
            j = i
            while j < len(raw) and len(raw[j]) == 1 and raw[j] != BREAK:
                j += 1
            if j - i >= 2:
                joined = "".join(raw[i:j])
                pieces, _ = self._token(joined)
                # Only a whole known word or name counts, not a syllable of one: "H.Ý Yên" is
                # "huyện Ý Yên", not "hy" of "Đồng Hỷ".
                if (
                    len(pieces) > 1
                    or pieces[0] in self.compounds
                    or (len(joined) > 2 and pieces[0] in self.vocabulary)
                ):
                    out.append(joined)
                    tricks.setdefault(SPACED, " ".join(raw[i:j]))
                    i = j
                    continue
            out.append(raw[i])
            i += 1
        return out

    def _token(self, tok: str) -> tuple[tuple[str, ...], frozenset[str]]:
        cached = self._tokens.get(tok)
        if cached is None:
            if len(self._tokens) >= _CACHE_LIMIT:
                self._tokens.clear()
            cached = self._tokens[tok] = self._analyse(tok)
        return cached

    def _analyse(self, tok: str) -> tuple[tuple[str, ...], frozenset[str]]:
        known = self.vocabulary
        if tok in known or tok.isdigit() or tok in self.compounds or self.literal:
            return self._expand(tok), frozenset()
        letters = any(c.isalpha() for c in tok)
        if letters and not tok.isalpha():
            leet = tok.translate(_LEET)
            if leet in known or leet in self.compounds:
                return self._expand(leet), frozenset({DIGITS})
            parts = _LETTERS_OR_DIGITS.findall(tok)
            if parts[-1].isdigit():
                # A number after glued words ("bhxhkhuvuc4") is a number, not a letter.
                pieces = self._glued_parts(parts)
                if pieces:
                    return pieces, frozenset()
            if len(parts) > 1 and all(p.isdigit() or p in known for p in parts):
                kept = [p for p in parts if not (p.isdigit() and len(p) >= _LONG_NUMBER)]
                return tuple(x for p in kept for x in self._expand(p)), frozenset()
            split = self._split(leet)
            if split and all(p in known for p in split):
                return split, frozenset({DIGITS})
            # Glued words beside a number ("bhxhkv12", "bhxhbd24h"): the digits are a number.
            pieces = self._glued_parts(parts)
            if pieces:
                return pieces, frozenset()
            if split:
                return split, frozenset({DIGITS})
            if is_syllable(leet):
                return (leet,), frozenset({DIGITS})
            return (tok,), frozenset()
        if "l" in tok and not is_syllable(tok):
            # "Blnh" is "Bình" when the word read so is known; "PLO" stays "plo".
            loose = tok.replace("l", "i")
            if loose in known or loose in self.compounds:
                return self._expand(loose), frozenset({LOOKALIKE})
            split = self._split(loose) if len(loose) >= 5 else None
            if split and all(p in known for p in split):
                return split, frozenset({LOOKALIKE})
        if len(tok) >= 5 and not is_syllable(tok):
            split = self._split(tok)
            if split:
                return split, frozenset()
        return (tok,), frozenset()

    def _glued_parts(self, parts: list[str]) -> tuple[str, ...] | None:
        """Runs of letters and digits read as known words and numbers, or None."""
        out: list[str] = []
        for part in parts:
            if part.isdigit():
                if len(part) < _LONG_NUMBER:
                    out.append(part)
                continue
            pieces = self._expand(part) if part in self.vocabulary else self._split(part)
            if not pieces or not all(p in self.vocabulary for p in pieces):
                return None
            out.extend(pieces)
        return tuple(out)

    def _expand(self, tok: str) -> tuple[str, ...]:
        return self.compounds.get(tok, (tok,))

    def _split(self, tok: str) -> tuple[str, ...] | None:
        """Cut a glued token ("bhxhbinhduong") around the brand's keys found inside it."""
        if self._splitter is None:
            return None
        pieces: list[str] = []
        pos = 0
        for match in self._splitter.finditer(tok):
            if match.start() > pos:
                pieces.extend(self._expand(tok[pos : match.start()]))
            pieces.extend(self.compounds.get(match.group(0), (match.group(0),)))
            pos = match.end()
        if not pos:
            return None
        if pos < len(tok):
            pieces.extend(self._expand(tok[pos:]))
        return tuple(pieces)


def _phone_digits(text: str) -> str:
    digits = _NOT_DIGIT.sub("", text)
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


@lru_cache(maxsize=1)
def _default() -> Normalizer:
    return Normalizer()


def normalize(text: str) -> Normalized:
    """Normalise with no brand vocabulary (glued words stay glued)."""
    return _default().normalize(text)
