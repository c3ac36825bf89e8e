"""Search query planning: brand names × platform site filters × scam phrases, most valuable first."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from monitor.settings import BrandSettings

# Platform filters and how far each is pushed back in the plan. Facebook is where most fakes of
# the office live; the open web (fake portals) and TikTok come next, then Zalo, Telegram, YouTube.
SITES: tuple[tuple[str | None, int], ...] = (
    ("facebook.com", 0),
    ("tiktok.com", 1),
    (None, 1),
    ("zalo.me", 3),
    ("t.me", 3),
    ("youtube.com", 3),
)
# Every extra page of a query weighs like two steps down the name list: a second page of one
# query finds less than the first page of another.
PAGE_PENALTY = 2
# Engines cut longer queries (Brave: 400 characters); longer terms are not names anyway.
MAX_QUERY_CHARS = 380
MAX_TERM_CHARS = 120
# Only the first entries of each list can make it into a plan; bounding them bounds the work.
MAX_TERMS = 50
# No engine pages deeper usefully (Brave stops at offset 9, Custom Search at result 100).
MAX_PAGES = 10


@dataclass(frozen=True)
class Query:
    """One search: the text sent to the engine, what it was built from, and which result page."""

    text: str
    site: str | None = None
    phrase: str | None = None
    page: int = 1
    name: str = ""


def plan(brand: BrandSettings, max_queries: int, *, pages: int = 1) -> list[Query]:
    """At most `max_queries` distinct queries for `brand`, the most valuable first.

    A query's weight is the position of its name in the brand profile (official name first),
    plus its site's penalty (SITES), plus 1 + the position of its scam phrase when it has one,
    plus PAGE_PENALTY per page after the first; ties go to fewer phrases, earlier names, then
    the order of SITES. Open-web queries exclude the brand's official domains. The brand's
    `search_phrases` are searched as written, right after its first name.
    """
    if max_queries <= 0:
        return []
    limit = min(max_queries, MAX_TERMS)
    names = _terms(brand.all_names, limit)
    phrases = [p for p in _terms(brand.scam_phrases, limit) if _key(p) not in {_key(n) for n in names}]
    custom = _terms(brand.search_phrases, limit)
    excluded = _exclusions(brand.official_domains)
    pages = max(1, min(pages, MAX_PAGES))

    # Queries are ranked by key alone, a band of weights at a time, and the text of a query is
    # only written when its turn comes: most combinations rank below `max_queries`. Every key
    # with a lower weight ranks before the band, so the bands keep the order of one full sort.
    phrase_options: list[str | None] = [None, *phrases]
    shape = _Shape(len(names), len(phrase_options), len(custom), pages)
    chosen: list[Query] = []
    seen: set[tuple[str, int]] = set()
    low, high = -1, 3
    while low < shape.top:
        for _, page, phrase_index, name_index, site_index, custom_index in shape.band(low, high):
            site = SITES[site_index][0]
            if name_index < 0:
                terms = custom[custom_index]
                query = Query(_text(site, [terms], excluded), site, None, page, terms)
            else:
                name, phrase = names[name_index], phrase_options[phrase_index]
                text = _text(site, [f'"{name}"'] + ([f'"{phrase}"'] if phrase else []), excluded)
                query = Query(text, site, phrase, page, name)
            key = (_key(query.text), query.page)
            if len(query.text) > MAX_QUERY_CHARS or key in seen:
                continue
            seen.add(key)
            chosen.append(query)
            if len(chosen) == max_queries:
                return chosen
        low, high = high, 2 * high + 1
    return chosen


@dataclass(frozen=True)
class _Shape:
    """How many names, phrase options (none first), custom phrases and pages a plan combines."""

    names: int
    phrases: int
    custom: int
    pages: int

    @property
    def top(self) -> int:
        """Above every weight of the plan."""
        most = max(penalty for _, penalty in SITES)
        return self.names + self.phrases + self.custom + most + PAGE_PENALTY * self.pages + 2

    def band(self, low: int, high: int) -> list[tuple[int, int, int, int, int, int]]:
        """The keys weighing more than `low` and at most `high`, in plan order.

        A key is (weight, page, phrase_index, name_index, site_index, custom_index): a custom
        phrase has name_index -1; the first five tell any two keys apart."""
        keys: list[tuple[int, int, int, int, int, int]] = []
        for page in range(1, self.pages + 1):
            extra = PAGE_PENALTY * (page - 1)
            for site_index, (_, penalty) in enumerate(SITES):
                for phrase_index in range(self.phrases):
                    base = penalty + (phrase_index and phrase_index + 1) + extra
                    if base > high:
                        break  # later phrases weigh more still
                    for name_index in range(max(0, low + 1 - base), min(self.names, high + 1 - base)):
                        keys.append((base + name_index, page, phrase_index, name_index, site_index, 0))
                start = penalty + extra
                for custom_index in range(max(0, low - start), min(self.custom, high - start)):
                    keys.append((1 + custom_index + start, page, 0, -1, site_index, custom_index))
        keys.sort()
        return keys


def name_plan(brand: BrandSettings, max_queries: int) -> list[Query]:
    """The brand's names and search phrases as plain queries (for engines without site filters)."""
    if max_queries <= 0:
        return []
    names = _terms(brand.all_names, min(max_queries, MAX_TERMS))
    custom = _terms(brand.search_phrases, min(max_queries, MAX_TERMS))
    ordered = [*names[:1], *custom, *names[1:]]
    unique = list(dict.fromkeys(ordered))
    return [Query(text, name=text) for text in unique[:max_queries]]


def _clean(term: str) -> str:
    # Quotes would end the engine's phrase early; control characters mean nothing to it.
    text = "".join(ch for ch in term if unicodedata.category(ch) not in ("Cc", "Cf", "Cs") and ch != '"')
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _terms(values: list[str], limit: int) -> list[str]:
    out: dict[str, str] = {}
    for value in values[:MAX_TERMS]:
        term = _clean(value)
        if term and len(term) <= MAX_TERM_CHARS:
            out.setdefault(_key(term), term)
        if len(out) >= limit:
            break
    return list(out.values())


def _exclusions(domains: list[str]) -> list[str]:
    """Official domains to leave out of open-web searches; a parent domain covers its subdomains."""
    unique = list(dict.fromkeys(d.strip().lower().strip(".") for d in domains if d.strip(" .")))
    return [d for d in unique if not any(d.endswith("." + other) for other in unique)]


def _text(site: str | None, terms: list[str], excluded: list[str]) -> str:
    if site:
        return " ".join([f"site:{site}", *terms])
    return " ".join([*terms, *(f"-site:{d}" for d in excluded)])
