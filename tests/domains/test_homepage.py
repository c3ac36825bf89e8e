"""Homepage head parsing: title and Open Graph tags from real-life, broken and mis-labelled markup."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request
from starlette.responses import Response

from monitor.domains.homepage import Homepage, fetch_homepage, parse_head
from monitor.net.client import HttpClient
from monitor.settings import HttpSettings
from tests.net.apps import Peer
from tests.support.loopback import serve


def test_title_and_og_tags() -> None:
    markup = """<html><head><title>
      Cổng dịch vụ công &amp; BHXH   Bình Dương </title>
      <meta property="og:title" content="BHXH Bình Dương">
      <meta name="og:description" content="Đặt lịch &quot;rút BHXH&quot;">
      <meta property="OG:SITE_NAME" content="dichvucong">
      <meta property="og:title" content="second title is ignored">
      <meta property="twitter:title" content="not og">
    </head><body><title>not the head title</title></body></html>"""
    title, og = parse_head(markup)
    assert title == "Cổng dịch vụ công & BHXH Bình Dương"
    assert og == {
        "og:title": "BHXH Bình Dương",
        "og:description": 'Đặt lịch "rút BHXH"',
        "og:site_name": "dichvucong",
    }


@pytest.mark.parametrize(
    "markup",
    [
        "",
        "   ",
        "not html at all",
        "<title>",
        "<meta property=og:title>",
        "<title>\x00\x07\u202e\ufffd</title>",
        "<html><head><title>" + "x" * 100_000,
        '{"json": true}',
        "<" * 10_000,
    ],
)
def test_broken_markup_never_crashes(markup: str) -> None:
    title, og = parse_head(markup)
    assert len(title) <= 300
    assert all(len(value) <= 500 for value in og.values())
    assert "\x00" not in title
    assert "\u202e" not in title


def test_long_title_is_cut() -> None:
    title, _ = parse_head("<title>" + "Bảo hiểm " * 200 + "</title>")
    assert 0 < len(title) <= 300
    assert title.endswith("…")


PAGE = (
    "<html><head><title>Bảo hiểm xã hội tỉnh Bình Dương</title>"
    '<meta property="og:title" content="Đặt lịch rút BHXH"></head></html>'
)


@pytest.mark.parametrize(
    ("content_type", "prefix", "label"),
    [
        ("text/html; charset=rot13", b"", "rot13"),
        ("text/html; charset=zlib", b"", "zlib"),
        ("text/html", b'<meta charset="base64">', "base64"),
        ("text/html", b'<meta http-equiv="Content-Type" content="text/html; charset=idna">', "idna"),
    ],
)
def test_homepage_with_a_non_text_charset_reads_as_utf8(content_type: str, prefix: bytes, label: str) -> None:
    async def page(_: Request) -> Response:
        return Response(prefix + PAGE.encode(), headers={"Content-Type": content_type})

    peer = Peer(routes={"/": page})
    settings = HttpSettings(allow_private_networks=True, per_host_min_interval=0, max_retries=0, timeout=5)
    with serve(peer.app()) as base:

        async def go() -> Homepage:
            async with HttpClient(settings) as client:
                return await fetch_homepage(client, base + "/")

        home = asyncio.run(go())
    assert (home.status, home.error) == (200, "")
    assert home.title == "Bảo hiểm xã hội tỉnh Bình Dương"
    assert home.og == {"og:title": "Đặt lịch rút BHXH"}
    assert home.charset_note == f"unsupported_charset:{label}"
    assert home.evidence()["charset_note"] == home.charset_note
    assert "/" in peer.paths()


def test_homepage_evidence_has_no_note_when_the_charset_is_fine() -> None:
    assert "charset_note" not in Homepage(url="http://example.vn/", status=200).evidence()
