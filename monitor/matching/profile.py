"""A brand compiled for matching: its terms, the other places and the lexicon, keyed by folded text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from monitor.matching.lexicon import lexicon
from monitor.matching.normalize import Normalized, Normalizer, is_syllable
from monitor.settings import BrandSettings

# Kinds of term, in order of precedence when two terms fold to the same key.
ORG = "organization"
LOCATION = "location"
SUB_UNIT = "sub_unit"
REGION = "region"
NATIONAL = "national"
OTHER_REGION = "other_region"
OTHER_LOCATION = "other_location"
THIRD_PARTY = "third_party"
SCAM = "scam"
CLAIM = "claim"
STAFF = "staff"
SERVICE = "service"
HEADLINE = "headline"
FILLER = "filler"
BRAND_KINDS = frozenset({ORG, LOCATION, SUB_UNIT, REGION})
ELSEWHERE_KINDS = frozenset({NATIONAL, OTHER_REGION, OTHER_LOCATION})

_ROMAN = (("x", 10), ("ix", 9), ("v", 5), ("iv", 4), ("i", 1))
_REGION_IN_NAME = re.compile(r"\bkhu vuc ([ivxl]+|\d+)\b")
_plain = Normalizer(literal=True)


def roman(number: int) -> str:
    out = ""
    for letters, value in _ROMAN:
        while number >= value:
            out += letters
            number -= value
    return out


def _roman_value(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    for number in range(1, 60):
        if roman(number) == text:
            return number
    return None


@lru_cache(maxsize=20_000)
def _term(text: str) -> Normalized:
    """A term as written in config or data, read once (compiling a brand reads each often)."""
    return _plain.normalize(text)


def tokens_of(text: str) -> tuple[str, ...]:
    """Folded tokens of a term as written in config or data."""
    return _term(text).tokens


def marks_of(text: str) -> tuple[str, ...]:
    """Per folded token of a term, the syllable as written with its diacritics."""
    norm = _term(text)
    if len(norm.marks) != len(norm.tokens):
        return ()
    return tuple(mark or token for mark, token in zip(norm.marks, norm.tokens, strict=True))


@dataclass(frozen=True, slots=True)
class Term:
    """Something a run of tokens can be: the brand's organisation, a place, a scam phrase ..."""

    kind: str
    label: str  # as written in config or data, with diacritics
    tokens: tuple[str, ...]
    category: str = ""  # third-party category; "specific"/"generic" for scam phrases
    # Per token, the syllable as written with its diacritics, for the agreement checks of
    # negative evidence (see `prepare.agrees`); empty when unknown.
    marks: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FuzzyTarget:
    """A brand term also recognised when misspelt."""

    kind: str  # ORG or LOCATION
    label: str
    key: str  # folded, glued
    min_tokens: int
    max_tokens: int
    max_distance: int


@dataclass(frozen=True)
class BrandProfile:
    """Everything the matcher needs about one brand, compiled once from its settings."""

    slug: str
    name: str
    brand_keys: dict[str, Term]  # the brand's own terms: organisation, place, units, region
    place_keys: dict[str, Term]  # places elsewhere: other provinces, districts, regions, country
    word_keys: dict[str, Term]  # lexicon and scam phrases
    brand_prefixes: frozenset[str]
    place_prefixes: frozenset[str]
    word_prefixes: frozenset[str]
    fuzzy: tuple[FuzzyTarget, ...]
    normalizer: Normalizer
    brand_names: frozenset[tuple[str, ...]]
    legitimate_names: dict[tuple[str, ...], str]
    domains: tuple[str, ...]  # official domains and those of legitimate look-alikes
    handles: frozenset[str]  # "platform:identity" and bare identities, lower case
    hotlines: frozenset[str]
    owns_social_accounts: bool
    filler_tokens: frozenset[str]
    # The brand's places that are also the names of districts elsewhere: label -> those provinces
    # ("Tân Uyên" is a town of Bình Dương and a district of Lai Châu).
    shared_places: dict[str, frozenset[str]]
    # Places whose office the brand's office belongs to ("Hồ Chí Minh" once Bình Dương merged
    # into it): "BHXH TP.HCM - cơ sở Bình Dương" names the brand, not another place.
    parents: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, brand: BrandSettings) -> BrandProfile:
        """Compile a brand from config (pure; the shipped data files are read once)."""
        return _Builder(brand).build()

    def content(self, tokens: Iterable[str]) -> tuple[str, ...]:
        """Tokens without administrative and link words, to compare whole names."""
        return tuple(t for t in tokens if t not in self.filler_tokens)

    def allowlisted(self, url: str | None, identity: str | None) -> str | None:
        """The official or legitimate domain/handle the candidate belongs to, if any."""
        host = host_of(url) if url else None
        if host:
            for domain in self.domains:
                if host == domain or host.endswith("." + domain):
                    return domain
        if identity:
            handle = _handle(identity)
            if handle in self.handles or handle.split(":", 1)[-1] in self.handles:
                return identity.strip()
        return None


