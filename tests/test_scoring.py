"""Page URLs per identity kind: every kind candidates.canonical() produces is read at its own page."""

from __future__ import annotations

import pytest

from monitor.candidates import MAX_IDENTITY_CHARS, canonical
from monitor.enrich.enricher import Enrichment
from monitor.page_state import FAILED_CHECKS, UNREADABLE, keeps_state, page_note, page_state
from monitor.scoring import page_url
from monitor.settings import SourcesSettings

# (search result URL, identity it becomes, page read with the default settings)
CASES = [
    # Telegram: username, invite (+code and joinchat), phone, private channel, other paths
    ("https://t.me/BHXH_BinhDuong_CSKH", "telegram:bhxh_binhduong_cskh", "https://t.me/bhxh_binhduong_cskh"),
    ("https://t.me/s/bhxhbinhduong/12", "telegram:bhxhbinhduong", "https://t.me/bhxhbinhduong"),
    ("https://t.me/+AbCdEf_12-xY", "telegram:invite:AbCdEf_12-xY", "https://t.me/+AbCdEf_12-xY"),
    ("https://t.me/joinchat/AAAAAEkkAbCd", "telegram:invite:AAAAAEkkAbCd", "https://t.me/+AAAAAEkkAbCd"),
    ("https://telegram.me/+84912345678", "telegram:phone:84912345678", "https://t.me/+84912345678"),
    ("https://t.me/c/1234567890/55", "telegram:c:1234567890", "https://t.me/c/1234567890"),
    (
        "https://t.me/share/url?url=https%3A%2F%2Fexample.vn",
        "telegram:path:/share/url?url=https%3A%2F%2Fexample.vn",
        "https://t.me/share/url?url=https%3A%2F%2Fexample.vn",
    ),
    # YouTube: channel id, handle, custom URL, legacy user, videos (watch, youtu.be, shorts), other paths
    (
        "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa",
        "youtube:channel:UCaaaaaaaaaaaaaaaaaaaaaa",
        "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa",
    ),
    (
        "https://m.youtube.com/@BHXHBinhDuong/videos",
        "youtube:@bhxhbinhduong",
        "https://www.youtube.com/@bhxhbinhduong",
    ),
    (
        "https://www.youtube.com/c/BaoHiemXaHoi",
        "youtube:c:baohiemxahoi",
        "https://www.youtube.com/c/baohiemxahoi",
    ),
    ("https://www.youtube.com/user/bhxhvn", "youtube:user:bhxhvn", "https://www.youtube.com/user/bhxhvn"),
    (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42",
        "youtube:video:dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "https://youtu.be/dQw4w9WgXcQ",
        "youtube:video:dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
    ),
    (
        "https://www.youtube.com/shorts/abcDEF12345",
        "youtube:video:abcDEF12345",
        "https://www.youtube.com/watch?v=abcDEF12345",
    ),
    (
        "https://www.youtube.com/playlist?list=PL123",
        "youtube:path:/playlist?list=PL123",
        "https://www.youtube.com/playlist?list=PL123",
    ),
    # TikTok: account, a video of an account, short links (read where found), other paths
    (
        "https://www.tiktok.com/@BHXH.BinhDuong?lang=vi",
        "tiktok:@bhxh.binhduong",
        "https://www.tiktok.com/@bhxh.binhduong",
    ),
    (
        "https://www.tiktok.com/@bhxh.binhduong/video/7300000000000000001",
        "tiktok:@bhxh.binhduong",
        "https://www.tiktok.com/@bhxh.binhduong",
    ),
    ("https://vm.tiktok.com/ZSabc123/", "tiktok:link:ZSabc123", "https://vm.tiktok.com/ZSabc123/"),
    ("https://www.tiktok.com/t/ZTabc456/", "tiktok:link:ZTabc456", "https://www.tiktok.com/t/ZTabc456/"),
    (
        "https://www.tiktok.com/discover/bhxh-binh-duong",
        "tiktok:path:/discover/bhxh-binh-duong",
        "https://www.tiktok.com/discover/bhxh-binh-duong",
    ),
    # Websites are read where they are; the platforms that forbid collection are never read
    (
        "https://bhxh-binhduong.com/?utm_source=x",
        "web:bhxh-binhduong.com",
        "https://bhxh-binhduong.com/",
    ),
    ("https://www.facebook.com/bhxhbinhduong.hotro/", "facebook:page:bhxhbinhduonghotro", None),
    ("https://www.facebook.com/profile.php?id=100089123456789", "facebook:id:100089123456789", None),
    ("https://www.facebook.com/groups/bhxhbd/", "facebook:group:bhxhbd", None),
    ("https://www.instagram.com/bhxh.bd/", "instagram:bhxh.bd", None),
    ("https://x.com/bhxhbd", "x:bhxhbd", None),
    ("https://zalo.me/0912345678", "zalo:0912345678", None),
]


