"""Look-alike domain discovery: permutations of the official domains, DNS, crt.sh and homepages."""

from __future__ import annotations

from monitor.domains.crtsh import CertRecord, query_crtsh
from monitor.domains.dns import DnsAnswer, resolve_many
from monitor.domains.lookalike import Lookalike, LookalikeResult, Part, run_lookalikes
from monitor.domains.permutations import Permutation, generate

__all__ = [
    "CertRecord",
    "DnsAnswer",
    "Lookalike",
    "LookalikeResult",
    "Part",
    "Permutation",
    "generate",
    "query_crtsh",
    "resolve_many",
    "run_lookalikes",
]
