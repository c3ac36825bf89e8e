"""Canonical identities, display names and merging of sightings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.candidates import (
    MAX_IDENTITY_CHARS,
    PLATFORMS,
    Sighting,
    canonical,
    clean_display_name,
    merge,
    registrable_domain,
    unwrap_redirect,
)
from monitor.domains.names import finding_key
from monitor.result_hosts import web_key_of_identity

# (url, expected identity key, expected canonical url)
SAME_FACEBOOK_PAGE = [
    "https://www.facebook.com/bhxhbinhduong",
    "https://facebook.com/bhxhbinhduong/",
    "http://m.facebook.com/bhxhbinhduong?fbclid=IwAR0abc",
    "https://mbasic.facebook.com/bhxhbinhduong/about?ref=page_internal",
    "https://web.facebook.com/BHXHBinhDuong/?mibextid=ZbWKwL",
    "https://touch.facebook.com/bhxhbinhduong/posts/pfbid0abc?__tn__=%2CO*F",
    "https://vi-vn.facebook.com/bhxh.binhduong/photos/?utm_source=zalo&utm_medium=share",
    "https://fb.com/bhxhbinhduong",
    "https://www.fb.com/bhxhbinhduong/videos/123/",
    "https://m.me/bhxhbinhduong",
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fm.facebook.com%2Fbhxhbinhduong%3Ffbclid%3Dx&h=AT0",
    "https://www.facebook.com/pages/category/Government-Organization/bhxhbinhduong/",
    "https://www.facebook.com/pg/bhxhbinhduong/posts/",
    "//duckduckgo.com/l/?uddg=https%3A%2F%2Fwww.facebook.com%2Fbhxhbinhduong&rut=abc",
    "https://www.google.com/url?q=https://www.facebook.com/bhxhbinhduong&sa=U",
]

CASES: list[tuple[str, str, str]] = [
    (
        "https://www.facebook.com/profile.php?id=100012345678&ref=bookmarks&__tn__=K",
        "facebook:id:100012345678",
        "https://www.facebook.com/profile.php?id=100012345678",
    ),
    (
        "https://m.facebook.com/profile.php?id=100012345678&mibextid=x",
        "facebook:id:100012345678",
        "https://www.facebook.com/profile.php?id=100012345678",
    ),
    (
        "https://www.facebook.com/people/Bao-Hiem-Xa-Hoi-Binh-Duong/100089999999999/",
        "facebook:id:100089999999999",
        "https://www.facebook.com/profile.php?id=100089999999999",
    ),
    (
        "https://www.facebook.com/p/BHXH-Binh-Duong-100064123456789/",
        "facebook:id:100064123456789",
        "https://www.facebook.com/profile.php?id=100064123456789",
    ),
    (
        "https://www.facebook.com/Bao-hiem-xa-hoi-Binh-Duong-119240841493711/",
        "facebook:id:119240841493711",
        "https://www.facebook.com/profile.php?id=119240841493711",
    ),
    (
        "https://www.facebook.com/pages/BHXH-BD/119240841493711",
        "facebook:id:119240841493711",
        "https://www.facebook.com/profile.php?id=119240841493711",
    ),
    (
        "https://www.facebook.com/story.php?story_fbid=3065154550235644&id=119240841493711",
        "facebook:id:119240841493711",
        "https://www.facebook.com/profile.php?id=119240841493711",
    ),
    (
        "https://m.facebook.com/groups/117507531664134/permalink/1629606003787605/?ref=share",
        "facebook:group:117507531664134",
        "https://www.facebook.com/groups/117507531664134/",
    ),
    (
        "https://www.facebook.com/groups/HoTroRutBHXH/",
        "facebook:group:hotrorutbhxh",
        "https://www.facebook.com/groups/hotrorutbhxh/",
    ),
    (
        "https://www.facebook.com/watch/?v=123456&fbclid=x",
        "facebook:path:/watch?v=123456",
        "https://www.facebook.com/watch?v=123456",
    ),
    (
        "https://www.facebook.com/share/p/1AbCdEfGh/",
        "facebook:path:/share/p/1AbCdEfGh",
        "https://www.facebook.com/share/p/1AbCdEfGh",
    ),
    (
        "https://www.tiktok.com/@BHXH.BinhDuong",
        "tiktok:@bhxh.binhduong",
        "https://www.tiktok.com/@bhxh.binhduong",
    ),
    (
        "https://m.tiktok.com/@bhxh.binhduong/video/7312345678901234567?is_from_webapp=1&sender_device=pc",
        "tiktok:@bhxh.binhduong",
        "https://www.tiktok.com/@bhxh.binhduong",
    ),
    ("https://vm.tiktok.com/ZSNabc123/", "tiktok:link:ZSNabc123", "https://vm.tiktok.com/ZSNabc123/"),
    (
        "https://www.youtube.com/@BHXHBinhDuong/videos",
        "youtube:@bhxhbinhduong",
        "https://www.youtube.com/@bhxhbinhduong",
    ),
    (
        "https://m.youtube.com/channel/UCabcdefghijklmnopqrstuv/about",
        "youtube:channel:UCabcdefghijklmnopqrstuv",
        "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv",
    ),
    (
        "https://youtu.be/dQw4w9WgXcQ?si=abc",
        "youtube:video:dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
        "youtube:video:dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    ("https://t.me/BHXH_BinhDuong", "telegram:bhxh_binhduong", "https://t.me/bhxh_binhduong"),
    ("https://t.me/s/bhxh_binhduong", "telegram:bhxh_binhduong", "https://t.me/bhxh_binhduong"),
    ("https://telegram.me/bhxh_binhduong/125", "telegram:bhxh_binhduong", "https://t.me/bhxh_binhduong"),
    ("https://t.me/joinchat/AbCdEf123", "telegram:invite:AbCdEf123", "https://t.me/+AbCdEf123"),
    ("https://t.me/+AbCdEf123", "telegram:invite:AbCdEf123", "https://t.me/+AbCdEf123"),
    ("https://zalo.me/0912345678", "zalo:0912345678", "https://zalo.me/0912345678"),
    ("https://zalo.me/84912345678", "zalo:0912345678", "https://zalo.me/0912345678"),
    (
        "https://zalo.me/4318178827906034431",
        "zalo:4318178827906034431",
        "https://zalo.me/4318178827906034431",
    ),
    ("https://zalo.me/g/qwerty123", "zalo:g:qwerty123", "https://zalo.me/g/qwerty123"),
    ("https://www.instagram.com/bhxh.bd/?igshid=x", "instagram:bhxh.bd", "https://www.instagram.com/bhxh.bd"),
    ("https://twitter.com/BHXH_BD/status/1", "x:bhxh_bd", "https://x.com/bhxh_bd"),
    ("https://x.com/bhxh_bd", "x:bhxh_bd", "https://x.com/bhxh_bd"),
    (
        "https://www.baohiemxahoi-binhduong.com/tra-cuu/?utm_source=fb&fbclid=1&id=7",
        "web:baohiemxahoi-binhduong.com",
        "https://www.baohiemxahoi-binhduong.com/tra-cuu?id=7",
    ),
    (
        "https://binhduong.baohiemxahoi.gov.vn/",
        "web:baohiemxahoi.gov.vn",
        "https://binhduong.baohiemxahoi.gov.vn/",
    ),
    ("http://m.example.co.uk/a/./b/../c//d/", "web:example.co.uk", "http://m.example.co.uk/a/c/d"),
    (
        "https://bhxh-bd.blogspot.com/p/lien-he.html",
        "web:bhxh-bd.blogspot.com",
        "https://bhxh-bd.blogspot.com/p/lien-he.html",
    ),
    ("http://www.example.com:8080/x", "web:example.com", "http://www.example.com:8080/x"),
    (
        "https://bảohiểm.vn/đăng-ký",
        "web:xn--bohim-v11b9i.vn",
        "https://xn--bohim-v11b9i.vn/%C4%91%C4%83ng-k%C3%BD",
    ),
    (
        "www.facebook.com/bhxhbinhduong",
        "facebook:page:bhxhbinhduong",
        "https://www.facebook.com/bhxhbinhduong",
    ),
]


@pytest.mark.parametrize("url", SAME_FACEBOOK_PAGE)
def test_facebook_variants_are_one_identity(url: str) -> None:
    ident = canonical(url)
    assert ident is not None
    assert (ident.platform, ident.identity) == ("facebook", "facebook:page:bhxhbinhduong")
    # Dots do not count in Facebook usernames; the URL keeps the spelling that was seen.
    assert ident.url in ("https://www.facebook.com/bhxhbinhduong", "https://www.facebook.com/bhxh.binhduong")


@pytest.mark.parametrize(("url", "key", "shown"), CASES)
def test_canonical(url: str, key: str, shown: str) -> None:
    ident = canonical(url)
    assert ident is not None
    assert (ident.identity, ident.url) == (key, shown)
    assert ident.platform in PLATFORMS
    assert ident.identity.startswith(ident.platform + ":")


def test_canonical_url_gives_back_the_same_identity() -> None:
    for url, key, _ in CASES:
        first = canonical(url)
        assert first is not None
        again = canonical(first.url)
        assert again is not None, url
        assert again.identity == key, url


HOSTILE = [
    "",
    "   ",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "mailto:a@b.vn",
    "ftp://example.com/x",
    "file:///etc/passwd",
    "http://",
    "https://[::1",
    "http://exa mple.com/",
    "http://127.0.0.1:99999/",
    "https://\ud800.com/",
    "https://" + "a" * 10_000 + ".com/",
    "x" * 10_000,
    "\x00\x01\x02",
    "https://%zz%zz/",
    "/l/?uddg=https%3A%2F%2Fexample.com",
    "?q=1",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_urls_give_none(url: str) -> None:
    assert canonical(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/" + "a" * 10_000,
        "https://www.facebook.com/watch/?v=" + "9" * 10_000,
        "https://example.com/\ud800/\x00x?\udfff=1",
        "https://example.com/?" + "&".join(f"k{i}=v" for i in range(2000)),
        "https://t.me/" + "é" * 5000,
    ],
)
def test_long_or_odd_urls_are_capped_not_crashing(url: str) -> None:
    ident = canonical(url)
    assert ident is not None
    assert len(ident.identity) <= MAX_IDENTITY_CHARS
    assert "\x00" not in ident.identity
    assert "\ud800" not in ident.identity


def test_capped_identities_stay_distinct() -> None:
    one = canonical("https://www.facebook.com/share/" + "a" * 1000 + "1")
    two = canonical("https://www.facebook.com/share/" + "a" * 1000 + "2")
    assert one is not None
    assert two is not None
    assert one.identity != two.identity


def test_redirect_loops_stop() -> None:
    loop = "https://l.facebook.com/l.php?u=" + "https%3A%2F%2Fl.facebook.com%2Fl.php%3Fu%3D" * 6 + "x"
    ident = canonical(loop)
    # Three hops are unwrapped; what is left is an l.facebook.com link, kept as a Facebook path.
    assert ident is not None
    assert ident.identity.startswith("facebook:path:/l.php?u=")


def test_unwrap_redirect() -> None:
    assert (
        unwrap_redirect("https://duckduckgo.com/l/?uddg=https%3A%2F%2Ft.me%2Fabcde&rut=1")
        == "https://t.me/abcde"
    )
    assert unwrap_redirect("https://example.com/l/?uddg=x") == "https://example.com/l/?uddg=x"
    assert unwrap_redirect("not a url") == "not a url"
    for odd in ("https://a.com:abc/", "https://[::1/", "http://127.0.0.1:99999/"):
        assert unwrap_redirect(odd) == odd
    assert unwrap_redirect("https://duckduckgo.com/l/?uddg=https%3A%2F%2F%5B%3A%3A1") == "https://[::1"


def test_registrable_domain() -> None:
    assert registrable_domain("binhduong.baohiemxahoi.gov.vn") == "baohiemxahoi.gov.vn"
    assert registrable_domain("x.y.blogspot.com") == "y.blogspot.com"
    assert registrable_domain("gov.vn") is None
    assert registrable_domain("10.0.0.1") is None


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("BHXH Bình Dương | Facebook", "BHXH Bình Dương"),
        ("BHXH Bình Dương - Trang chủ | Facebook", "BHXH Bình Dương"),
        ("Bảo hiểm xã hội tỉnh Bình Dương - Giới thiệu", "Bảo hiểm xã hội tỉnh Bình Dương"),
        ("Hỗ trợ rút BHXH 1 lần (@hotrobhxh) | TikTok", "Hỗ trợ rút BHXH 1 lần (@hotrobhxh)"),
        ("Kênh BHXH Bình Dương - YouTube", "Kênh BHXH Bình Dương"),
        ("BHXH BD – Telegram", "BHXH BD"),
        ("Telegram: Contact @bhxh_bd", "@bhxh_bd"),
        ("BHXH (@bhxh.bd) • Instagram photos and videos", "BHXH (@bhxh.bd)"),
        ("BHXH BD (@bhxhbd) / X", "BHXH BD (@bhxhbd)"),
        ("Nintendo - Posts | Facebook", "Nintendo"),
        ("  BHXH\u00a0 Bình\tDương  ", "BHXH Bình Dương"),
        ("BHXH &amp; Bảo hiểm y tế", "BHXH & Bảo hiểm y tế"),
        ("BHXH\u202e gnouD hniB\x00", "BHXH\u202e gnouD hniB"),
        ("BHXH\x1b[31m Bình\u200b Dương", "BHXH\x1b[31m Bình\u200b Dương"),
        ("Bi\u0300nh Du\u031bo\u031bng", "Bình Dương"),
        ("Facebook", "Facebook"),
        ("E-Home", "E-Home"),
        ("", ""),
        ("\ud800", ""),
    ],
)
def test_clean_display_name(title: str, name: str) -> None:
    assert clean_display_name(title) == name


def test_clean_display_name_caps_length() -> None:
    cleaned = clean_display_name("BHXH " * 5000 + "| Facebook")
    assert len(cleaned) <= 20_000
    assert cleaned.startswith("BHXH BHXH")


def _sighting(source: str, query: str, rank: int, title: str, url: str, snippet: str = "") -> Sighting:
    return Sighting(source, query, rank, title, url, snippet, datetime(2026, 11, 24, tzinfo=UTC))


def test_merge_groups_sightings_by_identity() -> None:
    sightings = [
        _sighting(
            "duckduckgo",
            "q1",
            3,
            "Hỗ trợ rút BHXH - BHXH Bình Dương | Facebook",
            "https://m.facebook.com/bhxh.bd/posts/1",
            "rút một lần",
        ),
        _sighting(
            "brave",
            "q2",
            1,
            "BHXH Bình Dương | Facebook",
            "https://www.facebook.com/bhxhbd?fbclid=1",
            "Trang hỗ trợ",
        ),
        _sighting(
            "duckduckgo",
            "q3",
            2,
            "BHXH Bình Dương - Trang chủ | Facebook",
            "https://fb.com/BHXHBD",
            "Trang hỗ trợ",
        ),
        _sighting("brave", "q2", 2, "Tin tức BHXH", "https://baobinhduong.vn/bhxh-a1.html", "tin"),
        _sighting("brave", "q2", 5, "bad", "javascript:alert(1)"),
        _sighting("searxng", "q4", 1, "", "https://zalo.me/84912345678"),
    ]
    candidates = merge(sightings, brand="bhxh-binh-duong")
    assert [c.identity for c in candidates] == [
        "facebook:page:bhxhbd",
        "web:baobinhduong.vn",
        "zalo:0912345678",
    ]
    page = candidates[0]
    assert page.brand == "bhxh-binh-duong"
    assert page.platform == "facebook"
    assert page.url == "https://www.facebook.com/bhxh.bd"
    assert page.name == "BHXH Bình Dương"  # two of three titles agree
    assert page.sources == ["brave", "duckduckgo"]
    assert [s.query for s in page.sightings] == ["q1", "q2", "q3"]
    assert page.snippets == ["Trang hỗ trợ", "rút một lần"]
    assert candidates[2].name == "https://zalo.me/0912345678"


def test_merge_of_nothing() -> None:
    assert merge([], brand="x") == []
    assert merge([_sighting("s", "q", 1, "t", "data:,x")], brand="x") == []


# Hosts are read as browsers read them: IDNA 2008 with UTS #46 mapping, non-transitional.
HOSTS: list[tuple[str, str | None]] = [
    ("https://faß.vn/", "web:xn--fa-hia.vn"),
    ("https://FASS.vn/", "web:fass.vn"),
    ("https://xn--fa-hia.vn/dang-ky", "web:xn--fa-hia.vn"),
    ("https://www．Faß．vn/a", "web:xn--fa-hia.vn"),  # full-width dots, upper case
    ("https://βόλος.com/", "web:xn--nxasmm1c.com"),  # final sigma kept (IDNA 2003 gave xn--nxasmq6b)
    ("https://bả\u200bohiểm.vn/", "web:xn--bohim-v11b9i.vn"),  # zero-width space is ignored in hosts
    ("https://my_site.example.vn/", "web:example.vn"),
    ("https://xn--zz.vn/", None),  # an A-label that does not decode
    ("https://xn--FA-HIA.vn/", "web:xn--fa-hia.vn"),
    ("https://\u0300ab.vn/", None),  # a label may not start with a combining mark
    ("https://☃.vn/", None),  # symbols are not IDNA 2008
    ("https://bad host.vn/", None),
    ("https://[1.2.3.4]/", None),
    ("http://[::1]:8080/x", "web:[::1]"),
    ("http://10.0.0.1:8080/x", "web:10.0.0.1"),
]


@pytest.mark.parametrize(("url", "key"), HOSTS)
def test_hosts_use_idna_2008(url: str, key: str | None) -> None:
    ident = canonical(url)
    assert (ident.identity if ident else None) == key


# What a browser opens is not what Python's urlsplit reads: no identity at all.
TRICKS = [
    "https://evil.example\\@www.facebook.com/bhxh",
    "https://evil.example\\.facebook.com/bhxh",
    "https://evil.example%5C@www.facebook.com/bhxh",
    "https://www.facebook.com@evil.example/bhxh",
    "https://user:pass@www.facebook.com/bhxh",
    "https://@t.me/bhxh_bd",
    "https:\\\\www.facebook.com\\bhxh",
    "https://\\\\www.facebook.com/bhxh",
    "https://www.facebook.com\\bhxh",
    "https://evil.example\t\\@t.me/bhxh_bd",
]


@pytest.mark.parametrize("url", TRICKS)
def test_backslash_and_userinfo_are_refused(url: str) -> None:
    assert canonical(url) is None


def test_backslash_in_path_is_a_slash_as_in_browsers() -> None:
    ident = canonical("https://www.facebook.com/bhxhbinhduong\\about")
    assert ident is not None
    assert ident.identity == "facebook:page:bhxhbinhduong"


# Only hosts that show accounts and pages are read as the platform.
PAGE_HOSTS: list[tuple[str, str | None]] = [
    ("https://developers.facebook.com/bhxh", None),
    ("https://business.facebook.com/bhxh", None),
    ("https://edge-chat.facebook.com/bhxh", None),
    ("https://upload.facebook.com/bhxh", None),
    ("https://mobile.facebook.com/bhxh", "facebook:page:bhxh"),
    ("https://en-gb.facebook.com/bhxh", "facebook:page:bhxh"),
    ("https://web.facebook.com/bhxh", "facebook:page:bhxh"),
    ("https://studio.youtube.com/channel/UCabcdefghijklmnopqrstuv", None),
    ("https://music.youtube.com/@bhxh", None),
    ("https://webcast.tiktok.com/@bhxh", None),
    ("https://vt.tiktok.com/ZSNabc123/", "tiktok:link:ZSNabc123"),
    ("https://bhxh_bd.t.me/125", "telegram:bhxh_bd"),
    ("https://www.t.me/bhxh_bd", "telegram:bhxh_bd"),
    ("https://a.b.t.me/bhxh_bd", None),
    ("https://chat.zalo.me/0912345678", None),
    ("https://help.instagram.com/bhxh", None),
    ("https://mobile.twitter.com/bhxh_bd", "x:bhxh_bd"),
    ("https://developer.x.com/bhxh_bd", None),
    ("https://www.facebook.com.evil.example/bhxh", "web:evil.example"),
    ("https://www.facebook.com:8443/bhxh", "web:facebook.com"),
    ("https://evilduckduckgo.com/l/?uddg=https%3A%2F%2Ft.me%2Fbhxh_bd", "web:evilduckduckgo.com"),
    ("https://notyoutube.com/redirect?q=https%3A%2F%2Ft.me%2Fbhxh_bd", "web:notyoutube.com"),
]


@pytest.mark.parametrize(("url", "key"), PAGE_HOSTS)
def test_only_page_hosts_are_platform_pages(url: str, key: str | None) -> None:
    ident = canonical(url)
    assert (ident.identity if ident else None) == key


# One account is one identity, however its name was padded. Formats stay as they were.
NAMES: list[tuple[str, str]] = [
    ("https://www.facebook.com/bhxhbinhduong%20", "facebook:page:bhxhbinhduong"),
    ("https://www.facebook.com/bhxhbinhduong%E2%80%8B", "facebook:page:bhxhbinhduong"),
    ("https://www.facebook.com/bhxh%E2%80%8Bbinhduong/", "facebook:page:bhxhbinhduong"),
    ("https://www.facebook.com/%EF%BB%BFBHXHBinhDuong%C2%A0", "facebook:page:bhxhbinhduong"),
    ("https://www.facebook.com/bhxhbinhduong%E3%85%A4", "facebook:page:bhxhbinhduong"),
    ("https://www.facebook.com/bhxh%C2%ADbinhduong", "facebook:page:bhxhbinhduong"),
    ("https://www.facebook.com/profile.php?id=100012345678%20", "facebook:id:100012345678"),
    ("https://www.facebook.com/groups/HoTroRutBHXH%E2%80%8D/", "facebook:group:hotrorutbhxh"),
    ("https://t.me/BHXH_BD%E2%80%8B", "telegram:bhxh_bd"),
    ("https://t.me/bhxh_bd%20/12", "telegram:bhxh_bd"),
    ("https://www.tiktok.com/@BHXH.BD%E2%80%8C", "tiktok:@bhxh.bd"),
    ("https://www.youtube.com/@BHXH%C2%A0", "youtube:@bhxh"),
    ("https://www.youtube.com/c/BHXH%E2%81%A0", "youtube:c:bhxh"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ%E2%80%8B", "youtube:video:dQw4w9WgXcQ"),
    ("https://www.instagram.com/bhxh.bd%EF%BB%BF", "instagram:bhxh.bd"),
    ("https://x.com/BHXH_BD%20", "x:bhxh_bd"),
    ("https://zalo.me/0912345678%20", "zalo:0912345678"),
    # Case is kept where the platform tells case apart.
    ("https://t.me/+AbCdEf123%E2%80%8B", "telegram:invite:AbCdEf123"),
    ("https://vm.tiktok.com/ZSNabc123%20/", "tiktok:link:ZSNabc123"),
    (
        "https://www.youtube.com/channel/UCabcdefghijklmnopqrstuv%E2%80%8B",
        "youtube:channel:UCabcdefghijklmnopqrstuv",
    ),
]


@pytest.mark.parametrize(("url", "key"), NAMES)
def test_names_are_normalised(url: str, key: str) -> None:
    ident = canonical(url)
    assert ident is not None
    assert ident.identity == key
    again = canonical(ident.url)
    assert again is not None
    assert again.identity == key


def test_inner_space_is_not_removed_from_a_name() -> None:
    ident = canonical("https://www.facebook.com/bhxh%20binhduong")
    assert ident is not None
    assert ident.identity.startswith("facebook:path:")


# A website is one finding per registrable domain (the key look-alike domains get); the
# paths that were found stay in the URL and sightings. Shared hosts keep the site's segments.
WEBSITES: list[tuple[str, str]] = [
    ("https://bhxh-hotro.com/", "web:bhxh-hotro.com"),
    ("https://www.bhxh-hotro.com/rut-bhxh-1-lan.html?utm_source=fb", "web:bhxh-hotro.com"),
    ("http://m.bhxh-hotro.com/lien-he/", "web:bhxh-hotro.com"),
    ("https://tra-cuu.bhxh-hotro.com:8443/x", "web:bhxh-hotro.com"),
    ("https://bhxh.com.vn/a", "web:bhxh.com.vn"),
    ("https://a.b.bhxh.com.vn/a", "web:bhxh.com.vn"),
    ("https://bhxh-bd.blogspot.com/2026/11/a.html", "web:bhxh-bd.blogspot.com"),
    ("https://bhxh.weebly.com/lien-he.html", "web:bhxh.weebly.com"),
    ("https://www.bhxh.wordpress.com/", "web:bhxh.wordpress.com"),
    ("https://sites.google.com/view/BHXH-HoTro/lien-he", "web:sites.google.com/view/bhxh-hotro"),
    ("https://sites.google.com/a/bhxh.vn/tra-cuu/home", "web:sites.google.com/a/bhxh.vn/tra-cuu"),
    (
        "https://docs.google.com/forms/d/e/1FAIpQLSf/viewform?usp=sf_link",
        "web:docs.google.com/forms/d/e/1FAIpQLSf",
    ),
    ("https://docs.google.com/forms/d/1FAIpQLSf/edit", "web:docs.google.com/forms/d/1FAIpQLSf"),
    ("https://drive.google.com/file/d/1AbC/view", "web:drive.google.com/file/d/1AbC"),
    ("https://forms.gle/AbC123", "web:forms.gle/AbC123"),
    ("https://bit.ly/3AbCd", "web:bit.ly/3AbCd"),
    ("https://linktr.ee/bhxh.hotro", "web:linktr.ee/bhxh.hotro"),
    ("https://sites.google.com/", "web:google.com"),
]


@pytest.mark.parametrize(("url", "key"), WEBSITES)
def test_websites_are_keyed_by_registrable_domain(url: str, key: str) -> None:
    ident = canonical(url)
    assert ident is not None
    assert (ident.platform, ident.identity) == ("web", key)
    again = canonical(ident.url)
    assert again is not None
    assert again.identity == key
    assert web_key_of_identity(key) == key


def test_website_key_is_the_look_alike_key() -> None:
    for host in ("bhxh-hotro.com", "tra-cuu.bhxh.com.vn", "bhxh.weebly.com", "x.y.blogspot.com"):
        ident = canonical(f"https://{host}/some/page")
        assert ident is not None
        assert ident.identity == f"web:{finding_key(host)}"


def test_one_fake_site_is_one_candidate_with_every_page_as_sighting() -> None:
    sightings = [
        _sighting("brave", "q1", 4, "Rút BHXH 1 lần", "https://www.bhxh-hotro.com/rut-1-lan.html", "rút"),
        _sighting("duckduckgo", "q2", 1, "Hỗ trợ BHXH", "https://bhxh-hotro.com/", "hỗ trợ"),
        _sighting("brave", "q3", 2, "Liên hệ", "http://m.bhxh-hotro.com/lien-he", "gọi ngay"),
    ]
    [candidate] = merge(sightings, brand="b")
    assert candidate.identity == "web:bhxh-hotro.com"
    assert candidate.url == "https://www.bhxh-hotro.com/rut-1-lan.html"
    assert [s.url for s in candidate.sightings] == [s.url for s in sightings]
    assert candidate.snippets == ["hỗ trợ", "gọi ngay", "rút"]


LEGACY: list[tuple[str, str | None]] = [
    ("web:baohiemxahoi-binhduong.com/tra-cuu", "web:baohiemxahoi-binhduong.com"),
    ("web:binhduong.baohiemxahoi.gov.vn", "web:baohiemxahoi.gov.vn"),
    ("web:example.com:8080/x", "web:example.com"),
    ("web:[::1]:8080/x", "web:[::1]"),
    ("web:10.0.0.1/a/b", "web:10.0.0.1"),
    ("web:sites.google.com/view/bhxh/lien-he", "web:sites.google.com/view/bhxh"),
    ("web:bhxh.xyz", "web:bhxh.xyz"),
    ("web:example.com/" + "a" * 380 + "#0123456789abcdef", "web:example.com"),
    ("facebook:page:bhxh", None),
    ("web:", None),
]


@pytest.mark.parametrize(("stored", "key"), LEGACY)
def test_stored_web_identities_get_the_domain_key(stored: str, key: str | None) -> None:
    assert web_key_of_identity(stored) == key
