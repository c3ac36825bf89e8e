"""Contact signals in public text: Vietnamese phone numbers, Zalo, bank accounts, e-mails, platform links."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit

import phonenumbers

from monitor.enrich.banks import BankAccount, find_accounts
from monitor.enrich.page import clean_text

# Scanning is linear, but a hostile page should not make the matcher work on megabytes.
MAX_SCAN = 50_000
MAX_ITEMS = 20
# Each candidate costs the phone library a full parse; real pages hold far fewer numbers than this.
MAX_PHONE_TRIES = 400
MAX_PHONE_MATCHES = 200
# The fewest digits a valid Vietnamese number has: a text with fewer holds none, and the phone
# matcher is most of the cost of scanning a short text (a name, a snippet).
_MIN_PHONE_DIGITS = 7  # tests/enrich/test_perf_contacts.py checks it against the library's metadata
_DIGIT = re.compile(r"\d")

_PLATFORM_HOSTS = {
    "t.me": "telegram",
    "telegram.me": "telegram",
    "telegram.dog": "telegram",
    "zalo.me": "zalo",
    "chat.zalo.me": "zalo",
    "zaloapp.com": "zalo",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "fb.me": "facebook",
    "fb.watch": "facebook",
    "m.me": "facebook",
    "messenger.com": "facebook",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "instagram.com": "instagram",
    "x.com": "x",
    "twitter.com": "x",
}
_KNOWN_HOSTS = "|".join(re.escape(host) for host in sorted(_PLATFORM_HOSTS, key=len, reverse=True))
_URL = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"'`]+|(?<![\w@.-])(?:[a-z0-9-]+\.)*(?:{_KNOWN_HOSTS})/[^\s<>\"'`]*",
    re.IGNORECASE,
)
_IDENTITY_PARAMS = frozenset({"id", "v", "story_fbid", "fbid"})
_TRAILING = ".,;:!?)]}»›\"'…"
_EMAIL = re.compile(
    r"(?<![\w.%+-])([a-z0-9][a-z0-9._%+-]{0,63}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24})(?![\w-])",
    re.IGNORECASE,
)
_FILE_SUFFIXES = frozenset({"png", "jpg", "jpeg", "gif", "webp", "svg", "css", "js", "ico", "bmp"})
# "zalo0901…", "SĐT:0901…": a keyword glued to the number hides it from the phone matcher.
_GLUED = re.compile(r"(?i)(zalo|zl|sđt|sdt|đt|dt|tel|hotline|phone|call|lh|liên hệ)(?=[+\d])")
_ZALO_BEFORE = re.compile(r"(?i)(?:zalo|\bzl\b|\bza lo\b)[^\n\d]{0,20}$")
# "0901234567 (Zalo)", but not "0901234567 Zalo 0912345678", where Zalo names the next number.
_ZALO_AFTER = re.compile(r"(?i)^[^\n\d]{0,12}\(?\s*zalo\b(?![^\n\d]{0,6}\d)")
_ZALO_ID = re.compile(r"^(?:g/[\w-]{4,64}|\d{6,20}|[\w.-]{3,64})$")


@dataclass(frozen=True)
class Link:
    """A link to an account elsewhere; `url` is normalised as host + path (no scheme, no www.)."""

    platform: str
    url: str


@dataclass(frozen=True)
class Contacts:
    """Everything contact-like found in a piece of text, normalised and without repeats."""

    phones: tuple[str, ...] = ()
    zalo: tuple[str, ...] = ()
    bank_accounts: tuple[BankAccount, ...] = ()
    emails: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.phones or self.zalo or self.bank_accounts or self.emails or self.links)

    def as_signals(self) -> list[str]:
        """Short codes for the matcher and the store: "phone:0901234567", "zalo:…", "bank:…", "email:…"."""
        return [
            *(f"phone:{phone}" for phone in self.phones),
            *(f"zalo:{zalo}" for zalo in self.zalo),
            *(f"bank:{account.number}" for account in self.bank_accounts),
            *(f"email:{email}" for email in self.emails),
            *(f"link:{link.url}" for link in self.links),
        ]

    def merge(self, other: Contacts) -> Contacts:
        """Both sets of contacts, this one's first, without repeats, each capped."""
        return Contacts(
            phones=_unique(self.phones + other.phones),
            zalo=_unique(self.zalo + other.zalo),
            bank_accounts=_merge_accounts(self.bank_accounts + other.bank_accounts),
            emails=_unique(self.emails + other.emails),
            links=_unique(self.links + other.links),
        )


def extract_all(texts: Iterable[str]) -> Contacts:
    """extract_contacts over several texts (bio, posts, snippet), merged."""
    found = Contacts()
    for text in texts:
        found = found.merge(extract_contacts(text))
    return found


