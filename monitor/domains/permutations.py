"""Candidate look-alike domains of a brand: dnstwist fuzzers, Vietnamese keyword and gov.vn look-alike forms.

The official domains of a public office sit under gov.vn, which nobody else can register, so a
fuzzed label of a gov.vn domain is placed under each configured TLD instead ("baohiemxahoj.com").
The list comes back in priority order: when `sources.domains.max_names` cuts it, the forms fakes
actually use (keywords, gov.vn look-alikes, TLD swaps, dictionary words) are kept before typing
and bit-flip typos.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dnstwist  # type: ignore[import-untyped]

from monitor.domains.names import (
    fold,
    is_restricted,
    is_under,
    public_suffix,
    registrable,
    to_ascii,
    to_unicode,
)
from monitor.settings import BrandSettings

# Highest priority first; the tiers decide what `max_names` keeps: the forms fakes were seen
# using, then visual look-alikes, then typing and bit-flip typos.
TIERS = (
    ("keyword", "gov-lookalike", "tld-swap"),
    (
        "dictionary",
        "various",
        "homoglyph",
        "hyphenation",
        "addition",
        "omission",
        "repetition",
        "transposition",
        "vowel-swap",
        "subdomain",
        "plural",
    ),
    ("insertion", "replacement", "bitsquatting"),
)
FAMILIES = tuple(family for tier in TIERS for family in tier)
_RANK = {family: rank for rank, family in enumerate(FAMILIES)}
# Families computed by dnstwist itself (homoglyph and TLD swap are done here, see below).
TYPING_FAMILIES = frozenset({"insertion", "replacement", "bitsquatting"})
_DNSTWIST_FAMILIES = (
    "addition",
    "bitsquatting",
    "cyrillic",
    "hyphenation",
    "insertion",
    "omission",
    "plural",
    "repetition",
    "replacement",
    "subdomain",
    "transposition",
    "vowel-swap",
    "dictionary",
)

# Words of Vietnamese social-insurance e-services that fakes put in their domains.
SERVICE_WORDS = ("vssid", "dichvucong", "datlich")
# Bình Dương merged into Hồ Chí Minh City in 2025; fakes already use the city's short name.
EXTRA_PLACE_WORDS = ("hcm",)
# How fakes write "gov.vn" inside a domain they can register (e.g. *.govvvn.com).
GOV_MARKERS = ("govvn", "gov-vn", "govvvn")
# TLDs cheap to register that fakes used (bhxh.co, baohiemxahoi.biz); tried only as TLD swaps.
EXTRA_SWAP_TLDS = ("co", "biz", "cc", "asia", "me", "pro", "vip", "shop", "click", "link", "live")

# Vietnamese letters a .vn IDN may carry, for homoglyphs of .vn names.
_VIETNAMESE_GLYPHS = {
    "a": ("à", "á", "ả", "ã", "ạ", "ă", "â"),
    "d": ("đ",),
    "e": ("è", "é", "ẻ", "ẽ", "ẹ", "ê"),
    "i": ("ì", "í", "ỉ", "ĩ", "ị"),
    "o": ("ò", "ó", "ỏ", "õ", "ọ", "ô", "ơ"),
    "u": ("ù", "ú", "ủ", "ũ", "ụ", "ư"),
    "y": ("ỳ", "ý", "ỷ", "ỹ", "ỵ"),
}
_MAX_WORD = 40


@dataclass(frozen=True, slots=True)
class Permutation:
    """One candidate: `domain` in ASCII (punycode) form, `display` in Unicode, and its fuzzer family."""

    domain: str
    fuzzer: str
    display: str


@dataclass(frozen=True, slots=True)
class _Official:
    sub: str  # "binhduong" of binhduong.baohiemxahoi.gov.vn ("" for a registrable domain)
    label: str  # "baohiemxahoi"
    suffix: str  # "gov.vn"

    def homes(self, tlds: Sequence[str], family: str) -> list[str]:
        """Where fuzzed labels go: the own suffix, or configured TLDs for gov.vn-like ones.

        Keyboard and bit-flip typos catch people typing the official name, which ends in gov.vn
        whatever they mistype; they are kept under the first configured TLD only so that their
        volume does not crowd out the visual look-alikes fakes use.
        """
        if not is_restricted(self.suffix):
            return [self.suffix]
        return list(tlds[:1]) if family in TYPING_FAMILIES else list(tlds)


class _Collector:
    """Deduplicates names, keeps the best-ranked family of each and drops excluded ones."""

    def __init__(self, excluded: frozenset[str]) -> None:
        self.excluded = excluded
        self.items: dict[str, tuple[int, int, Permutation]] = {}

    def add(self, name: str, fuzzer: str) -> None:
        domain = to_ascii(name)
        if domain is None or is_restricted(domain) or is_under(domain, self.excluded):
            return
        if registrable(domain) is None:  # a bare public suffix such as "com.vn"
            return
        rank = _RANK[fuzzer]
        known = self.items.get(domain)
        if known is not None and known[0] <= rank:
            return
        seq = known[1] if known is not None else len(self.items)
        self.items[domain] = (rank, seq, Permutation(domain, fuzzer, to_unicode(domain)))

    def result(self) -> list[Permutation]:
        """Tier by tier; inside a tier the families take turns, so a cut shortens each evenly."""
        by_family: dict[str, list[Permutation]] = {}
        for _, _, permutation in sorted(self.items.values(), key=lambda item: (item[0], item[1])):
            by_family.setdefault(permutation.fuzzer, []).append(permutation)
        ordered: list[Permutation] = []
        for tier in TIERS:
            queues = [by_family.get(family, []) for family in tier]
            for turn in itertools.zip_longest(*queues):
                ordered += [p for p in turn if p is not None]
        return ordered


def generate(brand: BrandSettings, tlds: Sequence[str]) -> list[Permutation]:
    """Every candidate look-alike of the brand's domains, deduplicated, highest priority first."""
    homes = _clean_tlds(tlds)
    officials = [o for o in (_split(d) for d in brand.official_domains) if o is not None]
    excluded = frozenset(
        d for d in (to_ascii(x) for x in [*brand.official_domains, *_allowlisted(brand)]) if d
    )
    org = _words([*(o.label for o in officials), *brand.organization_terms])
    places = _words([*brand.location_terms, *EXTRA_PLACE_WORDS])
    service = [w for w in _words([*SERVICE_WORDS, *(o.sub for o in officials)]) if w not in places]
    out = _Collector(excluded)
    _keywords(out, org, service, places, homes)
    _gov_lookalikes(out, officials, org, homes)
    for word in org:
        for tld in EXTRA_SWAP_TLDS:
            out.add(f"{word}.{tld}", "tld-swap")
    for official in officials:
        _tld_swaps(out, official, [*homes, *EXTRA_SWAP_TLDS])
        spellings = [s for s in _spellings(brand) if fold(s) == official.label]
        _fuzz(out, official, homes, [*service, *places, *org], spellings)
    return out.result()


