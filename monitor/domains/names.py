"""Host-name helpers of the domains source: validation, IDNA, public-suffix split and finding keys."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import idna
from publicsuffixlist import PublicSuffixList

# A host name in ASCII (punycode) form: labels of letters, digits and inner hyphens.
_HOST = re.compile(r"^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z0-9-]{2,63}$")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

# Free hosting whose sites are sub-domains but which the public-suffix list (private section)
# does not carry: a look-alike there is the full host, not the hoster's domain.
EXTRA_FREE_HOSTING = (
    "000webhostapp.com",
    "blogspot.com.vn",
    "business.site",
    "glitch.me",
    "godaddysites.com",
    "jimdosite.com",
    "mystrikingly.com",
    "site123.me",
    "tiiny.site",
    "weebly.com",
    "weeblysite.com",
    "wordpress.com",
)

# Suffixes only public bodies can register: nobody outside can own a look-alike under them.
RESTRICTED_SUFFIXES = frozenset({"gov.vn"})


@lru_cache(maxsize=1)
def _icann() -> PublicSuffixList:
    return PublicSuffixList(only_icann=True)


@lru_cache(maxsize=1)
def _full() -> PublicSuffixList:
    return PublicSuffixList()


def fold(text: str) -> str:
    """Lower-case ASCII letters and digits of a Vietnamese text: "Bảo hiểm xã hội" -> "baohiemxahoi"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", stripped.lower())


def is_hostname(name: str) -> bool:
    """True for a syntactically valid ASCII host name with at least two labels."""
    return bool(_HOST.match(name))


def to_ascii(name: str) -> str | None:
    """The ASCII (punycode) form of a host name, or None when it cannot be one."""
    name = name.strip().rstrip(".").lower()
    if not name or len(name) > 253:
        return None
    if name.isascii():
        return name if is_hostname(name) else None
    try:
        encoded = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    return encoded if is_hostname(encoded) else None


def to_unicode(name: str) -> str:
    """The display form of an ASCII host name (punycode labels decoded when they are valid)."""
    if "xn--" not in name:
        return name
    try:
        return str(idna.decode(name))
    except (idna.IDNAError, UnicodeError, ValueError):
        return name


def public_suffix(host: str) -> str:
    """The ICANN public suffix of a host ("com.vn" for "a.b.com.vn")."""
    return str(_icann().publicsuffix(host) or host.rsplit(".", 1)[-1])


def registrable(host: str) -> str | None:
    """The ICANN registrable domain of a host, None when the host is itself a public suffix."""
    found = _icann().privatesuffix(host)
    return str(found) if found else None


def finding_key(host: str) -> str:
    """What a look-alike finding is keyed by: the registrable domain, or the site host on free hosting."""
    for suffix in EXTRA_FREE_HOSTING:
        if host.endswith("." + suffix):
            label = host[: -len(suffix) - 1].rsplit(".", 1)[-1]
            return f"{label}.{suffix}"
    found = _full().privatesuffix(host)
    return str(found) if found else host


def parent_zone(host: str) -> str:
    """The zone a host hangs from (its name without the first label)."""
    return host.split(".", 1)[1] if "." in host else host


def is_restricted(host: str) -> bool:
    """True when the host lies under a suffix only public bodies can register (e.g. gov.vn)."""
    return any(host == s or host.endswith("." + s) for s in RESTRICTED_SUFFIXES)


def is_under(host: str, domains: frozenset[str] | set[str]) -> bool:
    """True when host equals one of the domains or is a sub-domain of one."""
    labels = host.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))
