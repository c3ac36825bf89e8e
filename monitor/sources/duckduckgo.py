"""DuckDuckGo's HTML endpoint: form POST, `div.result` parsing, redirect unwrapping, block detection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.candidates import unwrap_redirect
from monitor.errors import BlockedError, ParseError, ParseLimitExceeded
from monitor.html_guard import parse_html
from monitor.queries import Query
from monitor.settings import DuckDuckGoSettings
from monitor.sources.base import Hit, Page, SearchSource, make_hit

if TYPE_CHECKING:
    from monitor.net.client import HttpClient

# Vietnamese results first; DuckDuckGo's region code for Viet Nam.
REGION = "vn-vi"
BASE_URL = "https://html.duckduckgo.com/html/"
# 401/403/429/451 from DuckDuckGo are refusals (the 2020 403 says "If this error persists...").
BLOCK_STATUSES = frozenset({401, 403, 429, 451})
# The bot challenge: an image puzzle in an "anomaly modal" posted back through #challenge-form.
_CHALLENGE_SELECTORS = ("form#challenge-form", ".anomaly-modal__title", "[class*='anomaly-modal']")
_CHALLENGE_TEXTS = ("error-lite@duckduckgo.com", "bots use duckduckgo too", "anomaly.js")

PageKind = Literal["results", "no_results", "blocked", "unknown"]


@dataclass
class DdgPage:
    """A parsed DuckDuckGo answer; `next_form` holds the fields that fetch the following page."""

    kind: PageKind
    hits: list[Hit] = field(default_factory=list)
    next_form: dict[str, str] | None = None
    reason: str = ""


def parse_page(markup: str, status: int = 200, base_url: str = BASE_URL) -> DdgPage:
    """Classify and parse an html.duckduckgo.com answer (2015 to 2026 layouts)."""
    if status in BLOCK_STATUSES:
        return DdgPage("blocked", reason=f"HTTP {status}")
    try:
        tree = parse_html(markup)
    except ParseLimitExceeded:  # markup too deep or too large to parse: a page not recognised
        return DdgPage("unknown", reason="parse_limit")
    if any(tree.css_first(selector) is not None for selector in _CHALLENGE_SELECTORS):
        return DdgPage("blocked", reason="challenge")
    hits = _hits(tree, base_url)
    if hits:
        return DdgPage("results", hits, _next_form(tree))
    # Text markers only count on a page without results, where they cannot be a stray mention.
    lowered = markup[:200_000].lower()
    if any(text in lowered for text in _CHALLENGE_TEXTS):
        return DdgPage("blocked", reason="challenge")
    if tree.css_first(".no-results, .result--no-result") is not None:
        return DdgPage("no_results")
    return DdgPage("unknown")


def _hits(tree: LexborHTMLParser, base_url: str) -> list[Hit]:
    hits: list[Hit] = []
    seen: set[int] = set()
    # `div.result` since 2020; `div.results_links_deep` in every layout (the only one in 2015).
    for node in tree.css("div.result, div.results_links_deep"):
        if node.mem_id in seen:
            continue
        seen.add(node.mem_id)
        classes = (node.attributes.get("class") or "").split()
        if "result--ad" in classes or "result--no-result" in classes:
            continue
        hit = _hit(node, base_url)
        if hit is not None:
            hits.append(hit)
    return hits


def _hit(node: LexborNode, base_url: str) -> Hit | None:
    link = node.css_first("a.result__a") or node.css_first("a.large") or node.css_first("h2 a")
    if link is None:
        return None
    href = (link.attributes.get("href") or "").strip()
    if not href:
        return None
    # 2020: "/l/?uddg=..."; 2025+: "//duckduckgo.com/l/?uddg=...&rut=..."; 2021: direct links.
    try:
        parts = urlsplit(href)
        target = dict(parse_qsl(parts.query)).get("uddg") if parts.path.startswith("/l/") else None
        if target and (not parts.netloc or parts.netloc.endswith("duckduckgo.com")):
            href = target
        url = unwrap_redirect(urljoin(base_url, href))
    except ValueError:  # e.g. a malformed IPv6 host: not a result anyone can open
        return None
    if "duckduckgo.com/y.js" in url:  # an advertisement
        return None
    snippet = node.css_first(".result__snippet") or node.css_first(".snippet")
    return make_hit(link.text(), url, snippet.text() if snippet is not None else "")


def _next_form(tree: LexborHTMLParser) -> dict[str, str] | None:
    """Hidden fields of the "Next" form (on later pages a "Previous" form comes first)."""
    best: dict[str, str] | None = None
    for form in tree.css("div.nav-link form"):
        fields: dict[str, str] = {}
        for field_node in form.css("input"):
            name = field_node.attributes.get("name")
            if name and (field_node.attributes.get("type") or "hidden").lower() == "hidden":
                fields[name] = field_node.attributes.get("value") or ""
        if "q" not in fields:
            continue
        offset = int(fields["s"]) if fields.get("s", "").isdigit() else 0
        best_offset = int(best["s"]) if best and best.get("s", "").isdigit() else -1
        if offset > best_offset:
            best = fields
    return best


class DuckDuckGoSource(SearchSource[DuckDuckGoSettings]):
    """html.duckduckgo.com: no key needed, but it answers bots with challenge pages."""

    key = "duckduckgo"
    title = "DuckDuckGo"
    # Later pages come through the form of the page before: a page is not shared between brands.
    shared_pages = False

    def __init__(self, settings: DuckDuckGoSettings, client: HttpClient, **kwargs: Any) -> None:
        super().__init__(settings, client, **kwargs)
        self._next: dict[str, dict[str, str]] = {}

    @classmethod
    def endpoints(cls, settings: DuckDuckGoSettings) -> list[str]:
        # A public web page, not an API: never trusted, it obeys robots.txt and the SSRF guard.
        return []

    def start_run(self) -> None:
        # Paging tokens belong to one run.
        self._next.clear()

    @property
    def max_pages(self) -> int:
        return self.settings.max_pages

    def missing(self) -> str | None:
        if not self.settings.url:
            return self.tr("chưa cấu hình url", "no url configured")
        return None

    async def search(self, query: Query) -> Page:
        if query.page == 1:
            form = {"q": query.text, "b": "", "kl": REGION}
        else:
            # DuckDuckGo pages only through the form of the page before (it carries a token).
            form = self._next.get(query.text) or {}
            if not form:
                return Page([])
        url = self.settings.url
        # Not trusted: the public site gets the SSRF guard and its robots.txt is honoured.
        response = await self.request("POST", url, data=form, trusted=False, robots=True)
        parsed = parse_page(response.text(), response.status, base_url=response.final_url or url)
        if parsed.kind == "blocked":
            raise BlockedError(url, self._blocked_reason(parsed.reason))
        self.check_status(response)
        if parsed.kind == "unknown":
            raise ParseError(
                self.tr(
                    "DuckDuckGo trả về trang không nhận ra (không có kết quả, không có thông báo "
                    "'không có kết quả'): có thể giao diện đã đổi",
                    "DuckDuckGo answered with a page not recognised (no results and no 'no results' "
                    "notice): its layout may have changed",
                )
            )
        if parsed.next_form:
            self._next[query.text] = parsed.next_form
        return Page(parsed.hits, fetched_at=response.fetched_at, has_more=parsed.next_form is not None)

    def _blocked_reason(self, detail: str) -> str:
        if detail == "challenge":
            return self.tr(
                "DuckDuckGo trả trang thử thách chống bot (anomaly/challenge)",
                "DuckDuckGo answered with its bot challenge page (anomaly/challenge)",
            )
        return self.tr(f"DuckDuckGo từ chối truy cập ({detail})", f"DuckDuckGo refused access ({detail})")
