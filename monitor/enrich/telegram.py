"""Telegram pages: t.me/<name> (channel, group, user, bot, unused name) and the t.me/s/<name> preview."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.enrich.markup import (
    absolute,
    anchors,
    attr,
    canonical_url,
    favicon_url,
    first_text,
    meta_tags,
    node_text,
    og_tags,
    page_title,
    parse_html,
    visible_text,
)
from monitor.enrich.page import (
    MAX_DESCRIPTION,
    MAX_EXCERPT,
    MAX_LINKS,
    MAX_NAME,
    MAX_POST,
    MAX_POSTS,
    PageInfo,
    optional,
    parse_count,
)
from monitor.enrich.walls import telegram_unused

PLATFORM = "telegram"
_HANDLE = re.compile(r"^@?([A-Za-z][A-Za-z0-9_]{2,63})$")
_TITLE_HANDLE = re.compile(
    r"^telegram: (?:contact|view|launch|join group chat with) @([A-Za-z0-9_]{3,64})$", re.I
)


def extract(html: str, url: str) -> PageInfo:
    """Everything a public t.me page shows about the name in `url`."""
    tree = parse_html(html)
    meta = meta_tags(tree)
    if tree.css_first(".tgme_channel_info") is not None:
        info = _preview(tree, url)
    else:
        info = _profile(tree, url, html)
    handle = info.handle or _handle_from_meta(meta) or _handle_from_url(url)
    return PageInfo(
        platform=PLATFORM,
        url=url,
        kind=info.kind,
        title=info.title or (None if info.kind == "unused" else optional(meta.get("og:title"))),
        handle=handle,
        description=info.description,
        followers=info.followers,
        verified=info.verified,
        posts=info.posts,
        links=info.links,
        labels=info.labels,
        og=og_tags(meta),
        canonical_url=canonical_url(tree, meta, url),
        image_url=absolute(url, meta.get("og:image", "")),
        favicon_url=favicon_url(tree, url),
        text_excerpt=visible_text(tree, MAX_EXCERPT),
    )


def _preview(tree: LexborHTMLParser, url: str) -> PageInfo:
    """t.me/s/<name>: only channels have one, with counters, a description and recent posts."""
    header = tree.css_first(".tgme_channel_info_header")
    followers = None
    for counter in tree.css(".tgme_channel_info_counter"):
        kind = first_text(counter, ".counter_type", 40).lower()
        if any(word in kind for word in ("subscriber", "member", "người")):
            followers = parse_count(first_text(counter, ".counter_value", 40))
            break
    description = tree.css_first(".tgme_channel_info_description")
    posts, links = _posts(tree, url)
    return PageInfo(
        platform=PLATFORM,
        url=url,
        kind="channel",
        title=optional(first_text(tree, ".tgme_channel_info_header_title", MAX_NAME)),
        handle=_clean_handle(first_text(tree, ".tgme_channel_info_header_username", 80)),
        description=optional(
            node_text(description, MAX_DESCRIPTION, multiline=True), MAX_DESCRIPTION, multiline=True
        ),
        followers=followers,
        verified=header is not None and header.css_first(".verified-icon") is not None,
        posts=posts,
        links=tuple(anchors(description, url, MAX_LINKS) + links)[:MAX_LINKS],
        labels=_labels(header),
    )


def _posts(tree: LexborHTMLParser, url: str) -> tuple[tuple[str, ...], list[str]]:
    texts: list[str] = []
    links: list[str] = []
    # The preview lists oldest first; officers want the newest.
    for message in reversed(tree.css("div.tgme_widget_message")):
        body = message.css_first(".tgme_widget_message_text")
        links.extend(link for link in anchors(body, url, 5) if link not in links)
        text = node_text(body, MAX_POST, multiline=True)
        if text:
            texts.append(text)
        if len(texts) >= MAX_POSTS:
            break
    return tuple(texts), links[:MAX_LINKS]


def _profile(tree: LexborHTMLParser, url: str, html: str) -> PageInfo:
    """t.me/<name>: the card of a channel, group, user or bot, or the bare page of an unused name."""
    title_node = tree.css_first(".tgme_page_title")
    if title_node is None and telegram_unused(html.lower()):
        link = first_text(tree, ".tgme_username_link", 80)
        return PageInfo(platform=PLATFORM, url=url, kind="unused", handle=_clean_handle(link))
    handle = None
    followers = None
    extras = []
    for node in tree.css(".tgme_page_extra"):
        text = node_text(node, 200)
        if _HANDLE.match(text):
            handle = _clean_handle(text)
        else:
            extras.append(text.lower())
            followers = followers if followers is not None else parse_count(text)
    button = first_text(tree, ".tgme_page_action .tgme_action_button_new", 60).lower()
    title = node_text(title_node.css_first("span") or title_node, MAX_NAME) if title_node else ""
    page_title_text = page_title(tree, MAX_NAME)
    description = tree.css_first(".tgme_page_description")
    return PageInfo(
        platform=PLATFORM,
        url=url,
        kind=_kind(tree, button, extras, page_title_text, handle),
        title=optional(title),
        handle=handle,
        description=optional(
            node_text(description, MAX_DESCRIPTION, multiline=True), MAX_DESCRIPTION, multiline=True
        ),
        followers=followers,
        verified=title_node is not None and title_node.css_first(".verified-icon") is not None,
        links=tuple(anchors(description, url, MAX_LINKS)),
        labels=_labels(title_node),
    )


def _kind(tree: LexborHTMLParser, button: str, extras: list[str], title: str, handle: str | None) -> str:
    joined = " ".join(extras)
    if "start bot" in button or title.lower().startswith("telegram: launch @") or "monthly user" in joined:
        return "bot"
    has_preview = any(
        attr(link, "href").startswith(("/s/", "https://t.me/s/")) for link in tree.css(".tgme_page a[href]")
    )
    if has_preview or "subscriber" in joined:
        return "channel"
    if "member" in joined or "online" in joined:
        return "group"
    if "send message" in button or handle is not None:
        return "user"
    return "page"


def _labels(node: LexborNode | None) -> tuple[str, ...]:
    """Platform warnings shown next to the name (SCAM, FAKE)."""
    if node is None:
        return ()
    found: list[str] = []
    for child in node.css("i, span"):
        marks = f"{attr(child, 'class')} {node_text(child, 20)}".lower()
        for label in ("scam", "fake"):
            if label in marks and label not in found:
                found.append(label)
    return tuple(found)


def _clean_handle(text: str) -> str | None:
    match = _HANDLE.match(text.strip())
    return match.group(1) if match else None


def _handle_from_meta(meta: dict[str, str]) -> str | None:
    for key in ("al:android:url", "al:ios:url", "twitter:app:url:iphone"):
        value = meta.get(key, "")
        if value.startswith("tg://resolve?"):
            domain = parse_qs(value.split("?", 1)[1]).get("domain", [""])[0]
            found = _clean_handle(domain)
            if found:
                return found
    match = _TITLE_HANDLE.match(meta.get("og:title", ""))
    return match.group(1) if match else None


def _handle_from_url(url: str) -> str | None:
    try:
        parts = [part for part in urlsplit(url).path.split("/") if part]
    except ValueError:
        return None
    if parts and parts[0] == "s":
        parts = parts[1:]
    return _clean_handle(parts[0]) if parts else None