@pytest.mark.parametrize(("result_url", "identity", "expected"), CASES)
def test_every_identity_kind_is_read_at_its_own_page(
    result_url: str, identity: str, expected: str | None
) -> None:
    ident = canonical(result_url)
    assert ident is not None
    assert ident.identity == identity
    assert page_url(ident.platform, ident.identity, ident.url, SourcesSettings()) == expected


def _moved() -> SourcesSettings:
    return SourcesSettings.model_validate(
        {
            "telegram": {"url": "http://127.0.0.1:9/tme/"},
            "youtube": {"url": "http://127.0.0.1:9"},
            "tiktok": {"url": "http://127.0.0.1:9/tiktok"},
        }
    )


MOVED = [
    ("https://t.me/+AbCdEf_12", "http://127.0.0.1:9/tme/+AbCdEf_12"),
    ("https://t.me/c/1234567890", "http://127.0.0.1:9/tme/c/1234567890"),
    ("https://t.me/bhxhbinhduong", "http://127.0.0.1:9/tme/bhxhbinhduong"),
    ("https://t.me/share/url?url=x", "http://127.0.0.1:9/tme/share/url?url=x"),
    (
        "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa",
        "http://127.0.0.1:9/channel/UCaaaaaaaaaaaaaaaaaaaaaa",
    ),
    ("https://www.youtube.com/@bhxh", "http://127.0.0.1:9/@bhxh"),
    ("https://www.youtube.com/c/bhxh", "http://127.0.0.1:9/c/bhxh"),
    ("https://www.youtube.com/user/bhxh", "http://127.0.0.1:9/user/bhxh"),
    ("https://youtu.be/dQw4w9WgXcQ", "http://127.0.0.1:9/watch?v=dQw4w9WgXcQ"),
    ("https://www.tiktok.com/@bhxh.bd", "http://127.0.0.1:9/tiktok/@bhxh.bd"),
    ("https://www.tiktok.com/t/ZTabc456/", "http://127.0.0.1:9/tiktok/t/ZTabc456/"),
    # A short link on another host cannot be moved: it is read where it was found.
    ("https://vm.tiktok.com/ZSabc123/", "https://vm.tiktok.com/ZSabc123/"),
]


@pytest.mark.parametrize(("result_url", "expected"), MOVED)
def test_pages_are_read_under_the_configured_base(result_url: str, expected: str) -> None:
    ident = canonical(result_url)
    assert ident is not None
    assert page_url(ident.platform, ident.identity, ident.url, _moved()) == expected


def test_names_are_percent_encoded_in_the_path() -> None:
    ident = canonical("https://www.youtube.com/@b%E1%BA%A3o%20hi%E1%BB%83m")
    assert ident is not None
    assert ident.identity == "youtube:@bảo hiểm"
    assert page_url("youtube", ident.identity, ident.url, SourcesSettings()) == (
        "https://www.youtube.com/@b%E1%BA%A3o%20hi%E1%BB%83m"
    )


