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

from monitor.diff import Verdict
from monitor.matching.identity import find_claim, is_source, names_who
from monitor.matching.inert import Words, stem_of
from monitor.matching.limits import caps as limits
from monitor.matching.limits import labels as _labels
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
from monitor.matching.prepare import agrees, percent_decode
from monitor.matching.profile import (
    BRAND_KINDS,
    CLAIM,
    ELSEWHERE_KINDS,
    FILLER,
    HEADLINE,
    LOCATION,
    NATIONAL,
    ORG,
    OTHER_LOCATION,
    REGION,
    SCAM,
    SERVICE,
    STAFF,
    SUB_UNIT,
    THIRD_PARTY,
    BrandProfile,
    host_of,
)
from monitor.matching.reasons import Reason
from monitor.matching.spot import Span, TypoFinder, blocked_by, find

_NOTHING = (Reason("no_brand_terms", "", 0),)
IMPERSONATION_AT = 70
SUSPECT_AT = 40
# Whole names and judged token runs kept: enough for the repeats of a batch, little memory.
_CACHE_LIMIT = 50_000
_CONTEXT_CHARS = 2000

# Points for what the name is made of ...
ORG_EXACT, ORG_VARIANT = 35, 30
LOCATION_EXACT, LOCATION_TYPO, SUB_UNIT_ALONE, REGION_ALONE, PLACE_EXTRA = 40, 35, 30, 35, 5
# One of the brand's own former districts alone is as specific as its province; a place it
# shares with a district elsewhere ("Tân Uyên", also in Lai Châu) is not.
SUB_UNIT_OWN = 40
# A staff title or affiliation ("nhân viên", "phó giám đốc") claims to speak for the office.
STAFF_TITLE = 10
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
# Words that may stand between the office and its place in a name ("BHXH tỉnh", "cơ sở").
_BRIDGE_WORDS = frozenset({FILLER, SERVICE})


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


