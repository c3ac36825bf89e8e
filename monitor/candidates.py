"""Candidates: canonical identities of result URLs, clean display names, and merged sightings."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, lru_cache
from ipaddress import ip_address
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from publicsuffixlist import PublicSuffixList

from monitor.log import get_logger
from monitor.result_hosts import ascii_host, is_page_host, platform_of, split_netloc, under, web_key

log = get_logger(__name__)

PLATFORMS = frozenset({"facebook", "tiktok", "youtube", "telegram", "zalo", "instagram", "x", "web"})

# Longer URLs are not links anyone clicks; refusing them bounds the work on hostile input.
MAX_URL_CHARS = 16_384
# findings.identity is String(512); long keys keep a readable head and a hash of the whole.
MAX_IDENTITY_CHARS = 400
MAX_NAME_CHARS = 300
# Account names are kept as the platform showed them (evidence); displays escape and shorten them.
MAX_KEPT_NAME_CHARS = 20_000
MAX_SNIPPETS = 10
# Canonical identities remembered per process, of URLs up to CANONICAL_CACHE_CHARS: a few MB at most.
CANONICAL_CACHE = 8_192
CANONICAL_CACHE_CHARS = 512


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TRACKING = _words(
    """fbclid gclid dclid msclkid mibextid __tn__ ref ref_src ref_url refsrc fref hc_ref rdid sfnsn _rdr
    _rdc igshid igsh si feature is_from_webapp sender_device _t _r mc_cid mc_eid paipv eav share_url"""
)
_TRACKING_PREFIXES = ("utm_", "__cft__", "__xts__", "hc_location")
# First path segments that are features of the platform, not accounts.
_FB_RESERVED = _words(
    """watch reel reels share sharer sharer.php photo photo.php photos video.php videos events hashtag
    marketplace gaming help login login.php logout.php privacy policies policy.php terms legal ads business
    settings home.php messages notifications friends search dialog plugins l.php recover checkpoint media
    stories bookmarks places public directory fundraisers live about careers notes r.php tr
    reg signup campaign pages_reaction_units ufi"""
)
_TG_RESERVED = _words("share addstickers addemoji addtheme proxy socks setlanguage iv login confirmphone")
_IG_RESERVED = _words("p reel reels tv explore accounts direct about legal developer web stories")
_X_RESERVED = _words(
    "i home search explore hashtag intent share settings messages notifications login signup tos privacy"
    " compose"
)

_FB_USERNAME = re.compile(r"^[A-Za-z0-9.]{1,100}$")
_FB_SLUG_ID = re.compile(r"-(\d{8,})$")
_TG_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_IG_HANDLE = re.compile(r"^[A-Za-z0-9._]{1,30}$")
_X_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_BARE_HOST = re.compile(r"^[\w.-]+\.[a-z]{2,}(?:[/?#]|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    """A stable key for "the same account or page", and the URL to show or fetch for it."""

    platform: str
    identity: str
    url: str


@dataclass(frozen=True)
class Sighting:
    """One search result: which source and query found which URL, and what it showed."""

    source: str
    query: str
    rank: int
    title: str
    url: str
    snippet: str
    seen_at: datetime


@dataclass
class Candidate:
    """One identity for one brand, with every sighting of it in this scan."""

    brand: str
    platform: str
    identity: str
    url: str
    name: str
    snippets: list[str] = field(default_factory=list)
    sightings: list[Sighting] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@cache
def _psl() -> PublicSuffixList:
    # Parsing the bundled list takes a moment: once, on first use, never at import.
    return PublicSuffixList()


def registrable_domain(host: str) -> str | None:
    """The registrable domain of a host (PSL, private section included), or None for IPs and suffixes."""
    try:
        ip_address(host.strip("[]"))
    except ValueError:
        return _psl().privatesuffix(host.lower().rstrip(".")) or None
    return None


def canonical(url: str) -> Identity | None:
    """The canonical identity of a result URL; None when it is not a usable http(s) URL.

    Never raises: javascript:, data:, empty, overlong or garbled input yields None and the caller
    skips the result. Pure, so the answers for URLs of usual length are remembered: engines and
    re-scans bring the same URLs again.
    """
    if len(url) <= CANONICAL_CACHE_CHARS:
        return _remembered(url)
    return _canonical_or_none(url)


@lru_cache(maxsize=CANONICAL_CACHE)
def _remembered(url: str) -> Identity | None:
    return _canonical_or_none(url)


def _canonical_or_none(url: str) -> Identity | None:
    try:
        return _canonical(url, depth=0)
    except (ValueError, UnicodeError):  # bad port, IPv6 brackets, IDNA labels: not a usable URL
        return None


def unwrap_redirect(url: str) -> str:
    """The target of a known search/social redirect link (DuckDuckGo, Facebook, Google, ...), else url."""
    for _ in range(3):
        try:
            parts = _split(url)
        except (ValueError, UnicodeError):  # a bad port or bracket: not a link to follow
            return url
        target = _redirect_target(*parts) if parts else None
        if not target:
            return url
        url = target
    return url


def _split(url: str) -> tuple[str, str, str, list[tuple[str, str]]] | None:
    text = url.strip()
    if not text.isprintable():  # printable text has no control character to drop
        text = "".join(ch for ch in text if ch >= " " and ch != "\x7f")
    if not text or len(text) > MAX_URL_CHARS:
        return None
    if text.startswith("//"):
        text = "https:" + text
    elif "://" not in text[:12] and _BARE_HOST.match(text):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        return None
    authority = split_netloc(parts.netloc)
    if authority is None:
        return None
    host = ascii_host(authority[0])
    if host is None:
        return None
    port = parts.port  # ValueError when out of range: the URL is rejected
    default = 443 if parts.scheme.lower() == "https" else 80
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != default:
        # Kept: a site on another port is another site.
        host = f"{host}:{port}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    # Browsers read "\\" in the path of an http(s) URL as "/".
    return parts.scheme.lower(), host, parts.path.replace("\\", "/") or "/", query


# Invisible letters that are not format characters (Hangul fillers, braille blank, CGJ).
_INVISIBLE = frozenset("\u034f\u115f\u1160\u3164\uffa0\u2800")


def clean_name(text: str) -> str:
    """A username or handle as the platform resolves it: no format or invisible characters, no edge spaces.

    "bhxh\u200b" and "bhxh " (a trailing %20) open the same account as "bhxh".
    """
    if text.isascii() and text.isprintable():
        return text.strip()
    kept = "".join(
        ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc", "Cs") and ch not in _INVISIBLE
    )
    return kept.strip()


def _redirect_target(scheme: str, host: str, path: str, query: list[tuple[str, str]]) -> str | None:
    args = dict(query)
    if host in ("l.facebook.com", "lm.facebook.com") and path.startswith("/l.php"):
        return args.get("u")
    if under(host, "duckduckgo.com") and path.startswith("/l/"):
        return args.get("uddg")
    if host == "l.instagram.com":
        return args.get("u")
    if host in ("youtube.com", "www.youtube.com", "m.youtube.com") and path == "/redirect":
        return args.get("q")
    # A registrable domain is the host's last labels: one starting "google." needs the host to
    # hold "google.", so the public-suffix list is consulted (and loaded) for such hosts only.
    if path == "/url" and "google." in host.lower():
        domain = registrable_domain(host) or ""
        if domain.startswith("google."):
            return args.get("q") or args.get("url")
    return None


@dataclass(frozen=True)
class _Url:
    scheme: str
    host: str  # lower-case ASCII, with a non-default port
    path: str  # normalised and percent-encoded
    query: list[tuple[str, str]]

    @property
    def segments(self) -> list[str]:
        """Decoded path segments, each cleaned as a name (see clean_name); empty ones dropped."""
        return [c for c in (clean_name(unquote(s, errors="replace")) for s in self.path.split("/")) if c]

    @property
    def args(self) -> dict[str, str]:
        return {k: clean_name(v) for k, v in self.query}

    def other(self, platform: str, base: str) -> Identity:
        """Not an account URL (a post, a share link...): the path and query name the object."""
        cleaned = _clean_query(self.query)
        suffix = f"?{cleaned}" if cleaned else ""
        return _make(platform, f"{platform}:path:{self.path}{suffix}", f"{base}{self.path}{suffix}")


def _canonical(url: str, depth: int) -> Identity | None:
    parts = _split(url)
    if parts is None:
        return None
    scheme, host, raw_path, query = parts
    target = _redirect_target(scheme, host, raw_path, query)
    if target and depth < 3:
        return _canonical(target, depth + 1)
    u = _Url(scheme, host, _norm_path(raw_path), query)
    platform = platform_of(host)
    if platform is None:
        return _web(u)
    if not is_page_host(platform, host):
        # developers.facebook.com/x is no page "x", and no impersonator's website either.
        return None
    site = host[4:] if host.startswith("www.") else host
    if platform == "facebook":
        return _facebook(site, u)
    if platform == "tiktok":
        return _tiktok(site, u)
    if platform == "youtube":
        return _youtube(site, u)
    if platform == "telegram":
        return _telegram(site, u)
    if platform == "zalo":
        return _zalo(u)
    if platform == "instagram":
        return _handle("instagram", "https://www.instagram.com", u, _IG_HANDLE, _IG_RESERVED)
    return _handle("x", "https://x.com", u, _X_HANDLE, _X_RESERVED)


def _norm_path(raw: str) -> str:
    """Decoded, dot-segment-free, single-slashed path, re-encoded the same way every time."""
    out: list[str] = []
    for segment in unquote(raw, errors="replace").split("/"):
        if segment == "..":
            if out:
                out.pop()
        elif segment not in ("", "."):
            out.append(segment)
    text = "/".join(out)
    if not text.isprintable():
        text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs"))
    return "/" + quote(text, safe="/-._~!$&'()*+,;=:@", errors="replace")


def _clean_query(query: list[tuple[str, str]]) -> str:
    drop = [k.lower() in _TRACKING or k.lower().startswith(_TRACKING_PREFIXES) for k, _ in query]
    return urlencode(
        sorted(p for p, dropped in zip(query, drop, strict=True) if not dropped), errors="replace"
    )


def _make(platform: str, key: str, url: str) -> Identity:
    if len(key) > MAX_IDENTITY_CHARS:
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:16]
        key = f"{key[: MAX_IDENTITY_CHARS - 17]}#{digest}"
    return Identity(platform, key, url)


def _facebook(host: str, u: _Url) -> Identity:
    base = "https://www.facebook.com"
    seg = u.segments
    first = seg[0].lower() if seg else ""
    ident: str | None = None
    if first in ("profile.php", "story.php", "permalink.php"):
        ident = u.args.get("id", "")
    elif first == "people" and len(seg) >= 3:
        ident = seg[2]
    elif first in ("p", "pages") and len(seg) >= 2:
        found = _FB_SLUG_ID.search(seg[1]) if first == "p" else None
        if found:
            ident = found.group(1)
        elif first == "pages" and len(seg) >= 3 and seg[2].isdigit():
            ident = seg[2]
        elif first == "pages" and seg[1].lower() == "category" and len(seg) >= 4:
            return _fb_page(seg[3], base) or u.other("facebook", base)
    elif first == "pg" and len(seg) >= 2:
        return _fb_page(seg[1], base) or u.other("facebook", base)
    elif first == "groups" and len(seg) >= 2:
        group = seg[1].lower()
        if re.fullmatch(r"[a-z0-9._-]{1,100}", group):
            return _make("facebook", f"facebook:group:{group}", f"{base}/groups/{group}/")
    elif first and first not in _FB_RESERVED:
        found = _FB_SLUG_ID.search(seg[0])
        ident = seg[0] if seg[0].isdigit() else (found.group(1) if found else None)
        # fb.me/x and m.me/x name an account; longer paths there are other kinds of links.
        if ident is None and (len(seg) == 1 or host not in ("fb.me", "m.me")):
            page = _fb_page(seg[0], base)
            if page:
                return page
    if ident and ident.isdigit() and len(ident) <= 30:
        return _make("facebook", f"facebook:id:{ident}", f"{base}/profile.php?id={ident}")
    return u.other("facebook", base)


def _fb_page(name: str, base: str) -> Identity | None:
    # Facebook usernames ignore case and dots: "BHXH.BinhDuong" is "bhxhbinhduong".
    if not _FB_USERNAME.match(name) or not name.strip("."):
        return None
    shown = name.lower()
    return _make("facebook", f"facebook:page:{shown.replace('.', '')}", f"{base}/{shown}")


def _tiktok(host: str, u: _Url) -> Identity:
    base = "https://www.tiktok.com"
    seg = u.segments
    if host.split(".")[0] in ("vm", "vt") and seg:
        return _make("tiktok", f"tiktok:link:{seg[0]}", f"https://{host}/{quote(seg[0])}/")
    if seg and seg[0].startswith("@") and re.fullmatch(r"[\w.]{1,64}", seg[0][1:]):
        handle = seg[0][1:].lower()
        return _make("tiktok", f"tiktok:@{handle}", f"{base}/@{quote(handle)}")
    if len(seg) >= 2 and seg[0] == "t":
        return _make("tiktok", f"tiktok:link:{seg[1]}", f"{base}/t/{quote(seg[1])}/")
    return u.other("tiktok", base)


def _youtube(host: str, u: _Url) -> Identity:
    base = "https://www.youtube.com"
    seg = u.segments
    video: str | None = None
    if host == "youtu.be" and seg:
        video = seg[0]
    elif seg and seg[0] == "watch":
        video = u.args.get("v")
    elif len(seg) >= 2 and seg[0] in ("shorts", "live", "embed", "v"):
        video = seg[1]
    if video and re.fullmatch(r"[\w-]{6,20}", video):
        return _make("youtube", f"youtube:video:{video}", f"{base}/watch?v={video}")
    if seg and seg[0].startswith("@") and len(seg[0]) > 1:
        handle = seg[0][1:].lower()
        return _make("youtube", f"youtube:@{handle}", f"{base}/@{quote(handle)}")
    if len(seg) >= 2 and seg[0] == "channel" and re.fullmatch(r"UC[\w-]{10,40}", seg[1]):
        return _make("youtube", f"youtube:channel:{seg[1]}", f"{base}/channel/{seg[1]}")
    if len(seg) >= 2 and seg[0] in ("c", "user"):
        name = seg[1].lower()
        return _make("youtube", f"youtube:{seg[0]}:{name}", f"{base}/{seg[0]}/{quote(name)}")
    return u.other("youtube", base)


def _telegram(host: str, u: _Url) -> Identity:
    base = "https://t.me"
    seg = u.segments
    if host.endswith(".t.me"):
        # https://<username>.t.me/<post> names the account in the host.
        seg = [host.split(".", 1)[0]]
    if seg and seg[0] == "s" and len(seg) >= 2:
        seg = seg[1:]
    first = seg[0] if seg else ""
    if first == "joinchat" and len(seg) >= 2:
        return _make("telegram", f"telegram:invite:{seg[1]}", f"{base}/+{quote(seg[1])}")
    if first.startswith("+") and len(first) > 1:
        rest = first[1:]
        kind = "phone" if rest.isdigit() else "invite"
        return _make("telegram", f"telegram:{kind}:{rest}", f"{base}/+{quote(rest)}")
    if first == "c" and len(seg) >= 2 and seg[1].isdigit():
        return _make("telegram", f"telegram:c:{seg[1]}", f"{base}/c/{seg[1]}")
    if _TG_USERNAME.match(first) and first.lower() not in _TG_RESERVED:
        return _make("telegram", f"telegram:{first.lower()}", f"{base}/{first.lower()}")
    return u.other("telegram", base)


def _zalo(u: _Url) -> Identity:
    base = "https://zalo.me"
    seg = u.segments
    if len(seg) >= 2 and seg[0] == "g":
        return _make("zalo", f"zalo:g:{seg[1]}", f"{base}/g/{quote(seg[1])}")
    if len(seg) >= 2 and seg[0] == "s" and seg[1].isdigit():
        seg = seg[1:]
    number = seg[0].lstrip("+") if seg else ""
    if number.isdigit() and 8 <= len(number) <= 25:
        # A phone number is written 0912345678 or 84912345678; both are one account.
        if number.startswith("84") and len(number) == 11:
            number = "0" + number[2:]
        return _make("zalo", f"zalo:{number}", f"{base}/{number}")
    return u.other("zalo", base)


def _handle(
    platform: str, base: str, u: _Url, pattern: re.Pattern[str], reserved: frozenset[str]
) -> Identity:
    seg = u.segments
    if platform == "instagram" and len(seg) >= 2 and seg[0] == "stories":
        seg = seg[1:]
    first = seg[0] if seg else ""
    if pattern.match(first) and first.lower() not in reserved:
        return _make(platform, f"{platform}:{first.lower()}", f"{base}/{first.lower()}")
    return u.other(platform, base)


def _web(u: _Url) -> Identity:
    # One website is one finding, keyed like look-alike domains: its registrable domain. The
    # page that was found stays in the URL (and in each sighting) as evidence of where.
    cleaned = _clean_query(u.query)
    url = f"{u.scheme}://{u.host}{u.path}" + (f"?{cleaned}" if cleaned else "")
    return _make("web", web_key(u.host, u.path), url)


_SITE_WORDS = (
    r"Facebook|TikTok|YouTube|Telegram|Instagram|Zalo|Twitter|X|Trang chủ|Home|Giới thiệu|About|"
    r"Bài viết|Posts|Videos?|Photos|Ảnh|Reels|Nhóm|Groups?"
)
# "Name - Home" but not "E-Home": a hyphen or slash counts only with spaces around it.
_SITE_SUFFIX = re.compile(rf"(?:\s+[-/]\s+|\s*[|–—·•]\s*)(?:{_SITE_WORDS})\s*$", re.IGNORECASE)
_INSTAGRAM_TAIL = re.compile(r"\s*[•·]\s*Instagram\b.*$", re.IGNORECASE)
_TELEGRAM_HEAD = re.compile(r"^Telegram:\s*(?:Contact|View|Join Group Chat)\s+", re.IGNORECASE)
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def clean_text(text: str, limit: int = MAX_NAME_CHARS) -> str:
    """Unescaped, NFC, one-line text without control, bidi-override or unpaired surrogate characters."""
    text = html.unescape(text)
    if not text.isprintable():  # else nothing to drop: no control, bidi or surrogate, one kind of space
        text = "".join(
            " " if ch.isspace() else ch
            for ch in text
            if ch.isspace() or (unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _BIDI)
        )
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def keep_text(text: str, limit: int = MAX_KEPT_NAME_CHARS) -> str:
    """A name as shown: unescaped, NFC, on one line; control and bidi characters are kept.

    Only NUL and unpaired surrogates, which no database can store, are dropped. Evasion tricks
    (a right-to-left override, invisible characters) stay for the matcher to see and report.
    """
    text = html.unescape(text)
    if not text.isprintable():
        text = "".join(
            " " if ch.isspace() else ch for ch in text if ch != "\x00" and not "\ud800" <= ch <= "\udfff"
        )
    text = unicodedata.normalize("NFC", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def clean_display_name(title: str) -> str:
    """A result title without the site's decoration (" | Facebook", " - Trang chủ", " - YouTube"...)."""
    text = keep_text(title, limit=MAX_URL_CHARS)
    text = _TELEGRAM_HEAD.sub("", _INSTAGRAM_TAIL.sub("", text))
    while True:
        stripped = _SITE_SUFFIX.sub("", text)
        # A title that is only the site's name ("Facebook") stays as it is.
        if stripped == text or not stripped.strip():
            break
        text = stripped
    return keep_text(text)


