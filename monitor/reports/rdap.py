"""Abuse contacts through RDAP: IANA bootstrap → the registry's RDAP → the registrar's → its abuse e-mail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from monitor.domains.names import registrable, to_ascii
from monitor.errors import FetchError, ParseError
from monitor.reports.http_json import client, request_json

MAX_ENTITY_DEPTH = 4


@dataclass(frozen=True)
class AbuseContact:
    domain: str
    email: str
    # Who answers for the domain (the registrar's name when RDAP gives it) and where it was read.
    holder: str | None
    source: str


class RdapClient:
    def __init__(
        self, bootstrap_url: str, timeout: float, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.bootstrap_url = bootstrap_url
        self.timeout = timeout
        self.transport = transport

    async def abuse_contact(self, url_or_host: str) -> AbuseContact | None:
        """The abuse e-mail of the domain of `url_or_host`; None when RDAP names none."""
        domain = domain_of(url_or_host)
        if domain is None:
            raise ParseError(f"no registrable domain in {url_or_host[:200]!r}")
        async with client(self.timeout, self.transport) as http:
            _, bootstrap = await request_json(http, "GET", self.bootstrap_url)
            base = rdap_base(bootstrap, domain)
            if base is None:
                raise FetchError(self.bootstrap_url, f"no RDAP server for .{domain.rsplit('.', 1)[-1]}")
            registry_url = urljoin(base if base.endswith("/") else base + "/", f"domain/{quote(domain)}")
            _, registry = await request_json(http, "GET", registry_url)
            answers = [(registry_url, registry)]
            related = related_link(registry)
            if related is not None and related != registry_url:
                try:
                    _, registrar = await request_json(http, "GET", related)
                except (FetchError, ParseError):
                    registrar = None  # the registry's answer may still name the abuse desk
                if registrar is not None:
                    answers.insert(0, (related, registrar))
        for source, answer in answers:
            email = abuse_email(answer)
            if email is not None:
                return AbuseContact(domain=domain, email=email, holder=registrar_name(answer), source=source)
        return None


def domain_of(url_or_host: str) -> str | None:
    host = urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host.split("/")[0]
    if not host:
        return None
    ascii_host = to_ascii(host.rstrip(".").lower())
    return registrable(ascii_host) if ascii_host else None


def rdap_base(bootstrap: Any, domain: str) -> str | None:
    """The first https (else http) base URL of the longest TLD label suffix that matches `domain`."""
    services = bootstrap.get("services") if isinstance(bootstrap, dict) else None
    best: tuple[int, str] | None = None
    for service in services if isinstance(services, list) else []:
        if not (isinstance(service, list) and len(service) >= 2):
            continue
        suffixes, urls = service[0], service[1]
        if not isinstance(suffixes, list) or not isinstance(urls, list):
            continue
        for suffix in suffixes:
            if not isinstance(suffix, str):
                continue
            suffix = suffix.lower().strip(".")
            if domain == suffix or domain.endswith("." + suffix):
                chosen = sorted(
                    (u for u in urls if isinstance(u, str)), key=lambda u: not u.startswith("https")
                )
                if chosen and (best is None or len(suffix) > best[0]):
                    best = (len(suffix), chosen[0])
    return best[1] if best else None


def related_link(answer: Any) -> str | None:
    """The registrar's own RDAP answer about the domain (links rel=related, RDAP media type)."""
    links = answer.get("links") if isinstance(answer, dict) else None
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, dict) or link.get("rel") != "related":
            continue
        href = link.get("href")
        kind = str(link.get("type") or "application/rdap+json")
        if isinstance(href, str) and href.startswith(("http://", "https://")) and "rdap" in kind:
            return href
    return None


def abuse_email(answer: Any) -> str | None:
    for entity in _entities(answer, 0):
        roles = entity.get("roles")
        if isinstance(roles, list) and "abuse" in roles:
            email = _vcard_email(entity.get("vcardArray"))
            if email is not None:
                return email
    return None


def registrar_name(answer: Any) -> str | None:
    for entity in _entities(answer, 0):
        roles = entity.get("roles")
        if isinstance(roles, list) and "registrar" in roles:
            name = _vcard_field(entity.get("vcardArray"), "fn")
            if name:
                return name[:200]
    return None


def _entities(node: Any, depth: int) -> Iterator[dict[str, Any]]:
    if depth > MAX_ENTITY_DEPTH or not isinstance(node, dict):
        return
    entities = node.get("entities")
    for entity in entities if isinstance(entities, list) else []:
        if isinstance(entity, dict):
            yield entity
            yield from _entities(entity, depth + 1)


def _vcard_email(vcard: Any) -> str | None:
    value = _vcard_field(vcard, "email")
    if value and "@" in value and len(value) <= 254 and not any(c.isspace() or c in "<>,;" for c in value):
        return value.removeprefix("mailto:")
    return None


def _vcard_field(vcard: Any, name: str) -> str | None:
    if not (isinstance(vcard, list) and len(vcard) == 2 and isinstance(vcard[1], list)):
        return None
    for prop in vcard[1]:
        if isinstance(prop, list) and len(prop) >= 4 and prop[0] == name and isinstance(prop[3], str):
            return prop[3].strip()
    return None
