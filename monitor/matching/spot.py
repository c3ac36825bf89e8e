"""Finding terms in a run of folded tokens: exact keys (longest first) and misspelt brand terms."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import OSA

from monitor.matching.profile import ORG, THIRD_PARTY, BrandProfile, FuzzyTarget, Term

# Teen-code and keyboard swaps undone before typo distances are measured ("Zương" = "Dương").
_LOOSE = str.maketrans({"z": "d", "đ": "d", "j": "i", "w": "u", "f": "ph"})
_CACHE_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Span:
    """Tokens [start, end) read as `term`; `distance` > 0 or `loose` for a misspelt brand term."""

    start: int
    end: int
    term: Term
    distance: int = 0
    seen: str = ""
    loose: bool = False

    @property
    def typo(self) -> bool:
        return self.distance > 0 or self.loose


def find(
    tokens: tuple[str, ...],
    keys: dict[str, Term],
    prefixes: frozenset[str],
    taken: set[int] | None = None,
    breaks: tuple[int, ...] = (),
) -> list[Span]:
    """Non-overlapping terms, scanning left to right and taking the longest key at each place;
    positions in `taken` are left alone and no term runs over a break (a separator).

    Keys are glued folded tokens, so "B H X H", "BH XH" and "BHXH" all reach the key "bhxh".
    """
    spans: list[Span] = []
    n = len(tokens)
    limits: list[int] = []
    bounded = bool(taken or breaks)
    if bounded:
        # limits[i]: where a term starting at i must end, the first taken position or break after it.
        limits = [n] * (n + 1)
        cuts = set(breaks)
        for k in range(n - 1, -1, -1):
            if taken and k in taken:
                limits[k] = k
            elif k + 1 in cuts:
                limits[k] = k + 1
            else:
                limits[k] = limits[k + 1]
    i = 0
    while i < n:
        if taken and i in taken:
            i += 1
            continue
        limit = limits[i] if bounded else n
        acc = tokens[i]
        j = i + 1
        best = 0
        term: Term | None = None
        while True:
            found = keys.get(acc)
            if found is not None:
                best, term = j, found
            if j >= limit or acc not in prefixes:
                break
            acc += tokens[j]
            j += 1
        if term is not None:
            spans.append(Span(i, best, term))
            i = best
        else:
            i += 1
    return spans


class TypoFinder:
    """Looks for misspelt brand terms among tokens no exact term explained."""

    def __init__(self, profile: BrandProfile) -> None:
        self.targets: tuple[FuzzyTarget, ...] = profile.fuzzy
        self.reach = max((t.max_tokens for t in self.targets), default=1)
        # token -> the targets a word starting so could be a misspelling of (cached)
        self._near: dict[str, tuple[FuzzyTarget, ...]] = {}
        # tokens from a start -> (tokens used, distance, target) of the best misspelling, or None
        self._memo: dict[tuple[str, ...], tuple[int, int, FuzzyTarget] | None] = {}

    def near(self, token: str) -> tuple[FuzzyTarget, ...]:
        """The brand terms a word beginning with this token could misspell (cached per token)."""
        known = self._near.get(token)
        if known is None:
            if len(self._near) >= _CACHE_LIMIT:
                self._near.clear()
            known = ()
            if not token.isdigit():
                loose = token.translate(_LOOSE)
                known = tuple(
                    t for t in self.targets if OSA.distance(loose[:4], t.key[:4], score_cutoff=1) <= 1
                )
            self._near[token] = known
        return known

    def starts(self, tokens: tuple[str, ...]) -> list[int]:
        """Positions whose token could begin a misspelt brand term."""
        known = self._near
        found = [known.get(t) for t in tokens]
        if None in found:
            found = [self.near(t) if f is None else f for t, f in zip(tokens, found, strict=True)]
        return [i for i, f in enumerate(found) if f]

    def find(self, tokens: tuple[str, ...], starts: list[int], blocked: set[int]) -> list[Span]:
        """Misspelt brand terms beginning at `starts` (positions whose token is near one)."""
        spans: list[Span] = []
        after = 0
        for i in starts:
            if i < after or i in blocked:
                continue
            window = tokens[i : i + self.reach]
            free = not blocked or blocked.isdisjoint(range(i, i + len(window)))
            if free and window in self._memo:
                best = self._memo[window]
            else:
                best = self._best(window, blocked, i)
                if free:
                    if len(self._memo) >= _CACHE_LIMIT:
                        self._memo.clear()
                    self._memo[window] = best
            if best is not None:
                width, distance, target = best
                seen = tokens[i : i + width]
                glued = "".join(seen)
                spans.append(
                    Span(
                        i,
                        i + width,
                        Term(target.kind, target.label, seen),
                        distance,
                        " ".join(seen),
                        loose=distance == 0 and glued != target.key,
                    )
                )
                after = i + width
        return spans

    def _best(
        self, window: tuple[str, ...], blocked: set[int], start: int
    ) -> tuple[int, int, FuzzyTarget] | None:
        best: tuple[int, int, FuzzyTarget] | None = None
        for target in self._near.get(window[0]) or self.near(window[0]):
            found = self._best_window(window, target, blocked, start)
            if found is not None and (best is None or (found[1], -found[0]) < (best[1], -best[0])):
                best = found
        return best

    def _best_window(
        self, window: tuple[str, ...], target: FuzzyTarget, blocked: set[int], start: int
    ) -> tuple[int, int, FuzzyTarget] | None:
        best: tuple[int, int, FuzzyTarget] | None = None
        glued = ""
        for w in range(1, min(target.max_tokens, len(window)) + 1):
            if (start + w - 1) in blocked:
                break
            glued += window[w - 1]
            loose = glued.translate(_LOOSE)
            if len(loose) > len(target.key) + target.max_distance:
                break
            if w < target.min_tokens or len(loose) < len(target.key) - target.max_distance:
                continue
            distance = OSA.distance(loose, target.key, score_cutoff=target.max_distance)
            if distance > target.max_distance or (target.kind == ORG and len(loose) < 3):
                continue
            if distance == 0 and loose == glued:
                continue  # an exact spelling would have been found as a key
            if best is None or distance < best[1]:
                best = (w, distance, target)
        return best


def blocked_by(spans: list[Span], words: list[Span]) -> set[int]:
    """Token positions a misspelling may not use: exact terms, and other organisations' words."""
    blocked: set[int] = set()
    for span in spans:
        blocked.update(range(span.start, span.end))
    for span in words:
        if span.term.kind == THIRD_PARTY:
            blocked.update(range(span.start, span.end))
    return blocked
