"""Names read word by word from a cache of distinct words, without the per-name cleaning steps."""

from __future__ import annotations

import re

from monitor.matching.clean import (
    DECORATED,
    HOMOGLYPHS,
    INVISIBLE,
    RLO,
    Cleaner,
    Special,
    merge_special,
    trick_details,
)
from monitor.matching.legacy import VIQR_GATE, legacy_gate
from monitor.matching.normalize import (
    _PHONE,
    DIGITS,
    LOOKALIKE,
    MAX_CHARS,
    Normalized,
    Normalizer,
    _phone_digits,
)
from monitor.matching.prepare import SEPARATORS
from monitor.matching.profile import BrandProfile
from monitor.matching.spot import TypoFinder

_CACHE_LIMIT = 100_000
_PHONE_GATE = re.compile(r"\d[\d .\-]{7,}\d")
_DIGIT = re.compile(r"\d")
# What a word reads as alone: its tokens, the diacritic marks of its tokens, whether it is inert
# (see `Words`), how many lone letters or digits it holds, whether it holds a digit, the tricks
# seen in its tokens (code, token), its phone numbers, its claim symbols and its special
# characters (when it has any).
_Tokens = tuple[str, ...]
_Known = tuple[
    _Tokens, _Tokens, bool, int, bool, tuple[tuple[str, str], ...], _Tokens, _Tokens, Special | None
]
_NOTHING_YET: _Known = ((), (), False, 0, False, (), (), (), None)
_NUMBER: _Known = ((), (), True, 0, True, (), (), (), None)
_SEPARATOR: _Known = ((), (), True, 0, False, (), (), (), None)
# Tricks a word's tokens show by themselves, the same whatever the other words are.
_WORD_TRICKS = frozenset({DIGITS, LOOKALIKE})
# Tricks of a word's characters: those of a name are found from its words' (see `merge_special`).
_CHAR_TRICKS = frozenset({INVISIBLE, DECORATED, HOMOGLYPHS})