def host_of(url: str) -> str | None:
    """The lower-case host of a URL or bare domain; None when there is none."""
    text = url.strip()[:2048]
    if "://" not in text:
        text = "http://" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    if host.startswith("xn--") or ".xn--" in host:
        try:
            host = host.encode("ascii").decode("idna")
        except UnicodeError:
            return host
    return host.removeprefix("www.")


def _handle(identity: str) -> str:
    platform, sep, ident = identity.strip().lower().partition(":")
    if not sep:
        return platform.lstrip("@")
    return f"{platform.strip()}:{ident.strip().lstrip('@')}"


class _Builder:
    def __init__(self, brand: BrandSettings) -> None:
        self.brand = brand
        self.brand_keys: dict[str, Term] = {}
        self.word_keys: dict[str, Term] = {}
        self.shared: dict[str, set[str]] = {}
        self.alias_labels: dict[str, list[str]] = {}

    def _add(
        self, table: dict[str, Term], kind: str, label: str, category: str = "", spelled: str | None = None
    ) -> None:
        """Key a term by its glued folded tokens (`spelled` when the key text differs from the label)."""
        text = spelled if spelled is not None else label
        tokens = tokens_of(text)
        if not tokens:
            return
        key = "".join(tokens)
        marks = marks_of(text)
        table.setdefault(key, Term(kind, label, tokens, category, marks))
        if "đ" in key:
            plain = key.replace("đ", "d")
            # An ASCII spelling of a place elsewhere must not take a key of the brand ("BĐ" vs "BD").
            if plain not in self.brand_keys or self.brand_keys[plain].kind not in BRAND_KINDS:
                table.setdefault(
                    plain, Term(kind, label, tuple(t.replace("đ", "d") for t in tokens), category, marks)
                )

    def build(self) -> BrandProfile:
        brand, lex = self.brand, lexicon()
        synonyms = {"".join(tokens_of(k)): vs for k, vs in lex.organization_synonyms.items()}
        for term in brand.organization_terms:
            self._add(self.brand_keys, ORG, term)
            for synonym in synonyms.get("".join(tokens_of(term)), ()):
                self._add(self.brand_keys, ORG, synonym)
        for term in brand.location_terms:
            self._add(self.brand_keys, LOCATION, term)
        for term in brand.sub_units:
            self._add(self.brand_keys, SUB_UNIT, term)
        ours = {k for k, t in self.brand_keys.items() if t.kind in (LOCATION, SUB_UNIT)}
        self._regions(lex.region_count, lex.region_words)
        for name in lex.national:
            self._add(self.brand_keys, NATIONAL, name)
        self._places(ours)
        words = self.word_keys
        for label in brand.scam_phrases:
            generic = "".join(tokens_of(label)) in {"".join(tokens_of(g)) for g in lex.scam_generic}
            self._add(words, SCAM, label, "generic" if generic else "specific")
        for label in lex.scam_specific:
            self._add(words, SCAM, label, "specific")
        for label in lex.scam_generic:
            self._add(words, SCAM, label, "generic")
        for category, labels in lex.third_party.items():
            for label in labels:
                self._add(words, THIRD_PARTY, label, category)
        # Every province has its newspaper, "Báo <province>" ("báo" alone folds like "bảo").
        for unit in lex.units:
            if unit.kind == "province":
                self._add(words, THIRD_PARTY, f"Báo {unit.name}", "newspaper")
        for label in lex.claims:
            self._add(words, CLAIM, label)
        for label in lex.staff:
            self._add(words, STAFF, label)
        for label in lex.headline_strong:
            self._add(words, HEADLINE, label, "strong")
        for label in lex.headline:
            self._add(words, HEADLINE, label)
        for label in lex.service:
            self._add(words, SERVICE, label)
        for label in lex.filler:
            self._add(words, FILLER, label)
        return self._profile()

    def _regions(self, count: int, words: tuple[str, ...]) -> int | None:
        found = _REGION_IN_NAME.search(" ".join(" ".join(tokens_of(n)) for n in self.brand.all_names))
        ours = _roman_value(found.group(1)) if found else None
        for number in range(1, count + 1):
            kind = REGION if number == ours else OTHER_REGION
            label = f"khu vực {roman(number).upper()}"
            for word in words:
                word_tokens = tokens_of(word)
                for form in {roman(number), str(number), f"{number:02d}"}:
                    key = "".join(word_tokens) + form
                    self.brand_keys.setdefault(key, Term(kind, label, (*word_tokens, form)))
        return ours

    def _places(self, ours: set[str]) -> None:
        lex = lexicon()
        our_provinces = {
            u.name for u in lex.units if u.kind == "province" and "".join(tokens_of(u.name)) in ours
        }
        table = self.brand_keys
        province_of: dict[str, str] = {}
        for unit in lex.units:
            key = "".join(tokens_of(unit.name))
            province_of.setdefault(key, unit.province or unit.name)
            if key in ours:
                if unit.kind == "district" and not our_provinces & {unit.province}:
                    self.shared.setdefault(table[key].label, set()).add(unit.province)
                continue
            if our_provinces & {unit.name, unit.province}:
                continue
            if unit.kind == "province":
                self._add(table, OTHER_LOCATION, unit.name, unit.name)
                continue
            label = f"{unit.unit_type} {unit.name} ({unit.province})"
            if len(tokens_of(unit.name)) > 1:
                self._add(table, OTHER_LOCATION, label, unit.province, spelled=unit.name)
                continue
            # One-syllable or numbered units ("Quận 1", "Thành phố Vinh") count only with their type.
            self._add(table, OTHER_LOCATION, label, unit.province, spelled=f"{unit.unit_type} {unit.name}")
            short = {"Quận": "q", "Thành phố": "tp", "Thị xã": "tx", "Huyện": "h"}.get(unit.unit_type)
            if short:
                self._add(table, OTHER_LOCATION, label, unit.province, spelled=f"{short} {unit.name}")
        for place, aliases in lex.location_aliases.items():
            key = "".join(tokens_of(place))
            # Short names of the brand's own places are the brand's ("TDM" for Thủ Dầu Một).
            own = table[key] if key in ours else None
            if own is None and province_of.get(key, place) in our_provinces:
                continue
            for alias in aliases:
                label = f"{alias} ({place})"
                if own is not None:
                    self._add(table, own.kind, label, spelled=alias)
                else:
                    self._add(table, OTHER_LOCATION, label, province_of.get(key, place), spelled=alias)
                    self.alias_labels.setdefault(place, []).append(label)

    def _profile(self) -> BrandProfile:
        brand = self.brand
        vocabulary = (
            frozenset(
                token
                for table in (self.brand_keys, self.word_keys)
                for term in table.values()
                for token in term.tokens
            )
            | frozenset(self.brand_keys)
            | frozenset(k for k in self.word_keys if len(k) >= 4)
        )
        compounds = {k: t.tokens for table in (self.brand_keys, self.word_keys) for k, t in table.items()}
        # The words of regions, so that glued names reach them ("bhxhkhuvuc4").
        regions = {"".join(tokens_of(w)): tokens_of(w) for w in lexicon().region_words}
        regions = {k: v for k, v in regions.items() if len(k) >= 4 and k.isalpha()}
        compounds.update({k: v for k, v in regions.items() if k not in compounds})
        vocabulary |= frozenset(regions) | frozenset(t for v in regions.values() for t in v)
        # Keys searched inside glued tokens: the brand's names and places, the regions, and the
        # offers and claims fake handles are glued from ("bhxhbdcskh", "hotrobhxhkhuvuciv").
        splitters = frozenset(
            k
            for k, t in (*self.brand_keys.items(), *self.word_keys.items())
            if t.kind in (ORG, LOCATION, SUB_UNIT, REGION, OTHER_REGION, SCAM, CLAIM)
            and len(k) >= 4
            and k.isalpha()
        ) | frozenset(regions)
        fuzzy = self._fuzzy()
        brand_tokens = {
            t for term in self.brand_keys.values() if term.kind in BRAND_KINDS for t in term.tokens
        }
        filler = (
            frozenset(
                term.tokens[0]
                for term in self.word_keys.values()
                if term.kind == FILLER and len(term.tokens) == 1
            )
            - brand_tokens
        )
        profile_names = {tuple(t for t in tokens_of(n) if t not in filler) for n in brand.all_names}
        legit = {tuple(t for t in tokens_of(i.name) if t not in filler): i.name for i in brand.legitimate}
        domains = [*brand.official_domains, *(d for item in brand.legitimate for d in item.domains)]
        handles = [*brand.official_handles, *(h for item in brand.legitimate for h in item.handles)]
        handle_set = {_handle(h) for h in handles} | {_handle(h).split(":", 1)[-1] for h in handles}
        own = {k: t for k, t in self.brand_keys.items() if t.kind in BRAND_KINDS}
        places = {k: t for k, t in self.brand_keys.items() if t.kind not in BRAND_KINDS}
        return BrandProfile(
            slug=brand.slug,
            name=brand.name,
            brand_keys=own,
            place_keys=places,
            word_keys=self.word_keys,
            brand_prefixes=_prefixes(own),
            place_prefixes=_prefixes(places),
            word_prefixes=_prefixes(self.word_keys),
            fuzzy=fuzzy,
            normalizer=Normalizer(vocabulary, compounds, splitters),
            brand_names=frozenset(profile_names),
            legitimate_names=legit,
            domains=tuple(dict.fromkeys(d.strip().lower().removeprefix("www.").rstrip(".") for d in domains)),
            handles=frozenset(handle_set),
            hotlines=frozenset(re.sub(r"\D", "", h) for h in brand.hotlines),
            owns_social_accounts=brand.owns_social_accounts,
            filler_tokens=filler,
            shared_places={label: frozenset(names) for label, names in self.shared.items()},
            parents=self._parents(),
        )

    def _parents(self) -> frozenset[str]:
        """Labels of the provinces named, beside the brand's organisation, in the names of
        legitimate bodies, and of their short names."""
        orgs = [t.tokens for t in self.brand_keys.values() if t.kind == ORG]
        found: set[str] = set()
        for body in self.brand.legitimate:
            tokens = tokens_of(body.name)
            if not any(_within(org, tokens) for org in orgs):
                continue
            for unit in lexicon().units:
                if unit.kind == "province" and _within(tokens_of(unit.name), tokens):
                    found.add(unit.name)
                    found.update(self.alias_labels.get(unit.name, ()))
        return frozenset(found)

    def _fuzzy(self) -> tuple[FuzzyTarget, ...]:
        """Brand terms also recognised misspelt: whole words get two edits, abbreviations one."""
        targets: list[FuzzyTarget] = []
        for key, term in self.brand_keys.items():
            if term.kind not in (ORG, LOCATION) or ("đ" in key and key.replace("đ", "d") in self.brand_keys):
                continue
            if len(key) >= 8 and all(is_syllable(t) or (len(t) >= 3 and t.isalpha()) for t in term.tokens):
                targets.append(FuzzyTarget(term.kind, term.label, key, 1, len(term.tokens) + 1, 2))
            elif 4 <= len(key) <= 5 and len(term.tokens) == 1:
                targets.append(FuzzyTarget(term.kind, term.label, key, 1, 1, 1))
        return tuple(targets)


def _within(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Whether `part` is a run of `whole`."""
    n = len(part)
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1)) if n else False


def _prefixes(table: dict[str, Term]) -> frozenset[str]:
    return frozenset(key[:i] for key in table for i in range(1, len(key)))