def _spellings(brand: BrandSettings) -> list[str]:
    """Names of the brand written with Vietnamese letters, as an IDN label: "bảohiểmxãhội"."""
    texts = [*brand.organization_terms, *brand.all_names]
    return list(dict.fromkeys("".join(t.lower().split()) for t in texts if not t.isascii()))


def _allowlisted(brand: BrandSettings) -> list[str]:
    return [domain for legit in brand.legitimate for domain in legit.domains]


def _clean_tlds(tlds: Iterable[str]) -> list[str]:
    cleaned = (to_ascii("x." + tld.strip().strip(".")) for tld in tlds if tld.strip().strip("."))
    return list(dict.fromkeys(t[2:] for t in cleaned if t))


def _split(domain: str) -> _Official | None:
    host = to_ascii(domain)
    base = registrable(host) if host else None
    if host is None or base is None:
        return None
    suffix = public_suffix(host)
    label = base[: -len(suffix) - 1]
    sub = host[: -len(base) - 1] if host != base else ""
    return _Official(sub=sub, label=label, suffix=suffix)


def _words(texts: Iterable[str]) -> list[str]:
    """Folded words worth composing: ASCII letters/digits, short enough for a domain label."""
    words = (fold(text) for text in texts)
    return list(dict.fromkeys(w for w in words if 2 <= len(w) <= _MAX_WORD))


def _keywords(
    out: _Collector, org: list[str], service: list[str], places: list[str], tlds: list[str]
) -> None:
    """bhxh.com, bhxhbinhduong.vn, binhduong-bhxh.top, binhduong.bhxh.xyz, dichvucongbaohiemxahoi.com..."""
    names: list[str] = [*org, *service]
    for word, base in itertools.product(service, org):
        names += [word + base, f"{word}-{base}", base + word, f"{base}-{word}", f"{word}.{base}"]
    for word, place in itertools.product([*org, *service], places):
        names += [word + place, f"{word}-{place}", place + word, f"{place}-{word}", f"{place}.{word}"]
        names.append(f"{word}.{place}")
    for name in names:
        for tld in tlds:
            out.add(f"{name}.{tld}", "keyword")


