"""Hosts of result URLs: the authority as browsers read it, IDNA 2008 names, page hosts, website keys."""

from __future__ import annotations

import re
from ipaddress import ip_address
from urllib.parse import quote, unquote

import idna

# Browsers' host syntax in ASCII: letters, digits, "_" and inner "-" (underscores occur in real hosts).
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$")
_LOCALE = re.compile(r"^[a-z]{2}-[a-z]{2}$")

# The hosts that show accounts and pages of each platform. Other hosts of the same company
# (developers.facebook.com, studio.youtube.com, webcast.tiktok.com...) are neither an account
# nor somebody's website: a result there has no identity. Redirect hosts (l.facebook.com) are
# kept for links whose target could not be read.
PAGE_HOSTS: dict[str, frozenset[str]] = {
    "facebook": frozenset(
        {"facebook.com", "fb.com", "www.fb.com", "m.fb.com", "fb.me", "m.me", "www.m.me"}
        | {
            f"{p}.facebook.com"
            for p in ("www", "m", "mobile", "mbasic", "touch", "web", "free", "d", "l", "lm")
        }
    ),
    "tiktok": frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"}),
    "youtube": frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be", "www.youtu.be"}),
    "telegram": frozenset(
        {"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telegram.dog", "www.telegram.dog"}
    ),
    "zalo": frozenset({"zalo.me", "www.zalo.me"}),
    "instagram": frozenset({"instagram.com", "www.instagram.com", "m.instagram.com"}),
    "x": frozenset(
        {"twitter.com", "www.twitter.com", "mobile.twitter.com", "m.twitter.com"}
        | {"x.com", "www.x.com", "mobile.x.com"}
    ),
}

PLATFORM_DOMAINS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("facebook", ("facebook.com", "fb.com", "fb.me", "m.me")),
    ("tiktok", ("tiktok.com",)),
    ("youtube", ("youtube.com", "youtu.be")),
    ("telegram", ("t.me", "telegram.me", "telegram.dog")),
    ("zalo", ("zalo.me",)),
    ("instagram", ("instagram.com",)),
    ("x", ("twitter.com", "x.com")),
)

# Hosting where one host carries many people's sites, told apart by the first path segments:
# a fake Google Site is its own finding, not one more page of google.com.
_PATH_SITES: dict[str, int] = {
    "sites.google.com": 2,
    "forms.gle": 1,
    "linktr.ee": 1,
    "bit.ly": 1,
    "tinyurl.com": 1,
    "cutt.ly": 1,
    "rb.gy": 1,
    "t.ly": 1,
    "s.id": 1,
    "is.gd": 1,
    "shorturl.at": 1,
}
# Documents and files: /<kind>/d/<id> and /forms/d/e/<id>.
_DOC_HOSTS = frozenset({"docs.google.com", "drive.google.com"})


def under(host: str, *domains: str) -> bool:
    """True when host is one of the domains or a sub-domain of one."""
    return any(host == d or host.endswith("." + d) for d in domains)


def platform_of(host: str) -> str | None:
    """The platform whose domains the host lies under (port included means another site: None)."""
    for platform, domains in PLATFORM_DOMAINS:
        if under(host, *domains):
            return platform
    return None


def is_page_host(platform: str, host: str) -> bool:
    """True for the hosts of a platform that show its accounts and pages."""
    if host in PAGE_HOSTS.get(platform, frozenset()):
        return True
    if platform == "facebook":
        # vi-vn.facebook.com, en-gb.facebook.com: the same pages in another language.
        return host.endswith(".facebook.com") and bool(_LOCALE.match(host.split(".", 1)[0]))
    if platform == "telegram":
        # https://<username>.t.me is Telegram's own link form for a public username.
        label, _, rest = host.partition(".")
        return rest == "t.me" and label != "www"
    return False


