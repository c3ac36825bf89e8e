"""Look-alike domains and certificate logs as one discoverer: source runs, leads, evidence."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor.candidates import Candidate
from monitor.discover.base import Discovery, Found, Lead
from monitor.domains.lookalike import Lookalike, LookalikeResult, run_lookalikes
from monitor.redact import scrub
from monitor.sources.base import SourceResult

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitor.settings import Settings

KEYS = ("domains", "crtsh")


class LookalikeDiscoverer:
    """`domains` (DNS of permutations) and `crtsh` (certificate logs) share one run: certified
    names are looked up too. Homepages are read here, so no page reader is asked again."""

    later = False
    always = False
    separable = False
    local = False

    def __init__(self, settings: Settings, keys: Sequence[str]) -> None:
        self.settings = settings
        self.keys = tuple(key for key in KEYS if key in keys)

    @classmethod
    def from_settings(cls, settings: Settings, keys: Sequence[str]) -> LookalikeDiscoverer:
        return cls(settings, keys)

    def api_endpoints(self) -> list[str]:
        url = self.settings.sources.crtsh.url
        return [url] if "crtsh" in self.keys and url else []

    def idle(self) -> list[SourceResult] | None:
        s = self.settings.sources
        sections = [s.domains if "domains" in self.keys else None, s.crtsh if "crtsh" in self.keys else None]
        # Both off: discover() runs nothing and reports no run.
        return [] if all(section is None or section.enabled is False for section in sections) else None

    async def discover(self, run: Discovery) -> Found:
        s = self.settings.sources
        off = {"enabled": False}
        domains = s.domains if "domains" in self.keys else s.domains.model_copy(update=off)
        crtsh = s.crtsh if "crtsh" in self.keys else s.crtsh.model_copy(update=off)
        if domains.enabled is False and crtsh.enabled is False:
            return Found()
        slug = run.brand.slug
        result = await run_lookalikes(
            run.brand,
            domains,
            crtsh,
            run.client,
            progress=lambda done, total: run.progress.names_resolved(slug, done, total),
            # Brands listing the same official domain share their DNS answers within the scan.
            shared=run.shared,
        )
        stopped = run.stop.is_set()
        for source_run in as_results(result):
            # Cut short by the stop, an "ok" may hide names never asked: never a clean run.
            run.finished(replace(source_run, status="skipped", reason="stopped") if stopped else source_run)
        for candidate, item in zip(as_candidates(result, slug), result.lookalikes, strict=True):
            other = (item.display, candidate.snippets[0]) if candidate.snippets else ()
            lead = Lead(
                candidate=candidate, read=False, other_names=other, documents=(evidence_document(item),)
            )
            await run.emit(lead)
        # A look-alike whose DNS answer was unknown (SERVFAIL, timeout) was not checked: no miss.
        unchecked = frozenset(f"web:{key}" for key in result.unknown)
        dns = result.parts.get("dns")
        # Only the names in `unknown` went unanswered, and those are never counted as misses.
        partial = dns is not None and dns.status == "partial" and not stopped
        clean = frozenset({"domains"}) if partial else frozenset()
        return Found(unchecked, clean)

    def recorded(self, session: Session, findings: Mapping[str, int]) -> None:
        return None


def as_results(result: LookalikeResult) -> list[SourceResult]:
    """One source run for the DNS part ("domains") and one for certificate logs ("crtsh").

    Their reasons quote upstream errors and URLs (these sources hold no key): URL secrets are masked.
    """
    dns, crt = result.parts.get("dns"), result.parts.get("crtsh")
    counts = result.counts
    runs: list[SourceResult] = []
    if dns is not None:
        found = sum(1 for item in result.lookalikes if item.has_address)
        runs.append(
            SourceResult("domains", dns.status, counts.get("dns_lookups", 0), found, scrub(dns.reason))
        )
    if crt is not None:
        certified = sum(1 for item in result.lookalikes if item.certificates)
        runs.append(
            SourceResult("crtsh", crt.status, counts.get("crtsh_queries", 0), certified, scrub(crt.reason))
        )
    return runs


def sources_of(item: Lookalike) -> list[str]:
    found = ["domains"] if item.has_address else []
    return found + (["crtsh"] if item.certificates else [])


def as_candidates(result: LookalikeResult, brand: str) -> list[Candidate]:
    return [
        Candidate(
            brand=brand,
            platform="web",
            identity=item.identity,
            url=item.url,
            name=item.name,
            snippets=item.match_texts(),
            sources=sources_of(item),
        )
        for item in result.lookalikes
    ]


@dataclass(frozen=True)
class EvidenceDocument:
    """DNS answers, certificates and the homepage check of a look-alike, archived like a response."""

    url: str
    body: bytes
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    final_url: str = ""
    status: int = 0
    robots: str = "not_checked"
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})


def evidence_document(item: Lookalike) -> EvidenceDocument:
    # Only facts that identify the domain go in, so an unchanged domain archives the same bytes.
    facts = item.evidence()
    if facts.get("homepage"):
        facts["homepage"].pop("fetched_at", None)
    for answer in facts.get("dns", {}).values():
        answer["records"] = {kind: sorted(values) for kind, values in answer["records"].items()}
    body = json.dumps(facts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    url = f"dns:{item.host}"
    return EvidenceDocument(url=url, final_url=url, body=body)
