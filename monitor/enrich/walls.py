"""Wall detection: login, checkpoint, consent, challenge and unsupported-browser pages, and "gone" pages.

A wall says nothing about the account behind it, so it is recorded as `blocked` and never as
content nor as "gone". A page that says the account or post no longer exists ("This content
isn't available", TikTok "Couldn't find this account", a Telegram name nobody holds) is
`unavailable`; 404/410 statuses are left to the caller.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

WallKind = Literal[
    "login", "checkpoint", "consent", "challenge", "unsupported_browser", "refused", "unavailable"
]

# HTTP answers that refuse us outright, whatever the body says.
REFUSAL_STATUSES = frozenset({401, 403, 407, 429, 451})


@dataclass(frozen=True)
class WallVerdict:
    """What kind of wall a page is, with a short reason code for logs and evidence."""

    kind: WallKind
    reason: str

    @property
    def outcome(self) -> Literal["blocked", "unavailable"]:
        return "unavailable" if self.kind == "unavailable" else "blocked"


def _host_is(host: str, *domains: str) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


_FACEBOOK = ("facebook.com", "fb.com", "fb.me", "messenger.com")
_INSTAGRAM = ("instagram.com",)
_TIKTOK = ("tiktok.com",)
_YOUTUBE = ("youtube.com", "youtu.be")
_TELEGRAM = ("t.me", "telegram.me", "telegram.dog")

_TITLE = re.compile(r"<title[^>]*>(.{0,500}?)</title", re.IGNORECASE | re.DOTALL)

# Titles and markup of the walls themselves, as served in 2018-2026 (English, Vietnamese, Spanish).
_UNSUPPORTED_TITLE = re.compile(
    r"update your browser|actualiza tu navegador|cập nhật trình duyệt|browser (?:is )?not supported"
    r"|unsupported browser|trình duyệt không được hỗ trợ"
)
_UNSUPPORTED_MARKUP = ("unsupportedbrowser", "unsupported_browser", "unsupported-browser")
_UNSUPPORTED_400 = re.compile(
    r"(?:unsupported|not supported|no longer supports?|update|outdated)[^<]{0,60}browser"
    r"|browser[^<]{0,60}(?:unsupported|not supported|no longer supported|outdated)"
    r"|trình duyệt[^<]{0,60}(?:không được hỗ trợ|không hỗ trợ|cũ)"
)
_CLOUDFLARE_TITLE = re.compile(r"^(?:just a moment\.*|attention required! \| cloudflare|chờ một chút\.*)$")
_CLOUDFLARE_MARKUP = ("_cf_chl_opt", "cf-chl-", "cf_chl_", "cf-browser-verification", "cf-challenge-running")
_HUMAN_CHECK = re.compile(
    r"confirm this search was made by a human|verify (?:that )?you are (?:a )?human|are you a robot"
    r"|our systems have detected unusual traffic|xác minh bạn là con người|checking your browser"
)
_TIKTOK_CAPTCHA = (
    "captcha-verify-container",
    "captcha_verify_container",
    'id="captcha_container"',
    "secsdk-captcha-",
    "drag the slider to fit the puzzle",
    "kéo thanh trượt",
)
_CONSENT_TITLE = re.compile(r"^(?:before you continue|trước khi bạn tiếp tục|antes de ir a)")
_CONSENT_FORM = re.compile(r"<form[^>]+action=[\"']https://consent\.(?:youtube|google)\.com/")
_FB_LOGIN_TITLE = re.compile(
    r"^(?:log ?in(?:to| to)? facebook|facebook\s*[-–—|]\s*(?:log in or sign up|đăng nhập hoặc đăng ký)"
    r"|đăng nhập facebook|đăng nhập vào facebook|iniciar sesión en facebook)"
)
_FB_CHECKPOINT_TITLE = re.compile(
    r"^(?:security check|kiểm tra bảo mật|you[' ]re temporarily blocked|bạn tạm thời bị chặn)"
)
_IG_LOGIN_TITLE = re.compile(r"^(?:login|log in|đăng nhập) • instagram")
_META_GONE = re.compile(
    r"this content isn't available|this content is no longer available|nội dung này hiện không khả dụng"
    r"|this page isn't available|sorry, this page isn't available|trang này hiện không khả dụng"
    r"|rất tiếc, trang này hiện không khả dụng|the link you followed may be broken"
    r"|liên kết bạn theo dõi có thể bị hỏng|este contenido no está disponible"
)
_TIKTOK_GONE_TEXT = re.compile(r"couldn't find this account|không thể tìm thấy tài khoản này")
# webapp.user-detail statusCode: 10202 no such user, 10221 banned (10222, private, is content).
_TIKTOK_GONE_CODE = re.compile(r"\"statuscode\":\s*(10202|10221)\b")
_YOUTUBE_GONE = re.compile(
    r"this channel does not exist|kênh này không tồn tại|this account has been terminated"
    r"|tài khoản này đã bị chấm dứt|this channel is not available|kênh này không có sẵn"
)


def classify_wall(status: int, url: str, html: str) -> WallVerdict | None:
    """The wall `html` (served with `status` at final `url`) is, or None when it looks like content."""
    host, path = _split(url)
    text = _lowered(html)
    # Phrases count only where a reader sees them: pages ship every message of the site in
    # their scripts ("Couldn't find this account" sits in every TikTok page's translations).
    shown = _without_scripts(text)
    title = _title(text)
    return (
        _by_url(host, path)
        or _unsupported(status, shown, title)
        or _challenge(host, text, shown, title)
        or _consent(text, title)
        or _gone(host, text, shown)
        or _login(host, title)
        or _refused(status)
    )


def _split(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url if isinstance(url, str) else "")
        return (parts.hostname or "").lower(), parts.path.lower()
    except ValueError:
        return "", ""


def _lowered(html: str) -> str:
    if not isinstance(html, str):
        return ""
    text = html.lower()
    # Facebook and TikTok escape apostrophes in different ways in different places.
    for variant in ("&#39;", "&#039;", "&#x27;", "&rsquo;", "\u2019", "\\u0027"):
        text = text.replace(variant, "'")
    return text


def _without_scripts(text: str) -> str:
    """`text` minus its <script> elements, in one pass (an unclosed script runs to the end)."""
    kept: list[str] = []
    position = 0
    while True:
        start = text.find("<script", position)
        if start < 0:
            kept.append(text[position:])
            break
        kept.append(text[position:start])
        end = text.find("</script", start)
        if end < 0:
            break
        position = end + len("</script")
    return " ".join(kept)


def _title(text: str) -> str:
    found = _TITLE.search(text)
    return " ".join(htmllib.unescape(found.group(1)).split()) if found else ""


def _by_url(host: str, path: str) -> WallVerdict | None:
    if "unsupportedbrowser" in path:
        return WallVerdict("unsupported_browser", "unsupported_browser_redirect")
    if _host_is(host, "consent.youtube.com", "consent.google.com"):
        return WallVerdict("consent", "google_consent_redirect")
    if _host_is(host, *_FACEBOOK):
        if path.startswith(("/login", "/login.php", "/r.php", "/reg/")):
            return WallVerdict("login", "facebook_login_redirect")
        if path.startswith("/checkpoint"):
            return WallVerdict("checkpoint", "facebook_checkpoint")
    if _host_is(host, *_INSTAGRAM):
        if path.startswith("/accounts/login"):
            return WallVerdict("login", "instagram_login_redirect")
        if path.startswith("/challenge"):
            return WallVerdict("checkpoint", "instagram_challenge")
    if _host_is(host, *_TIKTOK) and path.startswith("/login"):
        return WallVerdict("login", "tiktok_login_redirect")
    if host == "accounts.google.com" and ("signin" in path or "servicelogin" in path):
        return WallVerdict("login", "google_login_redirect")
    if (host.startswith(("www.google.", "google.")) or host == "ipv4.google.com") and path.startswith(
        "/sorry"
    ):
        return WallVerdict("challenge", "google_unusual_traffic")
    return None


def _unsupported(status: int, text: str, title: str) -> WallVerdict | None:
    if _UNSUPPORTED_TITLE.search(title):
        return WallVerdict("unsupported_browser", "unsupported_browser_page")
    if any(f'class="{marker}' in text or f"url=/{marker}" in text for marker in _UNSUPPORTED_MARKUP):
        return WallVerdict("unsupported_browser", "unsupported_browser_page")
    if status == 400 and _UNSUPPORTED_400.search(text[:200_000]):
        return WallVerdict("unsupported_browser", "http_400_unsupported_browser")
    return None


def _challenge(host: str, text: str, shown: str, title: str) -> WallVerdict | None:
    if _CLOUDFLARE_TITLE.match(title) or any(marker in text for marker in _CLOUDFLARE_MARKUP):
        return WallVerdict("challenge", "cloudflare_challenge")
    if 'id="turnstile-widget"' in text or "anomaly-modal" in text:
        return WallVerdict("challenge", "bot_challenge")
    if _host_is(host, *_TIKTOK) and any(marker in text for marker in _TIKTOK_CAPTCHA):
        return WallVerdict("challenge", "tiktok_captcha")
    if _HUMAN_CHECK.search(shown) and ("captcha" in text or "challenge" in text):
        return WallVerdict("challenge", "human_check")
    return None


def _consent(text: str, title: str) -> WallVerdict | None:
    if _CONSENT_FORM.search(text) or (
        _CONSENT_TITLE.match(title) and ("google" in title or "youtube" in title)
    ):
        return WallVerdict("consent", "google_consent_page")
    return None


def _gone(host: str, text: str, shown: str) -> WallVerdict | None:
    if _host_is(host, *_FACEBOOK, *_INSTAGRAM) and _META_GONE.search(shown):
        return WallVerdict("unavailable", "meta_content_unavailable")
    if _host_is(host, *_TIKTOK):
        code = _TIKTOK_GONE_CODE.search(text)
        if code and code.group(1) == "10221":
            return WallVerdict("unavailable", "tiktok_account_banned")
        if code or _TIKTOK_GONE_TEXT.search(shown):
            return WallVerdict("unavailable", "tiktok_account_not_found")
    if _host_is(host, *_YOUTUBE) and _youtube_alert(text, shown):
        return WallVerdict("unavailable", "youtube_channel_unavailable")
    if _host_is(host, *_TELEGRAM) and telegram_unused(text):
        return WallVerdict("unavailable", "telegram_unused_name")
    return None


def _youtube_alert(text: str, shown: str) -> bool:
    """YouTube says a channel is gone in an alert of ytInitialData (or, without JS, in the page)."""
    if _YOUTUBE_GONE.search(shown):
        return True
    start = text.find('"alertrenderer"')
    while start >= 0:
        if _YOUTUBE_GONE.search(text, start, start + 600):
            return True
        start = text.find('"alertrenderer"', start + 1)
    return False


def telegram_unused(text: str) -> bool:
    """A t.me page for a name nobody holds: a bare "contact @name" link, no title, no preview."""
    return (
        "tgme_username_link" in text
        and 'class="tgme_page_title' not in text
        and "tgme_channel_info" not in text
    )


def _login(host: str, title: str) -> WallVerdict | None:
    if _host_is(host, *_FACEBOOK) and _FB_LOGIN_TITLE.match(title):
        return WallVerdict("login", "facebook_login_page")
    if _host_is(host, *_FACEBOOK) and _FB_CHECKPOINT_TITLE.match(title):
        return WallVerdict("checkpoint", "facebook_checkpoint_page")
    if _host_is(host, *_INSTAGRAM) and _IG_LOGIN_TITLE.match(title):
        return WallVerdict("login", "instagram_login_page")
    return None


def _refused(status: int) -> WallVerdict | None:
    if status in REFUSAL_STATUSES:
        return WallVerdict("refused", f"http_{status}")
    return None