def split_netloc(netloc: str) -> tuple[str, str] | None:
    """(host as written, port text) of an authority; None when it has user info or a backslash.

    Browsers (WHATWG URL) end the authority at "\\" and read "a\\@b" as host "a", while Python
    reads host "b"; user info ("good.com@evil.com") is the classic trick for the same confusion.
    No real result link has either, so both are refused rather than guessed.
    """
    if "@" in netloc or "\\" in netloc:
        return None
    if netloc.startswith("["):
        host, bracket, port = netloc[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            return None
        return f"[{host}]", port[1:]
    host, _, port = netloc.partition(":")
    return host, port


def ascii_host(raw: str) -> str | None:
    """The lower-case ASCII form of a host as browsers compute it (UTS #46, IDNA 2008); None if invalid.

    Non-transitional processing keeps "ß" and "ς": faß.vn and fass.vn are different domains.
    Labels already in ASCII keep browser syntax (underscores allowed); A-labels must decode.
    """
    if raw.startswith("["):
        inner = raw[1:-1] if raw.endswith("]") else ""
        return str(ip_address(inner)) if ":" in inner and is_ip(inner) else None
    text = raw
    if is_ip(text):
        return str(ip_address(text))
    if text.isascii():
        text = text.lower()
    else:
        try:
            text = idna.uts46_remap(text, std3_rules=False, transitional=False)
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    text = text[:-1] if text.endswith(".") else text
    labels: list[str] = []
    for label in text.split("."):
        if label.isascii() and not label.startswith("xn--"):
            labels.append(label)
            continue
        try:
            labels.append(idna.alabel(label).decode("ascii"))
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    host = ".".join(labels)
    return host if _HOSTNAME.match(host) else None


def is_ip(host: str) -> bool:
    """True for an IPv4 or IPv6 address (without brackets)."""
    if ":" not in host and host.strip("0123456789."):
        return False  # no colon, so IPv4 or nothing, and IPv4 is ASCII digits and dots only
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def web_key(host: str, path: str) -> str:
    """The finding key of a website: `web:<registrable domain>`, the same key look-alike domains get.

    `host` is lower-case ASCII, maybe with ":port" or in [brackets]; `path` is the normalised,
    percent-encoded path. A port does not make another owner; an IP address is its own key; on
    shared hosting that tells sites apart by path, the site's first segments stay in the key.
    """
    if host.startswith("["):
        return f"web:{host.partition(']')[0]}]"
    bare = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if is_ip(bare):
        return f"web:{bare}"
    site = bare.removeprefix("www.")
    segments = [unquote(s, errors="replace") for s in path.split("/") if s]
    count = _path_segments(site, segments)
    if count:
        kept = segments[:count]
        if site == "sites.google.com":
            kept = [s.lower() for s in kept]
        return f"web:{site}/" + "/".join(quote(s, safe="-._~!$&'()*+,;=:@") for s in kept)
    # Imported here: the domains package reads pages with monitor.candidates, which imports this.
    from monitor.domains.names import finding_key

    return f"web:{finding_key(bare)}"


def _path_segments(site: str, segments: list[str]) -> int:
    if site in _DOC_HOSTS:
        if "d" not in segments[:3]:
            return 0
        at = segments.index("d")
        count = at + 2 + (1 if segments[at + 1 : at + 2] == ["e"] else 0)
        return count if len(segments) >= count else 0
    wanted = _PATH_SITES.get(site, 0)
    if site == "sites.google.com" and segments[:1] == ["a"]:
        wanted = 3  # sites.google.com/a/<workspace domain>/<site>
    return wanted if wanted and len(segments) >= wanted else 0


def web_key_of_identity(identity: str) -> str | None:
    """The current key of a stored `web:<host><path>` identity (keys made before keying by domain)."""
    if not identity.startswith("web:"):
        return None
    # A capped key ends in "#<hash>"; "#" is never part of an encoded path.
    rest = identity[4:].split("#", 1)[0]
    if rest.startswith("["):
        host, _, path = rest.partition("]")
        return web_key(host + "]", path)
    host, slash, path = rest.partition("/")
    return web_key(host, slash + path) if host else None
