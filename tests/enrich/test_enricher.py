"""enrich() through the real HttpClient against loopback servers that record every request."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response

from monitor.enrich.banks import BankAccount
from monitor.enrich.enricher import Enrichment, enrich
from monitor.net.client import HttpClient
from tests.enrich import samples
from tests.enrich.site import Site, settings
from tests.support.loopback import free_port

FB_LOGIN = (
    "<html><head><title>Log into Facebook</title></head><body><form id='login_form'></form></body></html>"
)
CHANNEL_ID = "UCabcdefghijklmnopqrstuv"


def _run(
    url: str, platform: str, *, hosts: tuple[str, ...] = (), timeout: float = 5.0, **options: Any
) -> Enrichment:
    """enrich() with a fresh client; `hosts` resolve to the loopback server."""

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host in hosts or host == "127.0.0.1" else []

    async def go() -> Enrichment:
        async with HttpClient(settings(timeout=timeout), resolver=resolve) as client:
            return await enrich(client, url, platform, **options)

    return asyncio.run(go())


def test_robots_disallow_is_obeyed_and_the_candidate_stays_unverified(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/private/bhxh"] = HTMLResponse(samples.WEBSITE)
    result = _run(
        f"{base}/private/bhxh", "web", name="BHXH Bình Dương", snippet="Rút BHXH 1 lần, Zalo 0901234567"
    )
    assert (result.outcome, result.reason, result.page, result.response) == (
        "unverified",
        "robots_disallowed",
        None,
        None,
    )
    assert "/private/bhxh" not in web.asked
    assert web.asked == ["/robots.txt"]
    # The search-result snippet still yields its signals.
    assert result.signals == ["phone:0901234567", "zalo:0901234567"]


def test_content_page_gives_page_contacts_and_the_response(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/dich-vu"] = HTMLResponse(samples.WEBSITE)
    result = _run(f"{base}/dich-vu", "web", snippet="STK 0071000123456 Vietcombank")
    assert result.outcome == "content"
    assert result.http_status == 200
    assert result.page is not None
    assert result.page.title == "BHXH Bình Dương Online"
    assert result.contacts.phones == ("0901234567",)
    assert result.contacts.emails == ("hotro@bhxh-binhduong.online",)
    assert result.contacts.bank_accounts == (BankAccount("0071000123456", "Vietcombank"),)
    assert "0999888777" not in result.contacts.phones  # script text is not page text
    assert result.response is not None
    assert result.response.body == samples.WEBSITE.encode()


def test_facebook_login_wall_is_blocked(site: tuple[Site, str]) -> None:
    web, base = site
    port = base.rsplit(":", 1)[1]
    web.pages["/bhxhbinhduong.hotro"] = RedirectResponse(
        "/login/?next=%2Fbhxhbinhduong.hotro", status_code=302
    )
    web.pages["/login/"] = HTMLResponse(FB_LOGIN)
    result = _run(
        f"http://www.facebook.com:{port}/bhxhbinhduong.hotro", "facebook", hosts=("www.facebook.com",)
    )
    assert (result.outcome, result.reason) == ("blocked", "facebook_login_redirect")
    assert result.page is not None
    assert result.page.kind == "wall"
    assert result.contacts.as_signals() == []
    assert result.response is not None
    assert result.response.final_url.endswith("/login/?next=%2Fbhxhbinhduong.hotro")


def test_login_page_served_in_place_is_blocked_too(site: tuple[Site, str]) -> None:
    web, base = site
    port = base.rsplit(":", 1)[1]
    web.pages["/bhxh"] = HTMLResponse(FB_LOGIN)
    result = _run(f"http://m.facebook.com:{port}/bhxh", "facebook", hosts=("m.facebook.com",))
    assert (result.outcome, result.reason) == ("blocked", "facebook_login_page")


@pytest.mark.parametrize(
    ("response", "outcome", "reason"),
    [
        (PlainTextResponse("gone", status_code=404), "unavailable", "http_404"),
        (PlainTextResponse("gone", status_code=410), "unavailable", "http_410"),
        (HTMLResponse("<title>Just a moment...</title>", status_code=403), "blocked", "cloudflare_challenge"),
        (PlainTextResponse("slow down", status_code=429), "blocked", "http_429"),
        (PlainTextResponse("oops", status_code=500), "failed", "http_500"),
        (PlainTextResponse("bad", status_code=400), "failed", "http_400"),
    ],
)
def test_status_outcomes(site: tuple[Site, str], response: Response, outcome: str, reason: str) -> None:
    web, base = site
    web.pages["/bhxh"] = response
    result = _run(f"{base}/bhxh", "web")
    assert (result.outcome, result.reason, result.http_status) == (outcome, reason, response.status_code)
    assert result.response is not None


def test_timeout_is_failed_not_gone(site: tuple[Site, str]) -> None:
    web, base = site
    web.slow.add("/bhxh")
    result = _run(f"{base}/bhxh", "web", timeout=2)
    assert (result.outcome, result.reason, result.response) == ("failed", "timeout", None)


def test_a_dropped_connection_is_a_fetch_error_not_a_timeout() -> None:
    class Dropping(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/robots.txt":
                body = b"User-agent: *\nAllow: /\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.close_connection = True  # hang up without an answer

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Dropping)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = _run(f"http://127.0.0.1:{server.server_address[1]}/bhxh", "web")
    finally:
        server.shutdown()
        server.server_close()
    assert (result.outcome, result.reason, result.response) == ("failed", "fetch_error", None)


@pytest.mark.parametrize("platform", ["web", "telegram", "tiktok", "youtube", "facebook"])
def test_markup_too_deep_to_parse_is_a_failed_page(site: tuple[Site, str], platform: str) -> None:
    web, base = site
    web.pages["/bhxh"] = HTMLResponse("<html><body>" + "<div>" * 5_000 + "Zalo 0901234567")
    result = _run(f"{base}/bhxh", platform, snippet="Zalo 0907654321")
    assert (result.outcome, result.reason, result.http_status) == ("failed", "parse_limit", 200)
    # The answer is kept for the evidence archive; only the search snippet's signals are known.
    assert result.response is not None
    assert result.signals == ["phone:0907654321", "zalo:0907654321"]


def test_unreachable_host_is_never_gone() -> None:
    # robots.txt cannot be read there, and RFC 9309 reads that as "disallow everything".
    result = _run(f"http://127.0.0.1:{free_port()}/bhxh", "web")
    assert (result.outcome, result.reason, result.response) == ("unverified", "robots_disallowed", None)


def test_telegram_channel_gets_posts_from_its_preview(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/bhxhbinhduong_hotro"] = HTMLResponse(samples.TG_CHANNEL)
    web.pages["/s/bhxhbinhduong_hotro"] = HTMLResponse(samples.TG_PREVIEW)
    result = _run(f"{base}/bhxhbinhduong_hotro", "telegram")
    assert result.outcome == "content"
    assert result.page is not None
    assert result.page.followers == 12_345  # the exact count of the card, not the preview's "12.3K"
    assert result.page.posts[1] == "Bài cũ: nhận hồ sơ tại nhà"
    assert len(result.responses) == 2
    assert set(result.contacts.zalo) == {"0901234567", "0912345678"}
    assert result.contacts.bank_accounts == (BankAccount("0071000123456", "Vietcombank"),)
    assert web.asked == ["/robots.txt", "/bhxhbinhduong_hotro", "/s/bhxhbinhduong_hotro"]


def test_telegram_preview_failure_keeps_the_card(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/bhxhbinhduong_hotro"] = HTMLResponse(samples.TG_CHANNEL)
    result = _run(f"{base}/bhxhbinhduong_hotro", "telegram")
    assert result.outcome == "content"
    assert result.page is not None
    assert result.page.posts == ()
    assert len(result.responses) == 1


def test_tiktok_video_is_read_through_oembed(site: tuple[Site, str]) -> None:
    web, base = site
    answer = {
        "title": "Rút BHXH 1 lần, Zalo 0901234567",
        "author_name": "BHXH BD",
        "author_unique_id": "bhxh_bd",
    }
    web.pages["/oembed"] = JSONResponse(answer)
    video = "https://www.tiktok.com/@bhxh_bd/video/7300000000000000001"
    result = _run(video, "tiktok", tiktok_oembed_url=f"{base}/oembed")
    assert result.outcome == "content"
    assert result.page is not None
    assert (result.page.kind, result.page.handle) == ("video", "bhxh_bd")
    assert result.contacts.zalo == ("0901234567",)
    assert web.queries[-1] == {"url": video}
    assert "/robots.txt" not in web.asked  # an API, not a page


def test_tiktok_oembed_for_a_removed_video(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/oembed"] = JSONResponse({"code": 404}, status_code=404)
    result = _run("https://vm.tiktok.com/ZMabc/", "tiktok", tiktok_oembed_url=f"{base}/oembed")
    assert (result.outcome, result.reason) == ("unavailable", "http_404")


def test_youtube_data_api_when_a_key_is_set(site: tuple[Site, str]) -> None:
    web, base = site
    item = {
        "id": CHANNEL_ID,
        "snippet": {"title": "BHXH Bình Dương", "description": "Zalo 0901234567"},
        "statistics": {"subscriberCount": "321"},
    }
    web.pages["/youtube/v3/channels"] = JSONResponse({"kind": "youtube#channelListResponse", "items": [item]})
    result = _run(
        "https://www.youtube.com/@bhxhbd",
        "youtube",
        youtube_api_key="test-key",
        youtube_api_url=f"{base}/youtube/v3",
    )
    assert result.outcome == "content"
    assert result.page is not None
    assert (result.page.external_id, result.page.followers) == (CHANNEL_ID, 321)
    assert result.signals == ["phone:0901234567", "zalo:0901234567"]
    assert web.queries[-1] == {"part": "snippet,statistics", "forHandle": "@bhxhbd", "key": "test-key"}


def test_youtube_api_without_the_channel_means_unavailable(site: tuple[Site, str]) -> None:
    web, base = site
    web.pages["/youtube/v3/channels"] = JSONResponse({"kind": "youtube#channelListResponse"})
    result = _run(
        f"https://www.youtube.com/channel/{CHANNEL_ID}",
        "youtube",
        youtube_api_key="k",
        youtube_api_url=f"{base}/youtube/v3",
    )
    assert (result.outcome, result.reason) == ("unavailable", "youtube_api_no_channel")


def test_youtube_api_refusal_falls_back_to_the_page(site: tuple[Site, str]) -> None:
    web, base = site
    port = base.rsplit(":", 1)[1]
    web.pages["/youtube/v3/channels"] = JSONResponse({"error": {"code": 403}}, status_code=403)
    web.pages["/@bhxhbinhduong"] = HTMLResponse(samples.YOUTUBE_CHANNEL)
    result = _run(
        f"http://www.youtube.com:{port}/@bhxhbinhduong",
        "youtube",
        hosts=("www.youtube.com",),
        youtube_api_key="k",
        youtube_api_url=f"{base}/youtube/v3",
    )
    assert result.outcome == "content"
    assert result.page is not None
    assert result.page.external_id == "UCabcdefghijklmnopqrstuv"
    assert "/@bhxhbinhduong" in web.asked
    # The channel's hotline, and the Zalo link on its header.
    assert result.signals == [
        "phone:19001234",
        "phone:0901234567",
        "zalo:0901234567",
        "link:zalo.me/0901234567",
    ]
