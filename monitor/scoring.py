"""From a merged candidate (and what its page showed) to a scored FindingData."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from monitor.candidates import MAX_IDENTITY_CHARS, Candidate
from monitor.enrich.enricher import Enrichment
from monitor.matching.matcher import Matcher, MatchResult
from monitor.matching.profile import BrandProfile
from monitor.matching.reasons import Reason
from monitor.page_state import page_note, page_state
from monitor.settings import BrandSettings, SourcesSettings
from monitor.store.findings import FindingData

# Below this pre-score (search name and snippet alone) a candidate's page is not worth a request.
ENRICH_FROM = 25
MAX_CONTEXT_CHARS = 4000
# Remembered judgements per brand, and brands per process (a daemon scans the same ones again).
SCORE_MEMORY = 50_000
BRAND_MEMORY = 64
FETCHED_PLATFORMS = frozenset({"telegram", "tiktok", "youtube", "web"})


# The origins candidates.canonical() writes into a candidate's URL, per fetched platform.
CANONICAL_ORIGINS = {
    "telegram": "https://t.me",
    "tiktok": "https://www.tiktok.com",
    "youtube": "https://www.youtube.com",
}


def page_url(platform: str, identity: str, url: str, sources: SourcesSettings) -> str | None:
    """Where to read a candidate's page; None for platforms that are never fetched.

    Telegram, TikTok and YouTube pages are read at the configured base URL (so tests and the
    demo can stand in for them), at the path the platform gives each kind of identity; a kind
    without a page of its own (a post, a short link) is read at its original result URL.
    Facebook, Instagram, X and Zalo forbid automated collection in robots.txt and keep their
    search-result name and snippet.
    """
    if platform == "web":
        return url if sources.web.enabled is not False else None
    settings = {"telegram": sources.telegram, "tiktok": sources.tiktok, "youtube": sources.youtube}.get(
        platform
    )
    if settings is None or settings.enabled is False:
        return None
    base = settings.url.rstrip("/")
    prefix = f"{platform}:"
    if not identity.startswith(prefix) or len(identity) >= MAX_IDENTITY_CHARS:
        # A shortened key no longer holds the whole name: the result URL does.
        return _rebased(platform, url, base)
    path = _PATHS[platform](identity[len(prefix) :])
    return f"{base}{path}" if path is not None else _rebased(platform, url, base)


def _telegram_path(key: str) -> str | None:
    kind, _, value = key.partition(":")
    if not value:
        return f"/{_segment(key)}" if key else None  # telegram:<username>
    if kind in ("invite", "phone"):
        return f"/+{_segment(value)}"
    if kind == "c":
        return f"/c/{_segment(value)}"
    return None


def _youtube_path(key: str) -> str | None:
    if key.startswith("@"):
        return f"/@{_segment(key[1:])}" if len(key) > 1 else None
    kind, _, value = key.partition(":")
    if not value:
        return None
    if kind == "video":
        return f"/watch?v={quote(value, safe='')}"
    if kind in ("channel", "c", "user"):
        return f"/{kind}/{_segment(value)}"
    return None


def _tiktok_path(key: str) -> str | None:
    if key.startswith("@") and len(key) > 1:
        return f"/@{_segment(key[1:])}"
    return None  # short links (link:) and other paths are read where they were found


_PATHS: dict[str, Callable[[str], str | None]] = {
    "telegram": _telegram_path,
    "youtube": _youtube_path,
    "tiktok": _tiktok_path,
}


def _segment(value: str) -> str:
    return quote(value, safe="-._~@+")


def _rebased(platform: str, url: str, base: str) -> str:
    """The result URL, moved to the configured base when it is on the platform's own origin."""
    origin = CANONICAL_ORIGINS[platform]
    if url == origin or url.startswith((origin + "/", origin + "?")):
        return base + url[len(origin) :]
    return url


