"""Rendering helpers: the Jinja2 environment, safe display text and links."""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.i18n import Language
from monitor.notify.texts import text

# Names longer than this are cut in mails: a 10,000-character name only hides what matters.
MAX_DISPLAY_CHARS = 200
MAX_URL_DISPLAY_CHARS = 300
# Bidi overrides and isolates can make a name read backwards ("moc.kooBecaf").
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def display(value: object, limit: int = MAX_DISPLAY_CHARS) -> str:
    """One line of printable text: no control, bidi or lone surrogate characters, at most `limit`."""
    raw = "" if value is None else str(value)
    kept = []
    for ch in raw:
        if ch.isspace():
            kept.append(" ")
        elif ch in _BIDI:
            continue
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            if unicodedata.category(ch) == "Cs":
                kept.append("\ufffd")
        else:
            kept.append(ch)
    cleaned = unicodedata.normalize("NFC", " ".join("".join(kept).split()))
    if len(cleaned) > limit:
        return cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def json_safe(value: str) -> str:
    """Text that encodes to UTF-8: lone surrogates become U+FFFD; JSON escapes control characters."""
    return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)


def safe_href(url: str | None) -> str | None:
    """The URL when it may be a link in a mail (http or https with a host); otherwise None."""
    if not url or len(url) > 4096:
        return None
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cs") for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


@cache
def environment() -> Environment:
    """Templates of this package; HTML autoescaped, so hostile names never become markup."""
    env = Environment(
        loader=PackageLoader("monitor.notify", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["href"] = safe_href
    env.filters["display"] = display
    return env


def render(template: str, lang: Language, **context: Any) -> str:
    """Render a template with `t(key, **values)` bound to `lang`."""

    def t(key: str, **values: Any) -> str:
        return text(key, lang, **values)

    return environment().get_template(template).render(t=t, lang=lang, **context)
