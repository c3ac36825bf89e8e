"""Response: text decoding (hostile charsets included), JSON parsing and the status-to-error mapping."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime

import pytest

from monitor.errors import BlockedError, HTTPStatusError, ParseError
from monitor.net.charset import sniff, web_codec
from monitor.net.response import Response


def _response(body: bytes, status: int = 200, content_type: str | None = None) -> Response:
    headers = {"content-type": content_type} if content_type else {}
    return Response(
        url="https://example.com/?key=s3cret",
        final_url="https://example.com/?key=s3cret",
        status=status,
        headers=headers,
        body=body,
        fetched_at=datetime.now(UTC),
    )


VI = "Bảo hiểm xã hội tỉnh Bình Dương"
# Latin text a legacy single-byte charset can hold.
LEGACY = "Cà phê Bình"


@pytest.mark.parametrize(
    ("body", "content_type", "charset"),
    [
        (VI.encode("utf-8"), "text/html; charset=UTF-8", "utf-8"),
        (VI.encode("utf-8"), 'text/html; charset="utf-8"', "utf-8"),
        (LEGACY.encode("cp1252"), "text/html; charset=windows-1252", "cp1252"),
        (b'<html><head><meta charset="windows-1252">' + LEGACY.encode("cp1252"), "text/html", "cp1252"),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">caf\xe9',
            None,
            "cp1252",  # WHATWG reads every latin-1 label as windows-1252
        ),
        (VI.encode("cp1258", "replace"), "text/html; charset=windows-1258", "cp1258"),
        (b"x", "text/html; charset=x-mac-cyrillic", "mac-cyrillic"),
        (b"x", "text/html; charset=utf-16", "utf-16-le"),
        (b'<meta charset="utf-16">' + VI.encode(), None, "utf-8"),
        (codecs.BOM_UTF8 + VI.encode(), "text/html; charset=latin-1", "utf-8-sig"),
        (VI.encode(), "text/html; charset=no-such-charset", "utf-8"),
        (VI.encode(), None, "utf-8"),
    ],
)
def test_charset_is_found_where_browsers_look(body: bytes, content_type: str | None, charset: str) -> None:
    assert sniff(content_type, body).name == charset


# Codecs that are no web text encoding: the bytes codecs made text() raise, the others read garbage.
HOSTILE = [
    "rot13",
    "rot_13",
    "base64",
    "base_64",
    "hex",
    "zlib",
    "zip",
    "bz2",
    "uu",
    "quopri",
    "idna",
    "punycode",
    "raw-unicode-escape",
    "unicode_escape",
    "undefined",
    "utf-7",
    "utf-32",
    "cp037",
    "hz",
    "mbcs",
]


@pytest.mark.parametrize("label", HOSTILE)
def test_non_text_charsets_are_refused(label: str) -> None:
    assert web_codec(label) is None


@pytest.mark.parametrize("label", HOSTILE)
@pytest.mark.parametrize("where", ["header", "meta", "http-equiv"])
def test_hostile_charset_is_read_as_utf8_and_the_fallback_is_visible(label: str, where: str) -> None:
    markup = f"<title>{VI}</title> caf\xe9 \udcff".encode("utf-8", "surrogateescape")
    content_type = "text/html"
    if where == "header":
        content_type = f"text/html; charset={label}"
    elif where == "meta":
        markup = f'<meta charset="{label}">'.encode() + markup
    else:
        markup = f'<meta http-equiv="Content-Type" content="text/html; charset={label}">'.encode() + markup
    response = _response(markup, content_type=content_type)
    text = response.text()
    assert f"<title>{VI}</title>" in text
    assert text.endswith(" caf\xe9 \ufffd")
    assert response.charset_note == f"unsupported_charset:{label.lower()}"


def test_a_refused_header_charset_gives_way_to_the_meta_one() -> None:
    body = b'<meta charset="windows-1252">' + LEGACY.encode("cp1252")
    response = _response(body, content_type="text/html; charset=rot13")
    assert response.text().endswith(LEGACY)
    assert response.charset_note == "unsupported_charset:rot13"


def test_supported_and_absent_charsets_leave_no_note() -> None:
    assert _response(VI.encode(), content_type="text/html; charset=utf-8").charset_note == ""
    assert _response(VI.encode()).charset_note == ""
    assert _response(b'<meta charset="utf-16">' + VI.encode()).charset_note == ""


def test_text_decodes_declared_charsets_and_never_raises() -> None:
    assert _response(LEGACY.encode("cp1252"), content_type="text/html; charset=windows-1252").text() == LEGACY
    assert _response(codecs.BOM_UTF8 + VI.encode()).text() == VI
    assert _response(b"ok \xff\xfe bad").text() == "ok \ufffd\ufffd bad"
    assert _response(b"").text() == ""
    assert _response(b"\x00" * 10_000).text() == "\x00" * 10_000


def test_json() -> None:
    assert _response(b'{"items": [1, "B\\u00ecnh"]}').json() == {"items": [1, "Bình"]}
    assert _response('{"tên": "Bình Dương"}'.encode()).json() == {"tên": "Bình Dương"}


@pytest.mark.parametrize("body", [b"", b"<html>", b"{", b"\xff\xfe\xfa", b"[" * 100_000])
def test_json_raises_parse_error_on_anything_else(body: bytes) -> None:
    with pytest.raises(ParseError) as info:
        _response(body).json()
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (200, None),
        (204, None),
        (304, None),
        (401, BlockedError),
        (403, BlockedError),
        (429, BlockedError),
        (451, BlockedError),
        (404, HTTPStatusError),
        (410, HTTPStatusError),
        (500, HTTPStatusError),
    ],
)
def test_raise_for_status(status: int, error: type[Exception] | None) -> None:
    response = _response(b"", status=status)
    if error is None:
        response.raise_for_status()
        return
    with pytest.raises(error) as info:
        response.raise_for_status()
    assert "s3cret" not in str(info.value)
    if isinstance(info.value, HTTPStatusError):
        assert info.value.status == status
