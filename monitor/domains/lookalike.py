"""The look-alike domains source: permutations resolved in the DNS, crt.sh certificates, homepages.

Look-ups run in two rounds. First every finding key (registrable domain, or site host on free
hosting) within `max_names`; then the sub-domain candidates of the keys that exist, and the
hosts certificates name. A host is reported when it exists and its zone is not a wildcard zone,
or when an unexpired certificate names it. Keys the DNS could not answer are listed in
`unknown`: their previous state stands, they are never "not registered".

Brands of one scan run as jobs often list the same official domain, so their permutations
overlap: given a SharedWork, a name's DNS answer and a zone's wildcard verdict are looked up by
the first brand that needs them and read by the others. Unanswered look-ups are never shared.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from monitor.domains.crtsh import CertRecord, patterns, query_crtsh
from monitor.domains.dns import (
    DnsAnswer,
    Wildcard,
    answer_from_json,
    answer_to_json,
    detect_wildcards,
    make_resolver,
    resolve_with,
    wildcard_from_json,
    wildcard_to_json,
)
from monitor.domains.homepage import Homepage, fetch_homepage
from monitor.domains.names import (
    finding_key,
    fold,
    is_restricted,
    is_under,
    parent_zone,
    public_suffix,
    registrable,
    to_ascii,
    to_unicode,
)
from monitor.domains.permutations import SERVICE_WORDS, Permutation, generate
from monitor.errors import FetchError, ParseError, SourceError
from monitor.log import get_logger
from monitor.net.stop import Stopped
from monitor.settings import BrandSettings, CrtshSettings, DomainsSettings

if TYPE_CHECKING:
    from monitor.net.client import HttpClient
    from monitor.shared import SharedWork

log = get_logger(__name__)

PartStatus = Literal["ok", "partial", "failed", "skipped"]
SOURCE_KEY = "domains"
# Hosts taken from certificates per run; crt.sh patterns can match thousands of names.
MAX_CERT_HOSTS = 500
MAX_UNREACHABLE = 2
# Keys of the work brands share: a name's DNS answer, a zone's wildcard verdict.
DNS_KEY, WILDCARD_KEY = "dns:", "wildcard:"


@dataclass(frozen=True)
class Part:
    """How one sub-part (dns, crtsh) went."""

    status: PartStatus
    reason: str = ""


@dataclass
class Lookalike:
    """A registered or certified look-alike: one finding of platform `web`, keyed by `key`."""

    key: str
    host: str
    fuzzers: list[str] = field(default_factory=list)
    dns: dict[str, DnsAnswer] = field(default_factory=dict)
    certificates: list[CertRecord] = field(default_factory=list)
    homepage: Homepage | None = None
    platform: str = "web"

    @property
    def identity(self) -> str:
        return f"web:{self.key}"

    @property
    def url(self) -> str:
        return f"http://{self.host}/"

    @property
    def display(self) -> str:
        return to_unicode(self.host)

    @property
    def has_address(self) -> bool:
        return any(answer.addresses for answer in self.dns.values())

    @property
    def name(self) -> str:
        """What an officer reads: the page title, else og:title, else the domain."""
        if self.homepage is not None:
            return self.homepage.title or self.homepage.og.get("og:title", "") or self.display
        return self.display

    def match_texts(self) -> list[str]:
        """Texts for the matcher: the name of the domain itself (labels as words), title and og tags."""
        head = self.host[: -len(public_suffix(self.host)) - 1] or self.host
        words = " ".join(w for label in to_unicode(head).split(".") for w in label.split("-") if w)
        texts = [words, self.display]
        if self.homepage is not None:
            texts += [self.homepage.title, *self.homepage.og.values()]
        return [text for text in dict.fromkeys(texts) if text]

    def evidence(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "display": self.display,
            "fuzzers": list(self.fuzzers),
            "dns": {
                host: {
                    "status": a.status,
                    "reason": a.reason,
                    "records": {k: list(v) for k, v in a.records.items()},
                }
                for host, a in self.dns.items()
            },
            "certificates": [cert.evidence() for cert in self.certificates],
            "homepage": self.homepage.evidence() if self.homepage is not None else None,
        }


@dataclass
class LookalikeResult:
    """What the source did in one run."""

    status: PartStatus
    reason: str = ""
    parts: dict[str, Part] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    lookalikes: list[Lookalike] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


async def run_lookalikes(
    brand: BrandSettings,
    domains_settings: DomainsSettings,
    crtsh_settings: CrtshSettings,
    client: HttpClient,
    *,
    homepage_url: str = "http://{host}/",
    crtsh_backoff: float = 10.0,
    progress: Callable[[int, int], None] | None = None,
    shared: SharedWork | None = None,
) -> LookalikeResult:
    """Find the brand's registered and certified look-alike domains; never raises for a source failure.

    `progress(done, total)` follows the DNS look-ups (answers read from `shared` included); the
    total grows when the second round starts. With `shared`, counts["dns_lookups"] are the
    look-ups this run made and counts["dns_shared"] the answers other brands' runs made for it.
    """
    bound = log.bind(brand=brand.slug, source=SOURCE_KEY)
    counts: Counter[str] = Counter()
    dns_on = domains_settings.enabled is not False
    crt_on = (
        crtsh_settings.enabled is not False and bool(crtsh_settings.url) and crtsh_settings.max_queries > 0
    )
    candidates = generate(brand, domains_settings.tlds) if dns_on else []
    counts["candidates"] = len(candidates)
    crt_task = asyncio.create_task(
        _certificates(brand, crtsh_settings, client, counts, crtsh_backoff) if crt_on else _no_certificates()
    )
    dns: _DnsRun | None = None
    dns_part = Part("skipped", "disabled")
    if dns_on:
        try:
            dns = _DnsRun(domains_settings, counts, progress, client.stop, shared)
        except SourceError as exc:
            bound.warning("domains_dns_failed", error=str(exc))
            dns_part = Part("failed", str(exc))
        else:
            await dns.first_round(candidates)
    crt_part, certified = await crt_task
    if dns is not None:
        await dns.second_round(candidates, certified)
        dns_part = dns.part()
    lookalikes, unknown = _assemble(candidates, certified, dns)
    await _homepages(lookalikes, client, domains_settings.max_queries, homepage_url, counts)
    parts = {"dns": dns_part, "crtsh": crt_part if crt_on else Part("skipped", "disabled")}
    status, reason = _overall(parts)
    bound.info("domains_done", status=status, lookalikes=len(lookalikes), unknown_keys=len(unknown), **counts)
    counts["lookalikes"] = len(lookalikes)
    return LookalikeResult(status, reason, parts, dict(counts), lookalikes, unknown)


class _DnsRun:
    """The two look-up rounds and the wildcard probes of one run."""

    def __init__(
        self,
        settings: DomainsSettings,
        counts: Counter[str],
        progress: Callable[[int, int], None] | None = None,
        stop: threading.Event | None = None,
        shared: SharedWork | None = None,
    ) -> None:
        self.settings = settings
        self.counts = counts
        self.progress = progress
        self.stop = stop
        self.shared = shared
        self.done = self.total = 0
        self.resolver = make_resolver(settings.nameservers, settings.timeout)
        self.answers: dict[str, DnsAnswer] = {}
        self.wildcards: dict[str, Wildcard] = {}
        self.checked: set[str] = set()  # finding keys within max_names

    async def first_round(self, candidates: Sequence[Permutation]) -> None:
        keys = list(dict.fromkeys(finding_key(p.domain) for p in candidates))
        self.checked = set(keys[: self.settings.max_names])
        self.counts["names_checked"] = len(self.checked)
        self.counts["names_not_checked"] = max(0, len(keys) - len(self.checked))
        await self._resolve([k for k in keys if k in self.checked])

    async def second_round(
        self, candidates: Sequence[Permutation], certified: dict[str, list[CertRecord]]
    ) -> None:
        hosts = [p.domain for p in candidates if p.domain not in self.answers and self._key_exists(p.domain)]
        hosts += [h for h in certified if h not in self.answers]
        await self._resolve(hosts)
        zones = list(dict.fromkeys(parent_zone(h) for h, a in self.answers.items() if a.exists))
        self._grow(len(zones))
        if self.shared is None:
            self.wildcards = await detect_wildcards(
                self.resolver, zones, self.settings.concurrency, stop=self.stop
            )
            probed = len(zones)
        else:
            self.wildcards, probed = await self._shared_wildcards(self.shared, zones)
            self.counts["dns_shared"] += len(zones) - probed
        self._answered(len(zones))
        self.counts["dns_lookups"] += probed
        self.counts["wildcard_zones"] = sum(w.status == "wildcard" for w in self.wildcards.values())

    def _key_exists(self, host: str) -> bool:
        key = finding_key(host)
        answer = self.answers.get(key)
        return key in self.checked and answer is not None and answer.exists

    def _grow(self, more: int) -> None:
        self.total += more
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _answered(self, count: int = 1) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    async def _resolve(self, names: list[str]) -> None:
        unique = list(dict.fromkeys(names))
        self._grow(len(unique))
        if self.shared is None:
            found = await resolve_with(
                self.resolver, unique, self.settings.concurrency, self._answered, stop=self.stop
            )
            asked = len(found)
        else:
            found, asked = await self._shared_resolve(self.shared, unique)
            self.counts["dns_shared"] += len(found) - asked
        self.answers.update(found)
        self.counts["dns_lookups"] += asked
        for answer in found.values():
            self.counts[answer.status] += 1
            if answer.reason and answer.status == "unknown":
                self.counts[f"unknown_{answer.reason.split(':')[0]}"] += 1

    async def _shared_resolve(self, shared: SharedWork, names: list[str]) -> tuple[dict[str, DnsAnswer], int]:
        """The names' answers, looked up here or read from the brands that looked them up first;
        also how many were looked up here. A name missing because the run stopped stays missing."""
        asked: dict[str, DnsAnswer] = {}

        async def look_up(keys: list[str]) -> dict[str, Any]:
            names = [key.removeprefix(DNS_KEY) for key in keys]
            got = await resolve_with(
                self.resolver, names, self.settings.concurrency, self._answered, stop=self.stop
            )
            asked.update(got)
            # An unanswered look-up is not shared: the next brand asks again.
            return {DNS_KEY + name: answer_to_json(a) for name, a in got.items() if a.status != "unknown"}

        try:
            read = await shared.many([DNS_KEY + name for name in names], look_up)
        except Stopped:
            read = {}  # the answers other brands found are not waited for
        found: dict[str, DnsAnswer] = {}
        for name in names:
            if name in asked:
                found[name] = asked[name]
            elif DNS_KEY + name in read:
                found[name] = answer_from_json(read[DNS_KEY + name])
        if len(found) > len(asked):
            self._answered(len(found) - len(asked))
        return found, len(asked)

    async def _shared_wildcards(
        self, shared: SharedWork, zones: list[str]
    ) -> tuple[dict[str, Wildcard], int]:
        """Each zone's wildcard verdict, probed here or read from another brand's run; also how
        many zones were probed here. Only "wildcard" and "none" verdicts are shared."""
        probed: dict[str, Wildcard] = {}

        async def probe(keys: list[str]) -> dict[str, Any]:
            got = await detect_wildcards(
                self.resolver,
                [key.removeprefix(WILDCARD_KEY) for key in keys],
                self.settings.concurrency,
                stop=self.stop,
            )
            probed.update(got)
            return {
                WILDCARD_KEY + zone: wildcard_to_json(w) for zone, w in got.items() if w.status != "unknown"
            }

        try:
            read = await shared.many([WILDCARD_KEY + zone for zone in zones], probe)
        except Stopped:
            read = {}
        found: dict[str, Wildcard] = {}
        for zone in zones:
            if zone in probed:
                found[zone] = probed[zone]
            elif WILDCARD_KEY + zone in read:
                found[zone] = wildcard_from_json(read[WILDCARD_KEY + zone])
            else:  # like a probe the stop left unasked
                found[zone] = Wildcard(zone, "unknown", DnsAnswer(f"*.{zone}", "unknown", "stopped"))
        return found, len(probed)

    def verdict(self, host: str) -> Literal["found", "hidden", "absent", "unknown", "unchecked"]:
        """found: exists outside a wildcard zone; hidden: only a wildcard answers; absent: NXDOMAIN."""
        key = finding_key(host)
        answer = self.answers.get(host)
        if answer is None:
            key_answer = self.answers.get(key)
            if key not in self.checked or key_answer is None:
                return "unchecked"
            return "unknown" if key_answer.status == "unknown" else "absent"
        if answer.status == "unknown":
            return "unknown"
        if not answer.exists:
            return "absent"
        wildcard = self.wildcards.get(parent_zone(host))
        if wildcard is None or wildcard.status == "none":
            return "found"
        if wildcard.status == "unknown" or registrable(wildcard.zone) is None:
            # A "wildcard" public suffix is a resolver rewriting NXDOMAIN: it tells us nothing.
            return "unknown"
        return "hidden"

    def part(self) -> Part:
        looked = sum(self.counts[s] for s in ("registered", "nxdomain", "no_address", "unknown"))
        unknown = self.counts["unknown"]
        rewritten = sorted(
            zone for zone, w in self.wildcards.items() if w.status == "wildcard" and not registrable(zone)
        )
        if rewritten:
            return Part("failed", f"the resolver answers random names under {', '.join(rewritten)}")
        if not looked:
            return Part("ok", "nothing to look up")
        if not unknown:
            return Part("ok")
        kinds = ", ".join(
            f"{k.removeprefix('unknown_')} {v}"
            for k, v in sorted(self.counts.items())
            if k.startswith("unknown_")
        )
        reason = f"{unknown} of {looked} look-ups unanswered ({kinds})"
        return Part("failed" if unknown == looked else "partial", reason)


async def _no_certificates() -> tuple[Part, dict[str, list[CertRecord]]]:
    return Part("skipped", "disabled"), {}


async def _certificates(
    brand: BrandSettings, settings: CrtshSettings, client: HttpClient, counts: Counter[str], backoff: float
) -> tuple[Part, dict[str, list[CertRecord]]]:
    """Query crt.sh for the brand keywords; certified look-alike hosts with their certificates."""
    words = _crt_keywords(brand)
    queries = patterns(words, settings.max_queries)
    if not queries:
        return Part("skipped", "no keyword of four letters or more"), {}
    excluded = _excluded(brand)
    certified: dict[str, list[CertRecord]] = {}
    errors: list[str] = []
    unreachable = 0
    for pattern in queries:
        counts["crtsh_queries"] += 1
        try:
            records = await query_crtsh(client, settings.url, pattern, backoff=backoff)
        except (FetchError, ParseError) as exc:
            counts["crtsh_failed"] += 1
            errors.append(f"{pattern}: {type(exc).__name__}: {exc}")
            log.warning("crtsh_query_failed", pattern=pattern, error=type(exc).__name__, detail=str(exc))
            # No answer at all (not even an error page) twice in a row: the service or the network
            # is down, and the remaining patterns would only wait out the same retries.
            unreachable = unreachable + 1 if type(exc) is FetchError else 0
            if unreachable >= MAX_UNREACHABLE:
                errors.append(f"{len(queries) - len(errors)} pattern(s) not tried: crt.sh unreachable")
                break
            continue
        unreachable = 0
        counts["certificates"] += len(records)
        for record in records:
            for host in record.hosts():
                if _relevant(host, words, excluded) and (
                    host in certified or len(certified) < MAX_CERT_HOSTS
                ):
                    certified.setdefault(host, []).append(record)
    counts["certified_hosts"] = len(certified)
    if not errors:
        return Part("ok"), certified
    status: PartStatus = "failed" if counts["crtsh_failed"] == counts["crtsh_queries"] else "partial"
    return Part(status, "; ".join(errors)[:1000]), certified


def _crt_keywords(brand: BrandSettings) -> list[str]:
    """Official labels and organisation words first, then the e-service words."""
    labels = []
    for domain in brand.official_domains:
        host = to_ascii(domain)
        key = finding_key(host) if host else ""
        labels.append(key.split(".", 1)[0])
    return list(dict.fromkeys([*labels, *(fold(t) for t in brand.organization_terms), *SERVICE_WORDS]))


def _excluded(brand: BrandSettings) -> frozenset[str]:
    domains = [*brand.official_domains, *(d for legit in brand.legitimate for d in legit.domains)]
    return frozenset(d for d in (to_ascii(x) for x in domains) if d)


def _relevant(host: str, words: list[str], excluded: frozenset[str]) -> bool:
    if is_restricted(host) or is_under(host, excluded):
        return False
    folded = host.replace("-", "").replace(".", "")
    return any(len(word) >= 4 and word in folded for word in words)


def _assemble(
    candidates: Sequence[Permutation], certified: dict[str, list[CertRecord]], dns: _DnsRun | None
) -> tuple[list[Lookalike], list[str]]:
    """Group found and certified hosts by finding key, in candidate priority order.

    Also returns the keys the DNS could not judge (and nothing else reported): their previous
    state must stand.
    """
    fuzzer = {p.domain: p.fuzzer for p in candidates}
    found: dict[str, Lookalike] = {}
    unknown: set[str] = set()
    hosts = [*(p.domain for p in candidates), *(h for h in certified if h not in fuzzer)]
    for host in hosts:
        verdict = dns.verdict(host) if dns is not None else "unchecked"
        certs = certified.get(host, [])
        key = finding_key(host)
        if verdict == "unknown":
            unknown.add(key)
        if verdict != "found" and not certs:
            continue
        item = found.setdefault(key, Lookalike(key=key, host=host))
        family = fuzzer.get(host, "certificate")
        if family not in item.fuzzers:
            item.fuzzers.append(family)
        if dns is not None and host in dns.answers:
            item.dns[host] = dns.answers[host]
        item.certificates += [c for c in certs if c not in item.certificates]
    for item in found.values():
        item.host = _best_host(item)
    return list(found.values()), sorted(unknown - set(found))


def _best_host(item: Lookalike) -> str:
    """The host to show and fetch: the key itself when it has an address, else one that has."""
    with_address = [host for host, answer in item.dns.items() if answer.addresses]
    if item.key in with_address:
        return item.key
    return with_address[0] if with_address else item.host


async def _homepages(
    lookalikes: list[Lookalike], client: HttpClient, limit: int, template: str, counts: Counter[str]
) -> None:
    """One homepage fetch per look-alike that has an address or a certificate, up to `limit`."""
    wanted = [item for item in lookalikes if item.has_address or item.certificates]
    chosen, skipped = wanted[:limit], wanted[limit:]
    counts["homepages_not_fetched"] = len(skipped)
    pages = await asyncio.gather(*(fetch_homepage(client, template.format(host=i.host)) for i in chosen))
    for item, page in zip(chosen, pages, strict=True):
        item.homepage = page
        counts["homepage_errors" if page.error else "homepages"] += 1


def _overall(parts: dict[str, Part]) -> tuple[PartStatus, str]:
    active = {name: part for name, part in parts.items() if part.status != "skipped"}
    reason = "; ".join(f"{name}: {part.reason}" for name, part in parts.items() if part.reason)
    if not active:
        return "skipped", reason
    if all(part.status == "failed" for part in active.values()):
        return "failed", reason
    if any(part.status != "ok" for part in active.values()):
        return "partial", reason
    return "ok", reason
