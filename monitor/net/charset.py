"""The one safe text decoder of fetched bodies: WHATWG text encodings only, never raises."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from w3lib.encoding import resolve_encoding

FALLBACK = "utf-8"

_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE)
# <meta charset="..."> and <meta http-equiv="Content-Type" content="...; charset=...">,
# looked for in the first bytes only, as browsers do.
_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,512}?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE
)
_META_SCAN = 4096
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

# WHATWG labels that w3lib's table does not translate (or translates to a codec Python lacks).
_MORE_LABELS = {
    "iso-8859-8-i": "iso8859-8",
    "csiso88598i": "iso8859-8",
    "logical": "iso8859-8",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-ukrainian": "mac-cyrillic",
    "unicode-1-1-utf-8": "utf-8",
    "unicode11utf8": "utf-8",
    "unicode20utf8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "utf-16": "utf-16-le",
    "unicode": "utf-16-le",
    "ucs-2": "utf-16-le",
    "csunicode": "utf-16-le",
    "iso-10646-ucs-2": "utf-16-le",
    "unicodefeff": "utf-16-le",
    "unicodefffe": "utf-16-be",
}
# Python codecs behind the encodings of the WHATWG Encoding Standard (plus the Microsoft
# supersets w3lib resolves legacy labels to). Everything else Python knows (rot13, base64,
# zlib, idna, punycode, unicode-escape, utf-7, utf-32, EBCDIC, ...) is not a web text encoding.
_WEB_CODECS = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8",
        "utf-8-sig",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "cp866",
        "iso8859-1",
        "iso8859-2",
        "iso8859-3",
        "iso8859-4",
        "iso8859-5",
        "iso8859-6",
        "iso8859-7",
        "iso8859-8",
        "iso8859-10",
        "iso8859-13",
        "iso8859-14",
        "iso8859-15",
        "iso8859-16",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "mac-cyrillic",
        "cp874",
        "cp1250",
        "cp1251",
        "cp1252",
        "cp1253",
        "cp1254",
        "cp1255",
        "cp1256",
        "cp1257",
        "cp1258",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "euc_jp",
        "iso2022_jp",
        "shift_jis",
        "cp932",
        "euc_kr",
        "cp949",
    )
)


@dataclass(frozen=True)
class Charset:
    """The codec a body is read with; `note` is set when a declared charset was refused."""

    name: str
    note: str = ""


@dataclass(frozen=True)
class Decoded:
    text: str
    charset: str
    note: str = ""


def web_codec(label: str) -> str | None:
    """The Python codec of a WHATWG text-encoding label; None for unknown or non-text codecs."""
    key = label.strip().lower()
    try:
        name = _MORE_LABELS.get(key) or resolve_encoding(key)
        codec = codecs.lookup(name) if name else None
    except (LookupError, ValueError, TypeError, UnicodeError):
        return None
    if codec is None or getattr(codec, "_is_text_encoding", True) is False:
        return None
    return codec.name if codec.name in _WEB_CODECS else None


def sniff(content_type: str | None, body: bytes) -> Charset:
    """BOM, then the Content-Type charset, then <meta charset> in the first 4 KiB, else UTF-8."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return Charset(name)
    refused = ""
    match = _CHARSET.search(content_type or "")
    if match:
        found = web_codec(match.group(1))
        if found:
            return Charset(found)
        refused = match.group(1)
    meta = _META_CHARSET.search(body[:_META_SCAN])
    if meta:
        label = meta.group(1).decode("ascii")
        found = web_codec(label)
        if found:
            # Markup readable as ASCII cannot be UTF-16, whatever its <meta> says (HTML spec).
            return Charset(FALLBACK if found.startswith("utf-16") else found, _note(refused))
        refused = refused or label
    return Charset(FALLBACK, _note(refused))


def decode(body: bytes, content_type: str | None = None) -> Decoded:
    """The body as text in its sniffed charset, undecodable bytes replaced; never raises."""
    charset = sniff(content_type, body)
    try:
        return Decoded(body.decode(charset.name, errors="replace"), charset.name, charset.note)
    except (LookupError, UnicodeError, ValueError, TypeError):  # belt and braces: allowlisted codecs
        text = body.decode(FALLBACK, errors="replace")
        return Decoded(text, FALLBACK, charset.note or _note(charset.name))


def _note(label: str) -> str:
    return f"unsupported_charset:{label.lower()}" if label else ""