def merge(sightings: Iterable[Sighting], brand: str) -> list[Candidate]:
    """One candidate per canonical identity, in order of first sighting; unusable URLs are skipped."""
    groups: dict[str, tuple[Identity, list[Sighting]]] = {}
    skipped = 0
    for sighting in sightings:
        ident = canonical(sighting.url)
        if ident is None:
            skipped += 1
            continue
        groups.setdefault(ident.identity, (ident, []))[1].append(sighting)
    if skipped:
        log.info("candidates_skipped_urls", brand=brand, count=skipped)
    return [candidate_of(brand, ident, seen) for ident, seen in groups.values()]


def candidate_of(brand: str, ident: Identity, seen: list[Sighting]) -> Candidate:
    """The candidate for one identity from its sightings (at least one)."""
    by_rank = sorted(seen, key=lambda s: s.rank)
    names = [clean_display_name(s.title) for s in by_rank]
    counts = Counter(n for n in names if n)
    # The name most results agree on; among equals, the best-ranked one (sorted is stable).
    name = max(counts, key=lambda n: counts[n]) if counts else ident.url
    snippets = list(dict.fromkeys(t for t in (clean_text(s.snippet, 1000) for s in by_rank) if t))
    return Candidate(
        brand=brand,
        platform=ident.platform,
        identity=ident.identity,
        url=ident.url,
        name=name,
        snippets=snippets[:MAX_SNIPPETS],
        sightings=list(seen),
        sources=sorted({s.source for s in seen}),
    )
