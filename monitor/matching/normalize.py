"""Normalisation of display names, handles and domain labels into folded tokens and trick codes."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from monitor.matching.charmap import ASTRAL as _ASTRAL
from monitor.matching.charmap import BIDI as _BIDI_KIND
from monitor.matching.charmap import DECORATED as _DECORATED
from monitor.matching.charmap import HOMOGLYPH as _HOMOGLYPH
from monitor.matching.charmap import INVISIBLE as _INVISIBLE
from monitor.matching.charmap import char_tables, vietnamese_letters
from monitor.matching.legacy import VIQR_GATE as _VIQR_GATE
from monitor.matching.legacy import legacy_class as _LEGACY_CLASS
from monitor.matching.legacy import legacy_gate as _LEGACY_GATE
from monitor.matching.legacy import repair

# Longer input is not a name; the head is enough to judge it and keeps hostile input cheap.
MAX_CHARS = 1000
_CACHE_LIMIT = 300_000

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
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_SHAPED = "ăâêôơư"
_RLO, _PDF = "\u202e", "\u202c"
_CLAIM_SYMBOLS = re.compile("[\u2611\u2705\u2713\u2714\U0001f5f8]")
_ASCII_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
# An internationalised domain label as DNS carries it ("xn--bhxh-bnh-dng-..." = "bhxh-bình-dương").
_PUNYCODE = re.compile(r"(?i)(?<![a-z0-9-])xn--([a-z0-9-]{1,63})")
_ASCII_CONTROL_TABLE = dict.fromkeys([*range(0x20), 0x7F], " ")
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
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$"
)


# A word's tokens, the tricks seen in it (code, token), how many lone letters it holds, and its
# raw tokens before they were read.
_Word = tuple[tuple[str, ...], tuple[tuple[str, str], ...], int, tuple[str, ...]]


class Normalized(NamedTuple):
    """A name after normalisation (a named tuple: built for every name, so kept light)."""

    text: str  # cleaned Unicode text: visual order, no invisibles, legacy encodings repaired
    tokens: tuple[str, ...]  # folded lower-case tokens (ASCII plus đ) that matching works on
    tricks: dict[str, str]  # evasion tricks seen: code -> what was seen
    phones: tuple[str, ...]  # phone numbers, digits only, 0-prefixed
    claim_symbols: tuple[str, ...]  # check marks and similar "verified" symbols
    encoding: str | None  # legacy encoding that was repaired

    @property
    def folded(self) -> str:
        return " ".join(self.tokens)

    @property
    def display(self) -> str:
        """The cleaned text with tone marks in their traditional place, for people to read."""
        return canonical_tones(" ".join(self.text.split()))


@lru_cache(maxsize=1)
def _case_classes() -> tuple[re.Pattern[str], dict[int, str], re.Pattern[str]]:
    letters = vietnamese_letters()
    upper = "A-Z" + "".join(sorted(ch for ch in letters if ch.isupper()))
    lower = "a-z" + "".join(sorted(ch for ch in letters if ch.islower()))
    camel = re.compile(f"(?<=[{lower}])(?=[{upper}])|(?<=[{upper}])(?=[{upper}][{lower}])")
    # The same places without look-behind: a cheaper test of whether there is any to cut.
    gate = re.compile(f"[{lower}][{upper}]|[{upper}][{upper}][{lower}]")
    fold: dict[int, str] = {}
    for cp in [*range(0x80, 0x250), *range(0x1E00, 0x1F00)]:
        ch = chr(cp).lower()
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != chr(cp) and base.isascii() and base.isalpha():
            fold[cp] = base
    fold[ord("đ")] = "đ"
    fold[ord("Đ")] = "đ"
    fold.update(dict.fromkeys(range(0x300, 0x370), ""))
    return camel, fold, gate


def fold(text: str) -> str:
    """Lower case without tones or vowel marks; đ is kept apart from d."""
    return text.lower().translate(_case_classes()[1])


def is_syllable(token: str) -> bool:
    """Whether a folded token has the shape of a Vietnamese syllable."""
    return bool(_SYLLABLE.match(token))


@lru_cache(maxsize=20_000)
def place_tone(word: str) -> str:
    """Put the tone mark of one word where the traditional spelling does ("hoà" -> "hòa")."""
    nfd = unicodedata.normalize("NFD", word)
    tone = next((c for c in nfd if c in _TONES), "")
    if not tone:
        return word
    bare = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONES))
    lower = bare.lower()
    vowels = [i for i, c in enumerate(lower) if unicodedata.normalize("NFD", c)[0] in "aeiouy"]
    if lower[:2] in ("qu", "gi") and len(vowels) > 1 and vowels[0] == 1:
        vowels = vowels[1:]
    if not vowels:
        return word
    shaped = [i for i in vowels if lower[i] in _SHAPED]
    if shaped:
        index = shaped[-1]
    elif len(vowels) == 1 or vowels[-1] < len(lower) - 1:
        index = vowels[-1]
    elif len(vowels) == 3:
        index = vowels[1]
    else:
        index = vowels[0]
    return unicodedata.normalize("NFC", bare[: index + 1] + tone + bare[index + 1 :])


_WORD = re.compile(r"\w+")


def canonical_tones(text: str) -> str:
    """Every word of the text with its tone mark in the traditional place."""
    return _WORD.sub(lambda m: place_tone(m.group(0)), text)


def _visual_order(text: str) -> str:
    """Undo right-to-left overrides: what an RLO reverses on screen is reversed here too."""
    out: list[str] = []
    pos = 0
    while (start := text.find(_RLO, pos)) >= 0:
        end = text.find(_PDF, start + 1)
        end = len(text) if end < 0 else end
        out.append(text[pos:start])
        out.append(unicodedata.normalize("NFC", text[start + 1 : end])[::-1])
        pos = end + 1
    out.append(text[pos:])
    return "".join(out)


def _between_letters(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] stands between two letters or digits."""
    return start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()


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
        self._tokens: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
        self._words: dict[str, _Word] = {}
        # Tests that let most names skip legacy repair and character cleaning; built on first use.
        # The first is one pass over a class holding a character of anything the others find.
        self._gates: tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]] | None = None

    # -- characters --------------------------------------------------------------------------

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
        if _RLO in text:
            text = _visual_order(text)
            tricks[BIDI] = ""
        found = tables.special.finditer(text)
        if not found:
            return unicodedata.normalize("NFKC", text), tricks, encoding
        # One pass over the special characters, sorted by kind (in the order they were found).
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
        hidden = invisible + bidi
        if hidden:
            tricks[INVISIBLE] = ", ".join(
                dict.fromkeys(unicodedata.name(c, f"U+{ord(c):04X}") for c in hidden)
            )
        if decorated:
            tricks[DECORATED] = "".join(dict.fromkeys(decorated))[:12]
        if not unicodedata.is_normalized("NFKC", text):
            # Compatibility forms may unfold into look-alikes ("𝚩" -> Greek "Β"): look again.
            text = unicodedata.normalize("NFKC", text)
            lookalikes = tables.homoglyph.findall(text)
        if lookalikes:
            scripts = dict.fromkeys(unicodedata.name(c, "?").split(" ")[0].title() for c in lookalikes)
            tricks[HOMOGLYPHS] = f"{''.join(dict.fromkeys(lookalikes))[:12]} ({', '.join(scripts)})"
        text = unicodedata.normalize("NFC", text.translate(tables.table))
        return text, tricks, encoding

    # -- tokens ------------------------------------------------------------------------------

    def normalize(self, text: str) -> Normalized:
        """Normalise one name (never raises; any string gives a result)."""
        if len(text) > MAX_CHARS:
            text = text[:MAX_CHARS]
        cleaned, tricks, encoding = self.clean(text)
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
        tokens: list[str] = []
        words = self._words
        split = work.split()
        singles = 0
        for word in split:
            done = words.get(word)
            if done is None:
                if word.isdigit() and len(word) > 1:
                    # Numbers are many and unique: short ones can be in a term ("quận 12"),
                    # years and counters say nothing.
                    if len(word) < _LONG_NUMBER:
                        tokens.append(word)
                    continue
                done = self._word(word)
            tokens += done[0]
            singles += done[2]
            if done[1]:
                for flag, seen in done[1]:
                    tricks.setdefault(flag, seen)
        if singles >= 2:
            # Lone letters: they may be one word typed apart ("B H X H"), so read them again.
            tokens = self._tokens_of(split, tricks)
        return Normalized(cleaned, tuple(tokens), tricks, phones, claims, encoding)

    def _raw(self, word: str, camel_case: bool = True) -> list[str]:
        """The folded raw tokens of one whitespace-separated word."""
        camel, fold_table, gate = _case_classes()
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
        tokens, flags = self._read(raw)
        if len(raw) > 1 and _case_classes()[2].search(word):
            # Capitals do not always start words ("BHxãhội", "BảohiểmXHBD"): when cutting at
            # them leaves unknown pieces, the word read whole may do better.
            unknown = self._unknown(tokens)
            if unknown:
                whole = self._raw(word, camel_case=False)
                whole_tokens, whole_flags = self._read(whole)
                if self._unknown(whole_tokens) < unknown:
                    raw, tokens, flags = whole, whole_tokens, whole_flags
        done = (tuple(tokens), tuple(flags), sum(1 for t in raw if len(t) == 1), tuple(raw))
        if not word.isdigit():  # numbers are many and unique: not worth keeping
            if len(self._words) >= _CACHE_LIMIT:
                self._words.clear()
            self._words[word] = done
        return done

    def _read(self, raw: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
        """Tokens of raw tokens and the tricks seen, (code, raw token)."""
        tokens: list[str] = []
        flags: list[tuple[str, str]] = []
        for tok in raw:
            if tok.isdigit() and len(tok) >= _LONG_NUMBER:
                continue  # years and counters say nothing; short numbers can be in a term
            pieces, found = self._token(tok)
            tokens += pieces
            flags += [(flag, tok) for flag in sorted(found)]
        return tokens, flags

    def _unknown(self, tokens: list[str]) -> int:
        """How many tokens are neither known words, numbers nor Vietnamese syllables."""
        known = self.vocabulary
        return sum(1 for t in tokens if t not in known and not t.isdigit() and not is_syllable(t))

    def _tokens_of(self, words: list[str], tricks: dict[str, str]) -> list[str]:
        """Tokens of a name whose letters may be typed apart across words."""
        raw = [tok for word in words for tok in (self._words.get(word) or self._word(word))[3]]
        if list(map(len, raw)).count(1) >= 2:
            raw = self._join_spaced(raw, tricks)
        tokens: list[str] = []
        for tok in raw:
            if tok.isdigit() and len(tok) >= _LONG_NUMBER:
                continue
            pieces, flags = self._token(tok)
            tokens += pieces
            for flag in flags:
                tricks.setdefault(flag, tok)
        return tokens

    def _join_spaced(self, raw: list[str], tricks: dict[str, str]) -> list[str]:
        """Join letters typed apart ("B H X H", "B.H.X.H") when the joined word is known."""
        out: list[str] = []
        i = 0
        while i < len(raw):
            j = i
            while j < len(raw) and len(raw[j]) == 1:
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
