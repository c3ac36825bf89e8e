"""Vietnamese letters: folding, syllable shapes, tone placement and case boundaries."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from monitor.matching.charmap import vietnamese_letters

_TONES = "\u0300\u0301\u0303\u0309\u0323"
_SHAPED = "ăâêôơư"
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?$"
)


@lru_cache(maxsize=1)
def case_classes() -> tuple[re.Pattern[str], dict[int, str], re.Pattern[str]]:
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
    return text.lower().translate(case_classes()[1])


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
