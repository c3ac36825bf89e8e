"""HTML reading shared by the page extractors: parsing, meta tags, links, embedded JSON, visible text."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.enrich.page import MAX_META, MAX_META_VALUE, MAX_URL, clean_text
from monitor.html_guard import parse_html as guarded_parse

# Bodies are capped by the HTTP client already; this bounds direct callers too.
MAX_HTML = 8_000_000
# Stands for a <br> while source whitespace is collapsed (a private-use character).
_BREAK = "\ue000"
_WHITESPACE = re.compile(r"\s+")
# Elements whose text is never shown to a reader.
_HIDDEN = ("script", "style", "noscript", "template", "svg", "iframe", "object", "head")
# Walking embedded JSON stops after this many nodes: big pages stay fast, hostile ones bounded.
MAX_JSON_NODES = 200_000


def parse_html(html: str) -> LexborHTMLParser:
    """A lexbor tree of `html` (undecodable characters replaced first).

    Raises ParseLimitExceeded for markup too deep or too large to parse in bounded time.
    """
    text = html[:MAX_HTML] if isinstance(html, str) else ""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return guarded_parse(text)


def node_text(node: LexborNode | None, limit: int, *, multiline: bool = False) -> str:
    """The cleaned text of `node`; line breaks (<br>, block ends) kept when `multiline`."""
    if node is None:
        return ""
    if multiline:
        # As a browser shows it: source line breaks are spaces, only <br> breaks a line.
        for br in node.css("br"):
            br.replace_with(_BREAK)
        raw = node.text(deep=True, separator="", strip=False)
        raw = _WHITESPACE.sub(" ", raw).replace(_BREAK, "\n")
    else:
        raw = node.text(deep=True, separator=" ", strip=False)
    return clean_text(raw, limit, multiline=multiline)


def first_text(tree: LexborHTMLParser | LexborNode, selector: str, limit: int) -> str:
    """The cleaned text of the first element matching `selector`, or ""."""
    return node_text(tree.css_first(selector), limit)


def attr(node: LexborNode | None, name: str) -> str:
    """An attribute value, "" when the node or the attribute is missing."""
    if node is None:
        return ""
    value = node.attributes.get(name)
    return value if isinstance(value, str) else ""


def meta_tags(tree: LexborHTMLParser) -> dict[str, str]:
    """`<meta property|name|itemprop=... content=...>` as a dict, first occurrence wins, keys lower-case."""
    found: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        key = attr(node, "property") or attr(node, "name") or attr(node, "itemprop")
        key = clean_text(key, 100).lower()
        if not key or key in found:
            continue
        value = clean_text(attr(node, "content"), MAX_META_VALUE, multiline=True)
        if value:
            found[key] = value
        if len(found) >= MAX_META:
            break
    return found


def og_tags(meta: dict[str, str]) -> dict[str, str]:
    """The Open Graph subset of `meta`."""
    return {key: value for key, value in meta.items() if key.startswith("og:")}


def page_title(tree: LexborHTMLParser, limit: int) -> str:
    """The text of the first `<title>`."""
    return first_text(tree, "title", limit)


def absolute(base: str, href: str) -> str | None:
    """`href` resolved against `base`, only when the result is an http(s) URL of sane length."""
    href = clean_text(href, MAX_URL)
    if not href:
        return None
    try:
        joined = urljoin(base, href)
        scheme = urlsplit(joined).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https") or len(joined) > MAX_URL:
        return None
    return joined


def link_href(tree: LexborHTMLParser, rel: str, base: str) -> str | None:
    """The absolute href of the first `<link>` whose rel list contains `rel`."""
    for node in tree.css("link[rel][href]"):
        if rel in attr(node, "rel").lower().split():
            found = absolute(base, attr(node, "href"))
            if found:
                return found
    return None


def favicon_url(tree: LexborHTMLParser, base: str) -> str | None:
    """The declared icon (shortcut icon, icon, apple-touch-icon), else /favicon.ico of the site."""
    for rel in ("icon", "apple-touch-icon"):
        found = link_href(tree, rel, base)
        if found:
            return found
    return absolute(base, "/favicon.ico")


def canonical_url(tree: LexborHTMLParser, meta: dict[str, str], base: str) -> str | None:
    """`<link rel=canonical>`, else og:url."""
    return link_href(tree, "canonical", base) or absolute(base, meta.get("og:url", ""))


def anchors(node: LexborNode | None, base: str, limit: int) -> list[str]:
    """Absolute http(s) hrefs of the links under `node`, without repeats."""
    if node is None:
        return []
    found: list[str] = []
    for link in node.css("a[href]"):
        url = absolute(base, attr(link, "href"))
        if url and url not in found:
            found.append(url)
            if len(found) >= limit:
                break
    return found


def visible_text(tree: LexborHTMLParser, limit: int) -> str:
    """What a reader sees in the body, whitespace collapsed. Removes hidden elements from `tree`."""
    tree.strip_tags(list(_HIDDEN))
    body = tree.body
    if body is None:
        return ""
    return clean_text(body.text(deep=True, separator=" ", strip=False), limit)


def script_json(tree: LexborHTMLParser, selector: str) -> Any:
    """The JSON inside the first `<script>` matching `selector`; None when absent or broken."""
    node = tree.css_first(selector)
    if node is None:
        return None
    return loads(node.text(deep=True, separator="", strip=False))


def loads(text: str) -> Any:
    """json.loads that answers None for broken or absurdly nested input."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def json_after(html: str, marker: re.Pattern[str]) -> Any:
    """The JSON value that starts right after the first match of `marker` (``var x = {...};``)."""
    found = marker.search(html)
    if found is None:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(html, found.end())
    except (ValueError, RecursionError):
        return None
    return value


def walk(value: Any, limit: int = MAX_JSON_NODES) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair inside nested JSON, breadth first, at most `limit` of them."""
    queue: deque[tuple[str | None, Any]] = deque([(None, value)])
    seen = 0
    while queue and seen < limit:
        key, item = queue.popleft()
        seen += 1
        yield key, item
        if isinstance(item, dict):
            queue.extend((str(k), v) for k, v in item.items())
        elif isinstance(item, list):
            queue.extend((key, v) for v in item)


def find_dict(value: Any, *keys: str) -> dict[str, Any] | None:
    """The first dict inside `value` that has every one of `keys`."""
    for _, item in walk(value):
        if isinstance(item, dict) and all(key in item for key in keys):
            return item
    return None


def dig(value: Any, *path: str) -> Any:
    """value[path[0]][path[1]]..., None as soon as a step is missing or not a dict."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}
