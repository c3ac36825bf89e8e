"""Brand-aware scoring of names: a score, a verdict and the reasons an officer reads.

The organisation part and the location part of the brand are found separately. A name needs
both to be alert-worthy; another place keeps it clear; scam phrases, phone numbers, claims and
evasion tricks raise a score but never decide alone. Every point of the score is carried by a
reason: score = max(0, min(100, sum of the reasons' weights)).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.matching.normalize import (
    BIDI,
    DECORATED,
    DIGITS,
    HOMOGLYPHS,
    INVISIBLE,
    LEGACY,
    LOOKALIKE,
    PUNYCODE,
    SPACED,
    Normalized,
)
from monitor.matching.profile import (
    BRAND_KINDS,
    CLAIM,
    ELSEWHERE_KINDS,
    HEADLINE,
    LOCATION,
    NATIONAL,
    ORG,
    OTHER_LOCATION,
    REGION,
    SCAM,
    SUB_UNIT,
    THIRD_PARTY,
    BrandProfile,
    host_of,
)
from monitor.matching.reasons import Reason
from monitor.matching.spot import Span, TypoFinder, blocked_by, find
from monitor.settings import Verdict

_NOTHING = (Reason("no_brand_terms", "", 0),)
IMPERSONATION_AT = 70
SUSPECT_AT = 40
_CACHE_LIMIT = 200_000
_CONTEXT_CHARS = 2000

# Points for what the name is made of ...
ORG_EXACT, ORG_VARIANT = 35, 30
LOCATION_EXACT, LOCATION_TYPO, SUB_UNIT_ALONE, REGION_ALONE, PLACE_EXTRA = 40, 30, 30, 35, 5
BRAND_NAME = 5
# ... for signals, which never decide alone ...
SCAM_SPECIFIC, SCAM_GENERIC, SCAM_MORE, SCAM_MAX = 15, 10, 5, 25
PHONE, HOTLINE, CLAIMED, UNOFFICIAL_ACCOUNT, OFFICIAL_LOGO = 10, 10, 10, 5, 15
CONTEXT_EACH, CONTEXT_MAX, SIGNAL_EACH, SIGNAL_MAX = 5, 10, 5, 10
TRICKS = {
    HOMOGLYPHS: 15,
    INVISIBLE: 15,
    BIDI: 15,
    DECORATED: 10,
    DIGITS: 10,
    LOOKALIKE: 10,
    SPACED: 5,
    PUNYCODE: 5,
    LEGACY: 0,
}
TRICKS_MAX = 25
# ... and the most a name may score when something is missing or points elsewhere.
CAP_ELSEWHERE, CAP_ELSEWHERE_WITH_OURS = 10, 60
CAP_THIRD_PARTY, CAP_THIRD_PARTY_NO_PLACE = 55, 30
# Pages of bodies that never sell services around the office (news, hospitals, police, banks,
# insurers, schools) stay clear; law and accounting firms, agents and shops stay reviewable.
CAP_PUBLIC_BODY = 35
_PUBLIC_BODIES = frozenset({"newspaper", "health", "government", "education", "bank", "insurer"})
CAP_DESCRIPTIVE, CAP_NO_LOCATION = 60, 60
CAP_PLACE_ONLY, CAP_PLACE_AND_SCAM, CAP_UNIT_ONLY, CAP_NOTHING = 30, 45, 20, 15


def verdict_for(score: int) -> Verdict:
    if score >= IMPERSONATION_AT:
        return "impersonation"
    if score >= SUSPECT_AT:
        return "suspect"
    return "clear"


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The judgement on one name."""

    score: int
    verdict: Verdict
    reasons: tuple[Reason, ...]
    normalized: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "verdict": self.verdict,
            "reasons": [reason.to_dict() for reason in self.reasons],
            "normalized": self.normalized,
        }


def _labels(spans: Iterable[Span]) -> str:
    labels = [span.term.label for span in spans]
    return labels[0] if len(labels) == 1 else ", ".join(dict.fromkeys(labels))