def test_a_shortened_identity_is_read_at_its_result_url() -> None:
    ident = canonical("https://t.me/+" + "A" * 600)
    assert ident is not None
    assert len(ident.identity) == MAX_IDENTITY_CHARS
    assert page_url("telegram", ident.identity, ident.url, SourcesSettings()) == "https://t.me/+" + "A" * 600


def test_disabled_platforms_are_not_read() -> None:
    off = SourcesSettings.model_validate(
        {"telegram": {"enabled": False}, "youtube": {"enabled": False}, "tiktok": {"enabled": False}}
    )
    for url in ("https://t.me/+abc123", "https://www.youtube.com/@bhxh", "https://www.tiktok.com/@bhxh"):
        ident = canonical(url)
        assert ident is not None
        assert page_url(ident.platform, ident.identity, ident.url, off) is None


URL = "https://t.me/+abc"
STATES = [
    (None, "not_fetched", False),
    (Enrichment(URL, "telegram", "content"), "read", False),
    (Enrichment(URL, "telegram", "unavailable", "http_404", http_status=404), "gone", False),
    (Enrichment(URL, "telegram", "unavailable", "telegram_unused_name", http_status=200), "gone", False),
    (Enrichment(URL, "telegram", "unverified", "robots_disallowed"), "robots", True),
    (Enrichment(URL, "telegram", "blocked", "circuit_open"), "blocked", True),
    (Enrichment(URL, "telegram", "blocked", "blocked"), "blocked", True),
    (Enrichment(URL, "telegram", "blocked", "http_403", http_status=403), "blocked", True),
    (Enrichment(URL, "telegram", "failed", "unsafe_url"), "unsafe_redirect", True),
    (Enrichment(URL, "telegram", "failed", "too_large"), "too_large", True),
    (Enrichment(URL, "telegram", "failed", "timeout"), "timeout", True),
    (Enrichment(URL, "telegram", "failed", "fetch_error"), "failed", True),
    (Enrichment(URL, "telegram", "failed", "parse_limit", http_status=200), "parse_limit", True),
    (Enrichment(URL, "telegram", "failed", "http_503", http_status=503), "failed", True),
    (Enrichment(URL, "telegram", "failed", "extract_failed", http_status=200), "failed", True),
    (Enrichment(URL, "web", "failed", "read_error"), "read_error", True),
]


@pytest.mark.parametrize(("enrichment", "state", "unreadable"), STATES)
def test_page_state_of_each_outcome_and_reason(
    enrichment: Enrichment | None, state: str, unreadable: bool
) -> None:
    assert page_state(enrichment) == state
    assert (state in UNREADABLE) is unreadable
    assert (state in FAILED_CHECKS) is (unreadable and state != "robots")
    note = page_note(enrichment)
    if state in ("read", "not_fetched"):
        assert note is None
    else:
        assert enrichment is not None
        assert note == f"{enrichment.reason}{_status(enrichment)}: {URL}"


def _status(enrichment: Enrichment) -> str:
    shown = enrichment.http_status
    return "" if shown is None or str(shown) in (enrichment.reason or "") else f" (HTTP {shown})"


def test_note_names_the_http_status_once() -> None:
    assert page_note(Enrichment(URL, "telegram", "failed", "extract_failed", http_status=200)) == (
        f"extract_failed (HTTP 200): {URL}"
    )
    assert page_note(Enrichment(URL, "telegram", "failed", "http_503", http_status=503)) == f"http_503: {URL}"


def test_which_failed_rechecks_keep_the_old_state() -> None:
    for platform in ("telegram", "tiktok", "youtube"):
        assert all(keeps_state(platform, state) for state in FAILED_CHECKS)
        assert not any(keeps_state(platform, state) for state in ("read", "gone", "robots", "not_fetched"))
    # A website that no longer resolves or answers is left to the absence rules.
    assert not keeps_state("web", "failed")
    assert keeps_state("web", "timeout")
    assert keeps_state("web", "too_large")
    # A failure of the monitor's own reading says nothing about the site.
    assert keeps_state("web", "read_error")