def content_hash(enrichment: Enrichment | None) -> str | None:
    """A hash of what the account says about itself (name and bio), not of volatile markup."""
    if enrichment is None or enrichment.outcome != "content" or enrichment.page is None:
        return None
    page = enrichment.page
    material = "\x1f".join(
        " ".join(part.casefold().split()) for part in (page.title or "", page.description or "", page.kind)
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


class Scores(Protocol):
    def score(
        self,
        name: str,
        *,
        context: str = "",
        url: str | None = None,
        identity: str | None = None,
        signals: Sequence[str] = (),
    ) -> MatchResult: ...


class Scorer:
    """A brand's matcher that remembers its answers: an identical name, text and page is scored once."""

    def __init__(self, matcher: Matcher, limit: int = SCORE_MEMORY) -> None:
        self.matcher = matcher
        self.limit = limit
        self._memory: dict[tuple[object, ...], MatchResult] = {}

    def score(
        self,
        name: str,
        *,
        context: str = "",
        url: str | None = None,
        identity: str | None = None,
        signals: Sequence[str] = (),
    ) -> MatchResult:
        key = (name, context, url, identity, tuple(signals))
        found = self._memory.get(key)
        if found is None:
            if len(self._memory) >= self.limit:
                self._memory.clear()
            found = self.matcher.score(name, context=context, url=url, identity=identity, signals=signals)
            self._memory[key] = found
        return found


_SCORERS: dict[str, Scorer] = {}


def scorer_for(brand: BrandSettings) -> Scorer:
    """The brand's scorer, kept for the process while the brand's settings stay the same."""
    key = brand.model_dump_json()
    found = _SCORERS.get(key)
    if found is None:
        if len(_SCORERS) >= BRAND_MEMORY:
            _SCORERS.clear()
        found = _SCORERS[key] = Scorer(Matcher(BrandProfile.from_settings(brand)))
    return found


@dataclass(frozen=True)
class Judged:
    """A candidate with its verdict."""

    data: FindingData
    result: MatchResult


def pre_score(matcher: Scores, candidate: Candidate) -> MatchResult:
    return matcher.score(
        candidate.name,
        context=_context(candidate.snippets),
        url=candidate.url,
        identity=candidate.identity,
    )


def judge(
    matcher: Scores,
    candidate: Candidate,
    enrichment: Enrichment | None,
    allowlisted: set[str],
    other_names: Sequence[str] = (),
) -> Judged:
    """Score the candidate by its search name, its page name when read, and any other name it
    goes by (a look-alike domain's own name); the strongest judgement wins."""
    signals = enrichment.signals if enrichment else []
    texts = list(candidate.snippets)
    page = enrichment.page if enrichment and enrichment.outcome == "content" else None
    if page is not None:
        texts.extend(part for part in (page.description or "", *page.posts[:5]) if part)
    context = _context(texts)
    if candidate.identity in allowlisted:
        result = MatchResult(
            0, "clear", (Reason("allowlisted", candidate.identity, 0),), candidate.name.casefold()
        )
    else:
        result = matcher.score(
            candidate.name, context=context, url=candidate.url, identity=candidate.identity, signals=signals
        )
        names = [page.title] if page is not None and page.title else []
        for other in dict.fromkeys([*names, *other_names]):
            if not other or other == candidate.name:
                continue
            alternative = matcher.score(
                other, context=context, url=candidate.url, identity=candidate.identity, signals=signals
            )
            if alternative.score > result.score or _allowlisted(alternative):
                result = alternative
    data = FindingData(
        brand=candidate.brand,
        platform=candidate.platform,
        identity=candidate.identity,
        url=candidate.url,
        name=candidate.name,
        score=result.score,
        verdict=result.verdict,
        reasons=[reason.to_dict() for reason in result.reasons],
        signals=signals,
        sources=frozenset(candidate.sources),
        page=_outcome(enrichment),
        content_hash=content_hash(enrichment),
        page_state=page_state(enrichment),
        page_note=page_note(enrichment),
    )
    return Judged(data, result)


def _allowlisted(result: MatchResult) -> bool:
    return any(reason.code == "allowlisted" for reason in result.reasons)


def _outcome(enrichment: Enrichment | None) -> str:
    return "not_fetched" if enrichment is None else enrichment.outcome


def _context(texts: list[str]) -> str:
    return " \n".join(texts)[:MAX_CONTEXT_CHARS]