def _gov_lookalikes(out: _Collector, officials: list[_Official], org: list[str], tlds: list[str]) -> None:
    """govvvn.com, baohiemxahoi.govvn.com, bhxh-gov-vn.xyz, baohiemxahoi-gov.vn, baohiemxahoi.gov.vn.com..."""
    stems = list(dict.fromkeys([*(o.label for o in officials), *org]))
    dotted = list(dict.fromkeys(f"{o.sub}.{o.label}" for o in officials if o.sub))
    for tld in tlds:
        for marker in GOV_MARKERS:
            out.add(f"{marker}.{tld}", "gov-lookalike")
        for stem in [*stems, *dotted]:
            for marker in GOV_MARKERS:
                out.add(f"{stem}.{marker}.{tld}", "gov-lookalike")
            if not tld.endswith("vn"):
                out.add(f"{stem}.gov.vn.{tld}", "gov-lookalike")
        for stem in stems:
            for marker in (*GOV_MARKERS, "gov"):
                out.add(f"{stem}-{marker}.{tld}", "gov-lookalike")
                out.add(f"{stem}{marker.replace('-', '')}.{tld}", "gov-lookalike")


def _tld_swaps(out: _Collector, official: _Official, tlds: list[str]) -> None:
    for tld in tlds:
        if tld != official.suffix:
            out.add(f"{official.label}.{tld}", "tld-swap")
            if official.sub:
                out.add(f"{official.sub}.{official.label}.{tld}", "tld-swap")


def _fuzz(
    out: _Collector, official: _Official, tlds: list[str], words: list[str], spellings: list[str]
) -> None:
    """dnstwist's fuzzers on the label, under the official's own suffix or each configured TLD."""
    fuzzed = _dnstwist_labels(official.label, official.suffix, words)
    joined = [official.sub + official.label, f"{official.sub}-{official.label}"] if official.sub else []
    joined += [official.label + official.sub, f"{official.label}-{official.sub}"] if official.sub else []
    for tld in official.homes(tlds, "various"):
        for name in joined:
            out.add(f"{name}.{tld}", "various")
        glyphs = [*spellings, *_homoglyphs(official.label, tld)]
        labels = [("homoglyph", label) for label in glyphs]
        labels += [(family, label) for family, found in fuzzed.items() for label in found]
        for family, label in labels:
            if tld not in official.homes(tlds, family):
                continue
            out.add(f"{label}.{tld}", family)
            if official.sub:
                out.add(f"{official.sub}.{label}.{tld}", family)


def _dnstwist_labels(label: str, suffix: str, words: list[str]) -> dict[str, list[str]]:
    """Fuzzed labels per family, from dnstwist's Fuzzer (its domain split replaced by ours)."""
    fuzzer = dnstwist.Fuzzer(f"{label}.{suffix}", dictionary=words)
    fuzzer.subdomain, fuzzer.domain, fuzzer.tld = "", label, suffix
    fuzzer.generate(fuzzers=list(_DNSTWIST_FAMILIES))
    found: dict[str, set[str]] = {}
    tail = "." + suffix
    for permutation in fuzzer.domains:
        name = str(permutation["domain"])
        family = "homoglyph" if permutation["fuzzer"] == "cyrillic" else str(permutation["fuzzer"])
        if name.endswith(tail) and family in _RANK:
            found.setdefault(family, set()).add(name[: -len(tail)])
    return {family: sorted(labels) for family, labels in found.items()}


def _homoglyphs(label: str, tld: str) -> list[str]:
    """One look-alike character swapped in (dnstwist's glyph tables; Vietnamese letters for .vn).

    dnstwist's own homoglyph fuzzer swaps two characters and yields ~10,000 names for a
    12-letter label; one swap keeps what a reader mistakes at a glance.
    """
    if tld == "vn" or tld.endswith(".vn"):
        table: dict[str, tuple[str, ...]] = {**dnstwist.Fuzzer.glyphs_ascii}
        for char, glyphs in _VIETNAMESE_GLYPHS.items():
            table[char] = (*table.get(char, ()), *glyphs)
    else:
        idn = dnstwist.Fuzzer.glyphs_idn_by_tld.get(tld, dnstwist.Fuzzer.glyphs_unicode)
        table = {
            k: (*dnstwist.Fuzzer.glyphs_ascii.get(k, ()), *idn.get(k, ()))
            for k in {*dnstwist.Fuzzer.glyphs_ascii, *idn}
        }
    result: list[str] = []
    for i, char in enumerate(label):
        result += [label[:i] + glyph + label[i + 1 :] for glyph in table.get(char, ())]
    for i in range(len(label) - 1):
        pair = label[i : i + 2]
        result += [label[:i] + glyph + label[i + 2 :] for glyph in table.get(pair, ())]
    return list(dict.fromkeys(result))