class Matcher:
    """Scores names against one brand profile; keeps caches, so reuse one per brand."""

    def __init__(self, profile: BrandProfile) -> None:
        self.profile = profile
        self.normalizer = profile.normalizer
        self._typos = TypoFinder(profile)
        self._words = Words(profile, self.normalizer, self._typos)
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
        if name[-3:].isdigit():
            stem = stem_of(name)
            if stem is not name:
                # A counter or year at the end says nothing: the name without it is judged (once).
                return self._cache.get(stem) or self._plain(stem)
        words = self._words
        norm: Normalized | None = None
        if words.fits(name):
            folded = words.inert(name)
            if folded is None:
                read = words.read(name)
                if read is not None:
                    norm = read[0]
                    if read[1]:
                        folded = " ".join(norm.tokens)
            if folded is not None:
                result = MatchResult(0, "clear", _NOTHING, folded)
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[name] = result
                return result
        if norm is None:
            norm = self.normalizer.normalize(name)
        allowed = self.profile.allowlisted(_as_domain(name), None) if "." in name else None
        if allowed:
            result = MatchResult(0, "clear", (Reason("allowlisted", allowed, 0),), norm.folded)
        else:
            tricks = tuple(sorted(norm.tricks.items())) if norm.tricks else ()
            # Phone numbers weigh by kind, not by number: names alike but for the number are
            # judged once, and the number is written into the reasons of each.
            hotlines = self.profile.hotlines
            phones = tuple(sorted({ph in hotlines for ph in norm.phones})) if norm.phones else ()
            key = (norm.tokens, norm.breaks, norm.marks, tricks, phones, norm.claim_symbols)
            judged = self._judged.get(key)
            if judged is None:
                if len(self._judged) >= _CACHE_LIMIT:
                    self._judged.clear()
                judged = self._judged[key] = self._judge(norm, "", None, ())
            result = _with_phones(judged, norm.phones, hotlines) if norm.phones else judged
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
        tokens, breaks, marks = norm.tokens, norm.breaks, norm.marks
        own = find(tokens, p.brand_keys, p.brand_prefixes, None, breaks) if tokens else []
        starts = self._typos.starts(tokens)
        if not own and not starts:
            return self._nothing(norm)
        taken = {i for s in own for i in range(s.start, s.end)}
        typos = self._typos.find(tokens, starts, taken) if starts else []
        if not own and not typos:
            return self._nothing(norm)
        # Negative evidence must be written as the text writes it: its diacritics agree, and no
        # token of it comes from a digit or look-alike fold.
        brand = own + [
            s
            for s in find(tokens, p.place_keys, p.place_prefixes, taken, breaks)
            if agrees(s.term.marks, marks, s.start, s.end)
        ]
        words = [
            s
            for s in find(tokens, p.word_keys, p.word_prefixes, None, breaks)
            if s.term.kind not in (THIRD_PARTY, HEADLINE) or agrees(s.term.marks, marks, s.start, s.end)
        ]
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
        own_units = [s for s in units if s.term.label not in p.shared_places]
        # The office the brand's office now belongs to ("BHXH TP.HCM - cơ sở Bình Dương").
        parents = [s for s in brand if s.term.kind == OTHER_LOCATION and s.term.label in p.parents]
        parents = parents if ours else []
        bridge = {
            i
            for s in (*spans, *words)
            if s.term.kind in BRAND_KINDS or s.term.kind in _BRIDGE_WORDS or s in parents
            for i in range(s.start, s.end)
        }
        claim = find_claim(org, (*loc, *region, *own_units), breaks, bridge)

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
            alone = SUB_UNIT_OWN if own_units else SUB_UNIT_ALONE
            reasons.append(Reason("sub_unit_match", _labels(units), PLACE_EXTRA if loc else alone))
        if region:
            reasons.append(Reason("region_match", _labels(region), PLACE_EXTRA if loc else REGION_ALONE))
        if org and ours and p.content(tokens) in p.brand_names:
            reasons.append(Reason("brand_name", p.name, BRAND_NAME))
        if parents:
            reasons.append(Reason("parent_office", _labels(parents), 0))
        staff = [s for s in words if s.term.kind == STAFF]
        if staff and org:
            reasons.append(Reason("staff_title", _labels(staff), STAFF_TITLE))

        covered = {i for s in spans for i in range(s.start, s.end)}
        third = [
            s
            for s in words
            if s.term.kind == THIRD_PARTY
            and not covered.issuperset(range(s.start, s.end))
            and (names_who(s, claim) or is_source(s, tokens, breaks, p.filler_tokens))
        ]
        scams = [s for s in words if s.term.kind == SCAM]
        specific = any(s.term.category == "specific" for s in scams)
        reasons.extend(self._signals(norm, words, scams, specific))
        reasons.extend(self._tricks(norm, related=True))
        reasons.extend(self._extra(context, identity, signals, org_and_place=bool(org) and ours))

        elsewhere = [
            s
            for s in spans
            if s.term.kind in ELSEWHERE_KINDS
            and not (ours and s.term.kind == NATIONAL)
            and s not in parents
            and names_who(s, claim)
        ] + away
        caps = limits(
            self.profile,
            norm,
            spans,
            words,
            third,
            elsewhere,
            claim,
            bridge,
            org=bool(org),
            loc=bool(loc),
            ours=ours,
            specific=specific,
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


def _with_phones(judged: MatchResult, phones: tuple[str, ...], hotlines: frozenset[str]) -> MatchResult:
    """A judgement of a name alike but for its phone numbers, with this name's numbers."""
    seen = {
        "official_hotline": ", ".join(ph for ph in phones if ph in hotlines),
        "phone_number": ", ".join(ph for ph in phones if ph not in hotlines),
    }
    reasons = tuple(Reason(r.code, seen[r.code], r.weight) if r.code in seen else r for r in judged.reasons)
    if reasons == judged.reasons:
        return judged
    return MatchResult(judged.score, judged.verdict, reasons, judged.normalized)


def _as_domain(name: str) -> str | None:
    """A name that is itself a domain or URL, for the allowlist check."""
    text = percent_decode(name.strip()) if "%" in name else name.strip()
    if not text or " " in text or "." not in text or len(text) > 300:
        return None
    host = host_of(text)
    return text if host and "." in host else None
