"""Character tables built from Unicode data: invisibles, decorated letters and UTS #39 look-alikes.

Nothing here is typed by hand letter by letter: invisible and format characters come from the
Unicode general categories, decorated letters from compatibility decompositions and character
names, and look-alikes from Unicode's confusables.txt as shipped by the `confusable-homoglyphs`
package. The tables are built once, on first use, and kept in the user's cache folder for the
next process (keyed by this module, Python's Unicode version and the confusables' version).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from monitor.locations import user_cache_dir

# Vietnamese vowels and their tone marks; every precomposed letter built from them stays as is.
_VN_BASES = "aăâeêioôơuưy"
_VN_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_STROKE_D = {"D\u0335", "d\u0335"}
# Where code points are scanned for tables: everything but the CJK ideographs and Hangul
# syllables (none is invisible, decorated or a Latin look-alike) and the tags plane.
_SCAN_RANGES = ((0x80, 0x3400), (0x4DC0, 0x4E00), (0xA000, 0xAC00), (0xD7B0, 0x20000), (0xE0000, 0xE01F0))
# Characters outside category Cf that still render as nothing (Hangul fillers, Braille blank,
# combining grapheme joiner, variation selectors, Mongolian free variation selectors).
_EXTRA_INVISIBLE = (
    0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x2800, 0x3164, 0xFFA0,
    *range(0xFE00, 0xFE10),
    *range(0xE0100, 0xE01F0),
)  # fmt: skip
_BIDI_CONTROLS = {0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
# The blocks holding letters that only their names tie to Latin: IPA and phonetic extensions
# (small capitals), Latin Extended-D, enclosed alphanumerics and their supplement.
_NAMED_RANGES = ((0x0250, 0x02B0), (0x1D00, 0x1DC0), (0x2460, 0x2500), (0xA700, 0xA800), (0x1F100, 0x1F200))
_NAMED_LETTER = re.compile(
    r"^(?:LATIN LETTER SMALL CAPITAL|REGIONAL INDICATOR SYMBOL LETTER"
    r"|(?:CROSSED )?NEGATIVE (?:CIRCLED|SQUARED) LATIN CAPITAL LETTER"
    r"|(?:CIRCLED|SQUARED|PARENTHESIZED) LATIN (?:CAPITAL|SMALL) LETTER) ([A-Z])$"
)


ASTRAL = re.compile("[\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class CharSet:
    """A set of code points to search for. The regex engine checks a large BMP class in one
    step but tries astral ranges one by one, so astral ones are searched only when present."""

    bmp: re.Pattern[str]
    astral: re.Pattern[str]

    @classmethod
    def of(cls, code_points: set[int]) -> CharSet:
        return cls(
            _char_class({cp for cp in code_points if cp < 0x10000}),
            _char_class({cp for cp in code_points if cp >= 0x10000}),
        )

    def search(self, text: str) -> bool:
        return bool(self.bmp.search(text) or (ASTRAL.search(text) and self.astral.search(text)))

    def findall(self, text: str) -> list[str]:
        found: list[str] = self.bmp.findall(text)
        if ASTRAL.search(text):
            found += self.astral.findall(text)
        return found

    def finditer(self, text: str) -> list[re.Match[str]]:
        found = list(self.bmp.finditer(text))
        if ASTRAL.search(text):
            found += self.astral.finditer(text)
        return found


INVISIBLE, BIDI, DECORATED, HOMOGLYPH = 1, 2, 4, 8


@dataclass(frozen=True)
class CharTables:
    """Everything the normaliser needs to clean characters, with a detector for each trick."""

    table: dict[int, str]  # for str.translate: invisible -> "", decorated/look-alike -> ASCII or đ
    special: CharSet  # any character the steps below care about
    invisible: CharSet
    bidi: CharSet
    decorated: CharSet
    homoglyph: CharSet
    vietnamese_letters: frozenset[str]
    # code point -> its kinds (INVISIBLE | BIDI | DECORATED | HOMOGLYPH bits), to sort the
    # special characters of a text found in one pass
    kinds: dict[int, int]


def vietnamese_letters() -> frozenset[str]:
    """Every precomposed letter of the Vietnamese alphabet, both cases, plus đ/Đ."""
    letters = {"đ", "Đ"}
    for base in _VN_BASES:
        for tone in _VN_TONES:
            letter = unicodedata.normalize("NFC", unicodedata.normalize("NFD", base) + tone)
            letters.add(letter)
            letters.add(letter.upper())
    return frozenset(letters)


def _char_class(code_points: set[int]) -> re.Pattern[str]:
    """A regex character class matching exactly these code points, written as ranges."""
    if not code_points:
        return re.compile(r"(?!)")
    ranges: list[str] = []
    ordered = sorted(code_points)
    start = prev = ordered[0]
    for cp in [*ordered[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        ranges.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev != start else ""))
        start = prev = cp
    return re.compile("[" + "".join(ranges) + "]")


def _scan() -> list[int]:
    return [cp for low, high in _SCAN_RANGES for cp in range(low, high) if not 0xD800 <= cp <= 0xDFFF]


def _named_letters() -> dict[int, str]:
    """Small capitals, regional indicators, negative circled/squared letters -> plain letters."""
    found: dict[int, str] = {}
    for cp in (cp for low, high in _NAMED_RANGES for cp in range(low, high)):
        match = _NAMED_LETTER.match(unicodedata.name(chr(cp), ""))
        if match:
            letter = match.group(1)
            # Small capitals sit among lower-case letters; keep them lower case so camel-case
            # splitting does not cut a word where a small capital was used.
            found[cp] = letter.lower() if "SMALL CAPITAL" in unicodedata.name(chr(cp)) else letter
    return found


def _resolve(target: str, named: dict[int, str], forward: dict[str, str]) -> str | None:
    """Follow a confusable prototype to plain ASCII (or đ); None when it leads elsewhere."""
    for _ in range(4):
        if target in _STROKE_D:
            return "Đ" if target[0] == "D" else "đ"
        if len(target) == 1 and ord(target) in named:
            target = named[ord(target)]
            continue
        stripped = "".join(ch for ch in unicodedata.normalize("NFD", target) if not unicodedata.combining(ch))
        if stripped and stripped.isascii() and stripped.isalnum() and len(stripped) <= 2:
            return stripped
        if target in forward and forward[target] != target:
            target = forward[target]
            continue
        return None
    return None


def _confusables(named: dict[int, str], keep: frozenset[str]) -> dict[int, str]:
    """Non-Latin and exotic look-alikes -> the ASCII letters they imitate (UTS #39 data).

    The package stores each confusables.txt line in both directions; a character that is
    the source of a line has exactly one entry (its prototype), so single-entry characters
    are read as source -> prototype.
    """
    # Imported here: the package pulls in urllib.request, which names without look-alikes never need.
    from confusable_homoglyphs.utils import load as load_confusables  # type: ignore[import-untyped]

    data: dict[str, list[dict[str, str]]] = load_confusables("confusables.json")
    forward = {key: entries[0]["c"] for key, entries in data.items() if len(entries) == 1}
    mapped: dict[int, str] = {}
    for key, target in forward.items():
        if len(key) != 1 or key.isascii() or key in keep:
            continue
        base = unicodedata.normalize("NFD", key)[0]
        if base.isascii() and base.isalpha():
            continue  # a Latin letter with marks: folding removes the marks
        resolved = _resolve(target, named, forward)
        if resolved is not None:
            mapped[ord(key)] = resolved
    # Lower-case partners of D look-alikes (ð, ɖ) imitate đ as their capitals imitate Đ.
    for cp, value in list(mapped.items()):
        if value == "Đ":
            lower = chr(cp).lower()
            if len(lower) == 1 and lower not in keep and mapped.get(ord(lower), "d") == "d":
                mapped[ord(lower)] = "đ"
    return mapped


@lru_cache(maxsize=1)
def char_tables() -> CharTables:
    """The translate table and the detectors of each character trick, built once per process:
    read from the cache folder when this module and its Unicode data built them there before
    (building takes about 0.1 s of CPU that would hold back a scan's first requests)."""
    return _tables(cached_parts(user_cache_dir(os.environ)))


Parts = dict[str, Any]
_PART_KEYS = {"table", "invisible", "decorated", "homoglyph"}


def cached_parts(folder: Path) -> Parts:
    """The tables' parts from `folder`, or built (and kept there when the folder is writable).
    A kept file that does not hold tables of the expected shape is built again and replaced."""
    path = folder / f"chartables-{_source_key()}.json"
    with suppress(OSError, ValueError):
        parts = json.loads(path.read_text(encoding="utf-8"))
        if _well_formed(parts):
            return dict(parts)
    parts = _build_parts()
    temp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", dir=folder, delete=False, suffix=".tmp", encoding="utf-8"
        ) as out:
            temp = out.name
            json.dump(parts, out, ensure_ascii=True)
        os.replace(temp, path)
    except OSError:
        if temp is not None:
            with suppress(OSError):
                os.unlink(temp)
    return parts


def _well_formed(parts: object) -> bool:
    """Tables as _build_parts makes them, of about the size Unicode gives (an emptied or edited
    file must not switch the detection of look-alikes or invisible characters off)."""
    if not isinstance(parts, dict) or set(parts) != _PART_KEYS:
        return False
    table, lists = parts["table"], [parts[key] for key in ("invisible", "decorated", "homoglyph")]
    if not isinstance(table, dict) or not all(isinstance(points, list) for points in lists):
        return False
    if not all(key.isdigit() and isinstance(value, str) for key, value in table.items()):
        return False
    if not all(type(cp) is int for points in lists for cp in points):
        return False
    return len(table) >= _LEAST_TABLE and all(len(points) >= _LEAST_SET for points in lists)


# The smallest sizes a real build gives (Unicode 15: ~4,400 table entries, 150+ in each set).
_LEAST_TABLE, _LEAST_SET = 2_000, 50


def _source_key() -> str:
    """What the tables are built from: this module, Python's Unicode data and the confusables
    data file (its package version, and the file itself: CONFUSABLE_DATA may point elsewhere)."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    try:
        confusables = version("confusable-homoglyphs")
    except PackageNotFoundError:  # pragma: no cover - a declared dependency
        confusables = "?"
    spec = find_spec("confusable_homoglyphs")
    package = next(iter(spec.submodule_search_locations or []), "") if spec is not None else ""
    data = Path(os.environ.get("CONFUSABLE_DATA", package)) / "confusables.json"
    try:
        stat = data.stat()
        stamp = f"{data}|{stat.st_size}|{stat.st_mtime_ns}"
    except OSError:
        stamp = str(data)
    seed = Path(__file__).read_bytes() + f"|{unicodedata.unidata_version}|{confusables}|{stamp}".encode()
    return hashlib.sha256(seed).hexdigest()[:16]


def _build_parts() -> Parts:
    code_points = _scan()
    keep = vietnamese_letters()
    invisible = {cp for cp in code_points if unicodedata.category(chr(cp)) == "Cf"}
    invisible.update(_EXTRA_INVISIBLE)
    invisible.add(0xFEFF)
    named = _named_letters()
    homoglyphs = _confusables(named, keep)
    for cp in invisible:
        homoglyphs.pop(cp, None)
    table: dict[int, str] = {}
    table.update(homoglyphs)
    table.update(named)
    table.update(dict.fromkeys(invisible, ""))
    # Lone surrogates (from undecodable bytes) and C0/C1 controls carry no letters.
    table.update(dict.fromkeys(range(0xD800, 0xE000), ""))
    table.update(dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)], " "))
    decorated = {
        cp
        for cp in code_points
        if cp not in invisible
        and len(nfkc := unicodedata.normalize("NFKC", chr(cp))) == 1
        and nfkc != chr(cp)
        and nfkc.isascii()
        and nfkc.isalnum()
    }
    decorated.update(named)
    return {
        "table": {str(cp): value for cp, value in sorted(table.items())},
        "invisible": sorted(invisible),
        "decorated": sorted(decorated),
        "homoglyph": sorted(homoglyphs),
    }


def _tables(parts: Parts) -> CharTables:
    table = {int(cp): str(value) for cp, value in parts["table"].items()}
    invisible = {int(cp) for cp in parts["invisible"]}
    decorated = {int(cp) for cp in parts["decorated"]}
    homoglyph = {int(cp) for cp in parts["homoglyph"]}
    kinds: dict[int, int] = {}
    for bit, points in (
        (INVISIBLE, invisible - _BIDI_CONTROLS),
        (BIDI, _BIDI_CONTROLS),
        (DECORATED, decorated),
        (HOMOGLYPH, homoglyph),
    ):
        for cp in points:
            kinds[cp] = kinds.get(cp, 0) | bit
    return CharTables(
        table=table,
        special=CharSet.of(set(table) | decorated | _BIDI_CONTROLS),
        invisible=CharSet.of(invisible - _BIDI_CONTROLS),
        bidi=CharSet.of(set(_BIDI_CONTROLS)),
        decorated=CharSet.of(decorated),
        homoglyph=CharSet.of(homoglyph),
        vietnamese_letters=vietnamese_letters(),
        kinds=kinds,
    )
