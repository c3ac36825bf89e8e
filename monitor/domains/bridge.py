"""Look-alike domains as the scan sees them: source runs, candidates and an evidence document."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor.candidates import Candidate
from monitor.domains.lookalike import Lookalike, LookalikeResult
from monitor.redact import scrub
from monitor.sources.base import SourceResult


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
