"""From a merged candidate (and what its page showed) to a scored FindingData."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.candidates import Candidate
from monitor.enrich.enricher import Enrichment
from monitor.matching.matcher import Matcher, MatchResult
from monitor.matching.reasons import Reason
from monitor.settings import SourcesSettings
from monitor.store.findings import FindingData

# Below this pre-score (search name and snippet alone) a candidate's page is not worth a request.
ENRICH_FROM = 25
MAX_CONTEXT_CHARS = 4000
FETCHED_PLATFORMS = frozenset({"telegram", "tiktok", "youtube", "web"})


def page_url(platform: str, identity: str, url: str, sources: SourcesSettings) -> str | None:
    """Where to read a candidate's page; None for platforms that are never fetched.

    Telegram, TikTok and YouTube pages are read at the configured base URL (so tests and the
    demo can stand in for them); Facebook, Instagram, X and Zalo forbid automated collection
    in robots.txt and keep their search-result name and snippet.
    """
    key = identity.split(":", 1)[1] if ":" in identity else identity
    if platform == "telegram" and sources.telegram.enabled is not False:
        return f"{sources.telegram.url.rstrip('/')}/{key.split('/')[0]}"
    if platform == "tiktok" and sources.tiktok.enabled is not False and key.startswith("@"):
        return f"{sources.tiktok.url.rstrip('/')}/{key.split('/')[0]}"
    if platform == "youtube" and sources.youtube.enabled is not False:
        return f"{sources.youtube.url.rstrip('/')}/{key}"
    if platform == "web" and sources.web.enabled is not False:
        return url
    return None


def content_hash(enrichment: Enrichment | None) -> str | None:
    """A hash of what the account says about itself (name and bio), not of volatile markup."""
    if enrichment is None or enrichment.outcome != "content" or enrichment.page is None:
        return None
    page = enrichment.page
    material = "\x1f".join(
        " ".join(part.casefold().split()) for part in (page.title or "", page.description or "", page.kind)
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Judged:
    """A candidate with its verdict."""

    data: FindingData
    result: MatchResult


def pre_score(matcher: Matcher, candidate: Candidate) -> MatchResult:
    return matcher.score(
        candidate.name,
        context=_context(candidate.snippets),
        url=candidate.url,
        identity=candidate.identity,
    )


def judge(
    matcher: Matcher,
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
        page=_page_state(enrichment),
        content_hash=content_hash(enrichment),
    )
    return Judged(data, result)


def _allowlisted(result: MatchResult) -> bool:
    return any(reason.code == "allowlisted" for reason in result.reasons)


def _page_state(enrichment: Enrichment | None) -> str:
    return "not_fetched" if enrichment is None else enrichment.outcome


def _context(texts: list[str]) -> str:
    return " \n".join(texts)[:MAX_CONTEXT_CHARS]