class Matcher:
    """Scores names against one brand profile; keeps caches, so reuse one per brand."""

    def __init__(self, profile: BrandProfile) -> None:
        self.profile = profile
        self.normalizer = profile.normalizer
        self._typos = TypoFinder(profile)
        self._cache: dict[str, MatchResult] = {}
        # Names that normalise alike ("BHXH Bình Dương", "bhxh  BÌNH DƯƠNG!") are judged once.
        self._judged: dict[tuple[object, ...], MatchResult] = {}

    def score(
        self,
        name: str,
        *,
        context: str = "",
        url: str | None = None,
        identity: str | None = None,
        signals: Sequence[str] = (),
    ) -> MatchResult:
        """Judge one name; `context`, `signals` and the identity add evidence, never a verdict."""
        if context or url or identity or signals or not isinstance(name, str):
            return self._score(str(name), str(context or ""), url, identity, signals)
        return self._cache.get(name) or self._plain(name)

    def score_many(self, names: Iterable[str]) -> list[MatchResult]:
        """Judge a batch of plain names (repeated names are judged once)."""
        cached, plain = self._cache.get, self._plain
        # A batch makes many small tuples and dicts that hold no cycles, beside caches of
        # hundreds of thousands of entries: the cycle collector would walk those caches again
        # and again for nothing, so it waits until the batch is done.
        paused = gc.isenabled()
        if paused:
            gc.disable()
        try:
            return [cached(name) or plain(name) for name in names]
        finally:
            if paused:
                gc.enable()

    def _plain(self, name: str) -> MatchResult:
        """A name alone, through the caches: names that normalise alike are judged once."""
        name = name if isinstance(name, str) else str(name)
        norm = self.normalizer.normalize(name)
        allowed = self.profile.allowlisted(_as_domain(name), None) if "." in name else None
        if allowed:
            result = MatchResult(0, "clear", (Reason("allowlisted", allowed, 0),), norm.folded)
        else:
            tricks = tuple(sorted(norm.tricks.items())) if norm.tricks else ()
            key = (norm.tokens, tricks, norm.phones, norm.claim_symbols)
            judged = self._judged.get(key)
            if judged is None:
                if len(self._judged) >= _CACHE_LIMIT:
                    self._judged.clear()
                judged = self._judged[key] = self._judge(norm, "", None, ())
            result = judged
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[name] = result
        return result

    def _score(
        self, name: str, context: str, url: str | None, identity: str | None, signals: Sequence[str]
    ) -> MatchResult:
        norm = self.normalizer.normalize(name)
        allowed = self.profile.allowlisted(url or _as_domain(name), identity)
        if allowed:
            return MatchResult(0, "clear", (Reason("allowlisted", allowed, 0),), norm.folded)
        return self._judge(norm, context, identity, signals)

    # -- judgement ---------------------------------------------------------------------------

    def _judge(
        self, norm: Normalized, context: str, identity: str | None, signals: Sequence[str]
    ) -> MatchResult:
        p = self.profile
        tokens = norm.tokens
        own = find(tokens, p.brand_keys, p.brand_prefixes) if tokens else []
        starts = self._typos.starts(tokens)
        if not own and not starts:
            return self._nothing(norm)
        taken = {i for s in own for i in range(s.start, s.end)}
        typos = self._typos.find(tokens, starts, taken) if starts else []
        if not own and not typos:
            return self._nothing(norm)
        brand = own + find(tokens, p.place_keys, p.place_prefixes, taken)
        words = find(tokens, p.word_keys, p.word_prefixes)
        if typos:
            # A misspelling may not take the words of a place elsewhere or of another body.
            typos = self._typos.find(tokens, starts, blocked_by(brand, words))
        org: list[Span] = []
        loc: list[Span] = []
        units: list[Span] = []
        region: list[Span] = []
        buckets = {ORG: org, LOCATION: loc, SUB_UNIT: units, REGION: region}
        for span in (*own, *typos):
            bucket = buckets.get(span.term.kind)
            if bucket is not None:
                bucket.append(span)
        away: list[Span] = []
        if p.shared_places and (loc or units):
            # "Tân Uyên, Lai Châu": a name the brand's place shares with a district of the province
            # named beside it points there.
            named = {s.term.category for s in brand if s.term.kind == OTHER_LOCATION}
            away = [s for s in (*loc, *units) if p.shared_places.get(s.term.label, frozenset()) & named]
            if away:
                loc = [s for s in loc if s not in away]
                units = [s for s in units if s not in away]
        ours = bool(loc or units or region)
        if not (org or ours):
            return self._nothing(norm)
        spans = brand + typos
        reasons: list[Reason] = []

        if org:
            exact = [s for s in org if not s.typo]
            if exact:
                reasons.append(Reason("organization_match", _labels(exact), ORG_EXACT))
            else:
                seen = ", ".join(f"“{s.seen}” ≈ {s.term.label}" for s in org)
                reasons.append(Reason("organization_variant", seen, ORG_VARIANT))
        if loc:
            exact = [s for s in loc if not s.typo]
            if exact:
                reasons.append(Reason("location_match", _labels(exact), LOCATION_EXACT))
            else:
                seen = ", ".join(f"“{s.seen}” ≈ {s.term.label}" for s in loc)
                reasons.append(Reason("location_typo", seen, LOCATION_TYPO))
        if units:
            reasons.append(Reason("sub_unit_match", _labels(units), PLACE_EXTRA if loc else SUB_UNIT_ALONE))
        if region:
            reasons.append(Reason("region_match", _labels(region), PLACE_EXTRA if loc else REGION_ALONE))
        if org and ours and p.content(tokens) in p.brand_names:
            reasons.append(Reason("brand_name", p.name, BRAND_NAME))

        covered = {i for s in spans for i in range(s.start, s.end)}
        third = [
            s for s in words if s.term.kind == THIRD_PARTY and not covered.issuperset(range(s.start, s.end))
        ]
        scams = [s for s in words if s.term.kind == SCAM]
        specific = any(s.term.category == "specific" for s in scams)
        reasons.extend(self._signals(norm, words, scams, specific))
        reasons.extend(self._tricks(norm, related=True))
        reasons.extend(self._extra(context, identity, signals, org_and_place=bool(org) and ours))

        caps = self._caps(
            norm, spans, words, third, away, org=bool(org), loc=bool(loc), ours=ours, specific=specific
        )
        raw = sum(r.weight for r in reasons)
        score = max(0, min(100, raw))
        if caps:
            tightest = min(caps, key=lambda c: c[0])
            for cap, code, detail in caps:
                weight = 0
                if (cap, code, detail) == tightest and raw > cap:
                    weight = cap - raw
                    score = max(0, cap)
                reasons.append(Reason(code, detail, weight))
        return MatchResult(score, verdict_for(score), tuple(reasons), norm.folded)

    def _nothing(self, norm: Normalized) -> MatchResult:
        """Neither the office nor its place is named: nothing else can make this a finding."""
        if not norm.tricks:
            return MatchResult(0, "clear", _NOTHING, " ".join(norm.tokens))
        return MatchResult(0, "clear", (*_NOTHING, *self._tricks(norm, related=False)), norm.folded)

    def _signals(
        self, norm: Normalized, words: list[Span], scams: list[Span], specific: bool
    ) -> list[Reason]:
        out: list[Reason] = []
        if scams:
            weight = (SCAM_SPECIFIC if specific else SCAM_GENERIC) + SCAM_MORE * (len(scams) - 1)
            out.append(Reason("scam_phrase", _labels(scams), min(SCAM_MAX, weight)))
        hotlines = [ph for ph in norm.phones if ph in self.profile.hotlines]
        others = [ph for ph in norm.phones if ph not in self.profile.hotlines]
        if hotlines:
            out.append(Reason("official_hotline", ", ".join(hotlines), HOTLINE))
        if others:
            out.append(Reason("phone_number", ", ".join(others), PHONE))
        claims = [s.term.label for s in words if s.term.kind == CLAIM] + list(norm.claim_symbols)
        if claims:
            out.append(Reason("official_claim", ", ".join(dict.fromkeys(claims)), CLAIMED))
        return out

    def _tricks(self, norm: Normalized, related: bool) -> list[Reason]:
        out: list[Reason] = []
        budget = TRICKS_MAX if related else 0
        for code, detail in sorted(norm.tricks.items(), key=lambda kv: -TRICKS.get(kv[0], 0)):
            weight = min(budget, TRICKS.get(code, 0))
            budget -= weight
            out.append(Reason(code, detail, weight))
        return out

    def _extra(
        self, context: str, identity: str | None, signals: Sequence[str], *, org_and_place: bool
    ) -> list[Reason]:
        out: list[Reason] = []
        if identity and org_and_place and not self.profile.owns_social_accounts:
            platform = identity.split(":", 1)[0].strip() if ":" in identity else identity.strip()
            out.append(Reason("unofficial_account", platform[:60], UNOFFICIAL_ACCOUNT))
        if context:
            seen = self._context_signs(context[:_CONTEXT_CHARS])
            if seen:
                out.append(
                    Reason("context_signal", "; ".join(seen), min(CONTEXT_MAX, CONTEXT_EACH * len(seen)))
                )
        logos = [str(s) for s in signals if str(s).startswith("logo:")]
        if logos:
            # "logo:<file>:<distance>": the profile picture is a copy of an official logo.
            files = ", ".join(dict.fromkeys(logo.split(":")[1][:80] for logo in logos))
            out.append(Reason("official_logo", files, OFFICIAL_LOGO))
        if signals:
            named = [str(s)[:80] for s in signals if str(s).strip() and not str(s).startswith("logo:")]
            if named:
                out.append(Reason("signal", ", ".join(named), min(SIGNAL_MAX, SIGNAL_EACH * len(named))))
        return out

    def _context_signs(self, context: str) -> list[str]:
        p = self.profile
        norm = self.normalizer.normalize(context)
        words = find(norm.tokens, p.word_keys, p.word_prefixes)
        brand = find(norm.tokens, p.brand_keys, p.brand_prefixes)
        seen: list[str] = []
        scams = [s for s in words if s.term.kind == SCAM]
        if scams:
            seen.append(_labels(scams))
        phones = [ph for ph in norm.phones if ph not in p.hotlines]
        if phones:
            seen.append(", ".join(phones[:3]))
        claims = [s for s in words if s.term.kind == CLAIM]
        if claims or norm.claim_symbols:
            seen.append(_labels(claims) or "".join(norm.claim_symbols))
        if any(s.term.kind == ORG for s in brand) and any(s.term.kind == LOCATION for s in brand):
            seen.append(_labels(s for s in brand if s.term.kind in (ORG, LOCATION)))
        return seen

    def _caps(
        self,
        norm: Normalized,
        spans: list[Span],
        words: list[Span],
        third: list[Span],
        away: list[Span],
        *,
        org: bool,
        loc: bool,
        ours: bool,
        specific: bool,
    ) -> list[tuple[int, str, str]]:
        """The limits a name's make-up puts on its score, with the reason for each."""
        caps: list[tuple[int, str, str]] = []
        tokens = norm.tokens
        elsewhere = [
            s for s in spans if s.term.kind in ELSEWHERE_KINDS and not (ours and s.term.kind == NATIONAL)
        ] + away
        if elsewhere:
            caps.append(
                (CAP_ELSEWHERE_WITH_OURS if ours else CAP_ELSEWHERE, "other_location", _labels(elsewhere))
            )
        if third:
            cap = CAP_THIRD_PARTY if ours else CAP_THIRD_PARTY_NO_PLACE
            if any(s.term.category in _PUBLIC_BODIES for s in third):
                cap = min(cap, CAP_PUBLIC_BODY)
            caps.append((cap, "third_party", _labels(third)))
        brand_tokens = sum(s.end - s.start for s in spans if s.term.kind in BRAND_KINDS)
        explained = {i for s in (*spans, *words) if s.term.kind != HEADLINE for i in range(s.start, s.end)}
        unexplained = [
            t for i, t in enumerate(tokens) if i not in explained and not t.isdigit() and len(t) > 1
        ]
        # A headline word outside the names of places and bodies ("đẩy mạnh", "khuyến cáo") makes
        # a sentence about the office; so do many words that are neither brand nor signal.
        headline = [s for s in words if s.term.kind == HEADLINE and s.start not in explained]
        if headline or (len(unexplained) >= 3 and len(unexplained) * 2 >= brand_tokens):
            caps.append((CAP_DESCRIPTIVE, "descriptive_text", " ".join(unexplained[:8])))
        if not org:
            if loc:
                caps.append((CAP_PLACE_AND_SCAM if specific else CAP_PLACE_ONLY, "no_organization", ""))
            elif ours:
                caps.append((CAP_UNIT_ONLY, "no_organization", ""))
            else:
                caps.append((CAP_NOTHING, "no_brand_terms", ""))
        elif not ours:
            caps.append((CAP_NO_LOCATION, "no_location", ""))
        legit = self.profile.legitimate_names.get(self.profile.content(tokens))
        if legit:
            caps.append((0, "legitimate_name", legit))
        return caps


def _as_domain(name: str) -> str | None:
    """A name that is itself a domain or URL, for the allowlist check."""
    text = name.strip()
    if not text or " " in text or "." not in text or len(text) > 300:
        return None
    host = host_of(text)
    return text if host and "." in host else None
