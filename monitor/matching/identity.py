"""Which part of a name claims an identity, and which negative evidence speaks about that part.

A page name is often an identity followed by a tagline: "BHXH Bình Dương - Chân Thành - Uy Tín".
The claim is the office's organisation and one of its own places, in one part of the name or in
two neighbouring parts ("BHXH TP.HCM - cơ sở Bình Dương"). Other places, newspapers, firms and
public bodies limit the score only when they stand before or inside that claim, where they name
who the page is; in a tagline after it they are words of a slogan. A news headline stays one:
strong headline words count wherever they are, the others right after the claim.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.matching.normalize import is_syllable
from monitor.matching.spot import Span

# Words beside a newspaper's name in a title's last part: "| Báo Bình Dương Online".
_SOURCE_WORDS = frozenset({"online", "dien", "tu", "news", "tv", "com", "vn", "net", "org"})


@dataclass(frozen=True, slots=True)
class Claim:
    """Tokens [start, end) that name the office and its place; parts first..last of the name."""

    start: int
    end: int
    first: int
    last: int


def part_of(breaks: tuple[int, ...], index: int) -> int:
    """The number of the part of the name that token `index` is in."""
    return bisect_right(breaks, index) if breaks else 0


def find_claim(
    orgs: list[Span], places: Iterable[Span], breaks: tuple[int, ...], bridge: set[int]
) -> Claim | None:
    """The first organisation-and-place pair in one part of the name or in two neighbouring ones,
    with nothing between them but `bridge` positions (administrative words, "cơ sở", the parent
    office's place): "BHXH TP.HCM - cơ sở Bình Dương", not "Bình Dương rút BHXH"."""
    own = sorted(places, key=lambda s: s.start)
    if not orgs or not own:
        return None
    for org in sorted(orgs, key=lambda s: (s.typo, s.start)):
        org_part = part_of(breaks, org.start)
        for place in own:
            place_part = part_of(breaks, place.start)
            gap = range(min(org.end, place.end), max(org.start, place.start))
            if abs(place_part - org_part) <= 1 and all(i in bridge for i in gap):
                return Claim(
                    min(org.start, place.start),
                    max(org.end, place.end),
                    min(org_part, place_part),
                    max(org_part, place_part),
                )
    return None


def names_who(span: Span, claim: Claim | None) -> bool:
    """Whether a piece of negative evidence stands where a name says who the page is."""
    return claim is None or span.start < claim.end


def headline_counts(span: Span, claim: Claim | None, breaks: tuple[int, ...], bridge: set[int]) -> bool:
    """Whether a headline word makes the name read as news: strong words anywhere, the others
    before or inside the claim or right after it in the same part ("BHXH tỉnh chi trả …")."""
    if claim is None or span.start < claim.end or span.term.category == "strong":
        return True
    if part_of(breaks, span.start) != claim.last:
        return False
    return all(i in bridge for i in range(claim.end, span.start))


def is_source(span: Span, tokens: tuple[str, ...], breaks: tuple[int, ...], filler: frozenset[str]) -> bool:
    """Whether a newspaper's name is the whole of its part of the name, as the source at the end
    of a news title is ("… | Báo Bình Dương", "… - VnExpress"), and is a name no slogan uses:
    one with "Báo" or a word that is not a Vietnamese syllable ("Thanh Niên" alone is not)."""
    if span.term.category != "newspaper":
        return False
    term = span.term
    distinctive = term.label.lower().startswith("báo ") or any(not is_syllable(t) for t in term.tokens)
    if not distinctive:
        return False
    part = part_of(breaks, span.start)
    start = breaks[part - 1] if part > 0 else 0
    end = breaks[part] if part < len(breaks) else len(tokens)
    rest = [*tokens[start : span.start], *tokens[span.end : end]]
    return all(t in filler or t in _SOURCE_WORDS or t.isdigit() for t in rest)


def unexplained(
    tokens: tuple[str, ...], claim: Claim | None, breaks: tuple[int, ...], explained: set[int]
) -> list[str]:
    """Words neither brand nor signal that describe the page: in the claim's parts, before its
    end (a tagline after the claim does not make the name a description)."""
    if claim is None:
        first, stop = 0, len(tokens)
    else:
        first = breaks[claim.first - 1] if claim.first > 0 else 0
        stop = claim.end
    return [
        t
        for i, t in enumerate(tokens[first:stop], start=first)
        if i not in explained and not t.isdigit() and len(t) > 1
    ]