class Words:
    """Knows, per distinct word, what it reads as alone and whether it can take part in the brand.

    A word is plain when, read alone, it shows no legacy encoding, right-to-left override,
    punycode or separator inside it, and a phone number only as the whole word: a name of plain
    words reads as its words one after the other (their tokens, invisible, decorated and
    look-alike characters, digits and look-alike letters, phone numbers and check marks), so the
    per-name cleaning is skipped. A plain word is inert when it shows nothing of that and none
    of its tokens is a lone letter, a brand term, the start of one, or close to one a misspelling
    could reach: a name of inert words names neither the office nor its place, so it is clear
    whatever else it says."""

    def __init__(self, profile: BrandProfile, normalizer: Normalizer, typos: TypoFinder) -> None:
        self._keys = profile.brand_keys
        self._prefixes = profile.brand_prefixes
        self._normalizer = normalizer
        self._cleaner = Cleaner()
        self._typos = typos
        self._words: dict[str, _Known | None] = {}
        # Inert words -> their folded tokens, joined: what a name of such words normalises to.
        self._inert: dict[str, str] = {}
        self._legacy = legacy_gate()

    def fits(self, name: str) -> bool:
        """Whether a name can be read word by word: not long, URL-encoded, a domain the allowlist
        must see, nor possibly in a legacy encoding (which only the whole name shows)."""
        if len(name) > MAX_CHARS or "%" in name or ("." in name and " " not in name.strip()):
            return False
        if name.isascii():
            return VIQR_GATE.search(name) is None
        return self._legacy.search(name) is None

    def inert(self, name: str) -> str | None:
        """The folded tokens of a fitting name all of whose words are inert, joined; else None."""
        get = self._inert.get
        pieces = [get(word) for word in name.split()]
        if None in pieces:
            return None
        return " ".join([piece for piece in pieces if piece])

    def read(self, name: str) -> tuple[Normalized, bool] | None:
        """A fitting name read from its words and whether all are inert; None when the name
        needs the whole reading (a word that is not plain, or what only the whole name shows)."""
        words = self._words
        tokens: list[str] = []
        marks: list[str] = []
        breaks: list[int] = []
        inert = True
        singles = 0
        digits = False
        flags: list[tuple[str, str]] = []
        special: list[Special] = []
        phones: list[str] = []
        claims: list[str] = []
        for word in name.split():
            known = words.get(word, _NOTHING_YET)
            if known is _NOTHING_YET:
                # Years and counters (three to eight digits) say nothing and are not kept.
                known = _NUMBER if word.isdigit() and 2 < len(word) < 9 else self._learn(word)
            if known is None:
                return None
            if known is _SEPARATOR:
                if tokens and (not breaks or breaks[-1] != len(tokens)):
                    breaks.append(len(tokens))
                continue
            tokens += known[0]
            marks += known[1]
            inert = inert and known[2]
            singles += known[3]
            digits = digits or known[4]
            flags += known[5]
            if known[8] is not None:
                special.append(known[8])
            phones += known[6]
            claims += known[7]
        if singles >= 2:
            return None  # lone letters may be one word typed apart ("B H X H")
        # Digits across words may make a phone number: the name's must be its words'.
        if (
            digits
            and _PHONE_GATE.search(name)
            and [_phone_digits(found) for found in _PHONE.findall(name)] != phones
        ):
            return None
        if breaks and breaks[-1] >= len(tokens):
            breaks.pop()
        # In the order the whole reading gives them: those of characters, then those of tokens.
        tricks = trick_details(*merge_special(special)) if special else {}
        for code, seen in flags:
            tricks.setdefault(code, seen)
        norm = Normalized(
            name, tuple(tokens), tricks, tuple(phones), tuple(claims), None, tuple(breaks), tuple(marks)
        )
        return norm, inert

    def _learn(self, word: str) -> _Known | None:
        found: _Known | None = None
        norm = self._normalizer.normalize(word)
        # A phone number must be the whole word; tricks must be those of the word's tokens.
        plain = not norm.encoding and norm.tricks.keys() <= _WORD_TRICKS | _CHAR_TRICKS
        plain = plain and not (norm.phones and norm.tokens) and len(norm.marks) == len(norm.tokens)
        if SEPARATORS.search(word):
            # A separator standing alone ("-", "|") parts the name; one inside a word is left
            # to the whole reading.
            found = _SEPARATOR if plain and not norm.tokens and SEPARATORS.fullmatch(word) else None
        elif plain:
            keys, prefixes, near = self._keys, self._prefixes, self._typos.near
            singles = sum(1 for t in norm.tokens if len(t) == 1)
            inert = not (singles or norm.tricks or norm.phones or norm.claim_symbols) and not any(
                t in keys or t in prefixes or near(t) for t in norm.tokens
            )
            flags = tuple((code, seen) for code, seen in norm.tricks.items() if code in _WORD_TRICKS)
            digits = _DIGIT.search(word) is not None
            special = self._cleaner.special(word) if norm.tricks.keys() & _CHAR_TRICKS else None
            found = (
                norm.tokens,
                norm.marks,
                inert,
                singles,
                digits,
                flags,
                norm.phones,
                norm.claim_symbols,
                special,
            )
            if inert and len(self._inert) < _CACHE_LIMIT:
                self._inert[word] = " ".join(norm.tokens)
        if not word.isdigit():  # numbers are many and unique: not worth keeping
            if len(self._words) >= _CACHE_LIMIT:
                self._words.clear()
            self._words[word] = found
        return found


def stem_of(name: str) -> str:
    """The name without a trailing counter or year, or the name itself (the same object).

    A number of three to eight digits ending a name, after a space and a letter, is not a phone
    number, nor part of one, nor of a term ("quận 12"), and never a token (see normalize)."""
    if len(name) > MAX_CHARS or RLO in name or "%" in name:
        return name
    head, space, number = name.rpartition(" ")
    stem = head.rstrip()
    if not (space and 3 <= len(number) <= 8 and number.isdigit() and number.isascii()):
        return name
    if not (stem and stem[-1].isalpha()):
        return name
    # Alone, a domain would be looked up in the allowlist; with the number it is not one.
    return name if "." in stem and " " not in stem.strip() else stem
