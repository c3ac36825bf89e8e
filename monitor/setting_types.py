"""Checked setting values: time zones, http(s) URLs, database URLs, e-mail addresses and domains.

Values that only a config file should be held to (the brands' domains, the proxy) are checked
when the file is loaded (validation context `FILE_CONTEXT`); models built in code stay lenient,
so the pipeline can still be tested against hostile profiles.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated
from urllib.parse import SplitResult, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, ValidationInfo

from monitor.locations import is_plain_sqlite_url

if TYPE_CHECKING:
    from publicsuffixlist import PublicSuffixList

# Every setting file is checked when a command starts (the container healthcheck too): the URL,
# e-mail and public-suffix libraries are imported, and the suffix list read, only when a value needs them.

FILE_CONTEXT = {"config_file": True}
HTTP_SCHEMES = ("http", "https")
_MAX_HOST_CHARS = 253
# A host[:port] of letters, digits, dots and hyphens that is not an IPv4-style address: httpx
# accepts such a URL whatever its path, query and fragment, so it need not be asked.
_PLAIN_NETLOC = re.compile(r"(?![0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(?::|\Z))[A-Za-z0-9.-]+(?::[0-9]{1,5})?")
_MAX_PLAIN_URL_CHARS = 65536


def from_file(info: ValidationInfo) -> bool:
    """True while a config file is being validated (see `FILE_CONTEXT`)."""
    return bool(isinstance(info.context, dict) and info.context.get("config_file"))


def check_time_zone(value: str) -> str:
    """An IANA time zone name the zoneinfo database knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like 'Asia/Ho_Chi_Minh')") from exc
    return value


def check_http_url(value: str) -> str:
    """An absolute http(s) URL with a host and a port from 1 to 65535 (the URL is never echoed)."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("a URL cannot contain spaces or control characters")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ValueError("not a valid URL") from exc
    scheme = parts.scheme.lower()
    if scheme not in HTTP_SCHEMES:
        raise ValueError(f"scheme {scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    _check_port(parts)
    if _PLAIN_NETLOC.fullmatch(parts.netloc) and value.isascii() and len(value) <= _MAX_PLAIN_URL_CHARS:
        return value
    import httpx

    try:
        httpx.URL(value)
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:
        raise ValueError("not a valid URL") from exc
    return value


def check_endpoint(value: str) -> str:
    """A source endpoint: an http(s) URL, or empty for "not configured"."""
    return check_http_url(value) if value else value


def check_proxy(value: str, info: ValidationInfo) -> str:
    """The HTTP client speaks to http:// and https:// proxies only; "" means "direct, ignore HTTPS_PROXY"."""
    return check_http_url(value) if from_file(info) and value else value


def check_database_url(value: str) -> str:
    """A URL SQLAlchemy can parse, with a port from 1 to 65535 when one is given."""
    if is_plain_sqlite_url(value):
        return value  # read as SQLAlchemy reads it, without loading it (the healthcheck)
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except (ArgumentError, ValueError) as exc:
        raise ValueError("not a database URL like 'sqlite:///data/monitor.db'") from exc
    if url.port is not None and not 1 <= url.port <= 65535:
        raise ValueError("port must be a number from 1 to 65535")
    return value


def check_email(value: str) -> str:
    """A plain e-mail address (no display name) with a domain that can receive mail."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not an e-mail address: {exc}") from exc
    return value


def check_domain(value: str, info: ValidationInfo) -> str:
    """A registrable host name in a config file: no wildcard, no bare public suffix."""
    if not from_file(info):
        return value
    if "*" in value:
        raise ValueError(f"{value!r}: wildcards are not allowed (a domain already covers its sub-domains)")
    name = _ascii_host(value)
    if name is None:
        raise ValueError(f"{value!r} is not a domain name like 'baohiemxahoi.gov.vn'")
    if _public_suffixes(name.rsplit(".", 1)[-1]).is_public(name):
        raise ValueError(f"{value!r} is a public suffix, not the domain of one office")
    return value


def _check_port(parts: SplitResult) -> None:
    try:
        port = parts.port
    except ValueError:  # not a number, or above 65535
        port = -1
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("port must be a number from 1 to 65535")


def _ascii_host(value: str) -> str | None:
    name = value.lower()
    if not name.isascii():
        import idna

        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    labels = name.split(".")
    if len(name) > _MAX_HOST_CHARS or len(labels) < 2 or not labels[-1][:1].isalpha():
        return None
    for label in labels:
        if not 1 <= len(label) <= 63 or label[0] == "-" or label[-1] == "-":
            return None
        if not all(c.isalnum() or c == "-" for c in label):
            return None
    return name


@lru_cache(maxsize=64)
def _public_suffixes(tld: str) -> PublicSuffixList:
    """The public-suffix rules under one top-level domain (ASCII), read from the bundled list.

    A rule can only match names ending in its own last label, so these rules answer exactly as the
    whole list would for names under `tld`, at a small part of the cost of parsing every rule.
    Private suffixes too: "github.io" is no more one office's domain than "gov.vn" is.
    """
    from publicsuffixlist import PSLFILE, PublicSuffixList

    labels = {tld, _unicode_label(tld)}
    with open(PSLFILE, encoding="utf-8") as source:
        rules = [line for line in source if _rule_tld(line) in labels]
    return PublicSuffixList(rules)


def _rule_tld(line: str) -> str | None:
    rule = line.lower().split(" ")[0].strip()
    if not rule or rule.startswith("//"):
        return None
    return rule.rsplit(".", 1)[-1]


def _unicode_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    import idna

    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        return label


TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]
HttpUrl = Annotated[str, AfterValidator(check_http_url)]
EndpointUrl = Annotated[str, AfterValidator(check_endpoint)]
ProxyUrl = Annotated[str, AfterValidator(check_proxy)]
DatabaseUrl = Annotated[str, AfterValidator(check_database_url)]
EmailAddress = Annotated[str, AfterValidator(check_email)]
DomainName = Annotated[str, AfterValidator(check_domain)]