def extract_contacts(text: str) -> Contacts:
    """Phones (0xxxxxxxxx, 1900xxxx), Zalo ids, bank accounts, e-mails and platform links in `text`."""
    prepared = _prepare(text)
    if not prepared:
        return Contacts()
    links, zalo_links, rest = _links(prepared)
    emails, rest = _emails(rest)
    rest = _GLUED.sub(r"\1 ", rest)
    accounts = find_accounts(rest)
    phones, zalo_phones = _phones(rest)
    # zalo.me/0901234567 names a phone number too; other ids (groups, official accounts) stay as they are.
    zalo_numbers = [normalize_phone(zalo_id) if zalo_id.isdigit() else None for zalo_id in zalo_links]
    zalo = [number or zalo_id for zalo_id, number in zip(zalo_links, zalo_numbers, strict=True)]
    return Contacts(
        phones=_unique(phones + [number for number in zalo_numbers if number]),
        zalo=_unique(zalo + zalo_phones),
        bank_accounts=_merge_accounts(tuple(accounts)),
        emails=_unique(emails),
        links=_unique(links),
    )


def normalize_phone(raw: str) -> str | None:
    """A Vietnamese number as dialled at home (0901234567, 02743822123, 19001234); None if not valid."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(number) != "VN" or not phonenumbers.is_valid_number(number):
        return None
    return re.sub(r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL))


def _prepare(text: str) -> str:
    cleaned = clean_text(text, MAX_SCAN, multiline=True)
    # Full-width digits and letters ("０９０１") are a common way to dodge filters.
    return unicodedata.normalize("NFKC", cleaned)


def _blank(match: re.Match[str]) -> str:
    """Spaces in place of a match, so later scanners neither see it nor shift offsets."""
    return " " * (match.end() - match.start())


def _links(text: str) -> tuple[list[Link], list[str], str]:
    links: list[Link] = []
    zalo: list[str] = []

    def take(match: re.Match[str]) -> str:
        link = _link(match.group(0).rstrip(_TRAILING))
        if link is not None:
            links.append(link)
            zalo_id = link.url.split("/", 1)[1] if "/" in link.url else ""
            if link.platform == "zalo" and _ZALO_ID.match(zalo_id):
                zalo.append(zalo_id)
        return _blank(match)

    return links, zalo, _URL.sub(take, text)


def _link(raw: str) -> Link | None:
    try:
        parts = urlsplit(raw if "://" in raw else "https://" + raw)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    for prefix in ("www.", "m.", "mobile.", "web."):
        if host.startswith(prefix) and host.count(".") > 1:
            host = host[len(prefix) :]
    platform = next(
        (name for known, name in _PLATFORM_HOSTS.items() if host == known or host.endswith("." + known)),
        "web",
    )
    path = parts.path.rstrip("/")
    # Facebook numeric profiles and YouTube videos live in the query; other queries are tracking noise.
    kept = [(key, value) for key, value in parse_qsl(parts.query) if key in _IDENTITY_PARAMS]
    query = f"?{urlencode(kept)}" if kept and platform != "web" else ""
    return Link(platform, clean_text(f"{host}{path}{query}", 300))


def _emails(text: str) -> tuple[list[str], str]:
    found: list[str] = []

    def take(match: re.Match[str]) -> str:
        email = match.group(1).lower()
        if email.rsplit(".", 1)[-1] not in _FILE_SUFFIXES:
            found.append(email)
        return _blank(match)

    return found, _EMAIL.sub(take, text)


def _phones(text: str) -> tuple[list[str], list[str]]:
    phones: list[str] = []
    zalo: list[str] = []
    if len(_DIGIT.findall(text)) < _MIN_PHONE_DIGITS:
        return phones, zalo
    matcher = phonenumbers.PhoneNumberMatcher(
        text, "VN", leniency=phonenumbers.Leniency.VALID, max_tries=MAX_PHONE_TRIES
    )
    for seen, match in enumerate(matcher):
        if seen >= MAX_PHONE_MATCHES:
            break
        before = text[match.start - 1] if match.start > 0 else " "
        after = text[match.end] if match.end < len(text) else " "
        # Part of a longer code, an id or an amount ("…/0901234567", "0901234567đ"): not a phone.
        if before.isalnum() or before in "/=_#-" or after.isalnum() or after in "_/%":
            continue
        number = match.number
        if phonenumbers.region_code_for_number(number) != "VN":
            continue
        national = re.sub(
            r"\D", "", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        )
        phones.append(national)
        if _ZALO_BEFORE.search(text[max(0, match.start - 40) : match.start]) or _ZALO_AFTER.match(
            text[match.end : match.end + 20]
        ):
            zalo.append(national)
    return phones, zalo


T = TypeVar("T")


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))[:MAX_ITEMS]


def _merge_accounts(accounts: tuple[BankAccount, ...]) -> tuple[BankAccount, ...]:
    """One entry per number; a named bank wins over an unnamed sighting of the same number."""
    best: dict[str, BankAccount] = {}
    for account in accounts:
        if account.number not in best or (best[account.number].bank is None and account.bank):
            best[account.number] = account
    return tuple(best.values())[:MAX_ITEMS]
