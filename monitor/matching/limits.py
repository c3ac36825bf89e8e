"""The limits a name's make-up puts on its score: other places, other bodies, descriptions."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.matching.identity import Claim, headline_counts, unexplained
from monitor.matching.normalize import Normalized
from monitor.matching.profile import BRAND_KINDS, HEADLINE, BrandProfile
from monitor.matching.spot import Span

# ... and the most a name may score when something is missing or points elsewhere.
CAP_ELSEWHERE, CAP_ELSEWHERE_WITH_OURS = 10, 60
CAP_THIRD_PARTY, CAP_THIRD_PARTY_NO_PLACE = 55, 30
# Pages of bodies that never sell services around the office (news, hospitals, police, banks,
# insurers, schools) stay clear; law and accounting firms, agents and shops stay reviewable.
CAP_PUBLIC_BODY = 35
_PUBLIC_BODIES = frozenset({"newspaper", "health", "government", "education", "bank", "insurer"})
CAP_DESCRIPTIVE, CAP_NO_LOCATION = 60, 60
CAP_PLACE_ONLY, CAP_PLACE_AND_SCAM, CAP_UNIT_ONLY, CAP_NOTHING = 30, 45, 20, 15


def labels(spans: Iterable[Span]) -> str:
    labels = [span.term.label for span in spans]
    return labels[0] if len(labels) == 1 else ", ".join(dict.fromkeys(labels))


def caps(
    profile: BrandProfile,
    norm: Normalized,
    spans: list[Span],
    words: list[Span],
    third: list[Span],
    elsewhere: list[Span],
    claim: Claim | None,
    bridge: set[int],
    *,
    org: bool,
    loc: bool,
    ours: bool,
    specific: bool,
) -> list[tuple[int, str, str]]:
    """The limits a name's make-up puts on its score, with the reason for each."""
    caps: list[tuple[int, str, str]] = []
    tokens, breaks = norm.tokens, norm.breaks
    if elsewhere:
        caps.append((CAP_ELSEWHERE_WITH_OURS if ours else CAP_ELSEWHERE, "other_location", labels(elsewhere)))
    if third:
        cap = CAP_THIRD_PARTY if ours else CAP_THIRD_PARTY_NO_PLACE
        if any(s.term.category in _PUBLIC_BODIES for s in third):
            cap = min(cap, CAP_PUBLIC_BODY)
        caps.append((cap, "third_party", labels(third)))
    brand_tokens = sum(s.end - s.start for s in spans if s.term.kind in BRAND_KINDS)
    explained = {i for s in (*spans, *words) if s.term.kind != HEADLINE for i in range(s.start, s.end)}
    loose = unexplained(tokens, claim, breaks, explained)
    # A headline word outside the names of places and bodies ("đẩy mạnh", "khuyến cáo") makes
    # a sentence about the office; so do many words that are neither brand nor signal.
    headline = [
        s
        for s in words
        if s.term.kind == HEADLINE and s.start not in explained and headline_counts(s, claim, breaks, bridge)
    ]
    if headline or (len(loose) >= 3 and len(loose) * 2 >= brand_tokens):
        caps.append((CAP_DESCRIPTIVE, "descriptive_text", " ".join(loose[:8])))
    if not org:
        if loc:
            caps.append((CAP_PLACE_AND_SCAM if specific else CAP_PLACE_ONLY, "no_organization", ""))
        elif ours:
            caps.append((CAP_UNIT_ONLY, "no_organization", ""))
        else:
            caps.append((CAP_NOTHING, "no_brand_terms", ""))
    elif not ours:
        caps.append((CAP_NO_LOCATION, "no_location", ""))
    legit = profile.legitimate_names.get(profile.content(tokens))
    if legit:
        caps.append((0, "legitimate_name", legit))
    return caps
