"""Secrets out of text: passwords and tokens in URLs masked, configured secret values scrubbed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus, urlsplit

from pydantic import BaseModel, SecretStr

from monitor.log import MASK, mask_text

# Shorter values would mask ordinary words of a message; real keys and passwords are longer.
MIN_SECRET_CHARS = 4
# Names (or parts of names: "access_token", "x-api-key") of query parameters that carry secrets.
TOKEN_NAMES = frozenset(
    {
        "token",
        "key",
        "apikey",
        "secret",
        "password",
        "passwd",
        "pwd",
        "sig",
        "signature",
        "accesstoken",
        "auth",
    }
)
_NAME_PARTS = re.compile(r"[-_.\s]+")
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>]+")
_PAIR_IN_TEXT = re.compile(r"([A-Za-z0-9_.\-]+)=([^&\s\"'<>;,)]+)")
_SEGMENT_CHARS = re.compile(r"[A-Za-z0-9_\-:.~=+%]+")
# Webhook services put their token in the path (/services/T0/B0/<token>, /bot<id>:<token>/...).
_TOKEN_SEGMENT_CHARS = 16


def is_token_name(name: str) -> bool:
    """True for a parameter name that carries a secret: token, api_key, X-Api-Key, access_token..."""
    lowered = unquote_plus(name).strip().lower()
    if _NAME_PARTS.sub("", lowered) in TOKEN_NAMES:
        return True
    return any(part in TOKEN_NAMES for part in _NAME_PARTS.split(lowered))


def looks_like_token(segment: str) -> bool:
    """True for a long run of letters and digits, the shape of a key rather than a word or an id."""
    return (
        len(segment) >= _TOKEN_SEGMENT_CHARS
        and _SEGMENT_CHARS.fullmatch(segment) is not None
        and any(c.isdigit() for c in segment)
        and any(c.isalpha() for c in segment)
    )


def mask_url(url: str) -> str:
    """The URL with its password, token-like query values and token-like path segments masked."""
    try:
        parts = urlsplit(url)
    except ValueError:
        scheme, sep, _ = url.partition("://")
        return f"{scheme}{sep}{MASK}" if sep else MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        if colon:
            userinfo = f"{user}:{MASK}"
        elif looks_like_token(userinfo):
            userinfo = MASK
        netloc = f"{userinfo}@{hostport}"
    path = "/".join(MASK if looks_like_token(segment) else segment for segment in parts.path.split("/"))
    query, fragment = _mask_pairs(parts.query), _mask_pairs(parts.fragment)
    if (netloc, path, query, fragment) == (parts.netloc, parts.path, parts.query, parts.fragment):
        return url
    return (
        f"{parts.scheme}://{netloc}{path}"
        + (f"?{query}" if query else "")
        + (f"#{fragment}" if fragment else "")
    )


def secrets_in_url(url: str) -> list[str]:
    """The secret parts of a URL (password, token values, token path segments), as written and decoded."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    userinfo = parts.netloc.rpartition("@")[0]
    user, colon, password = userinfo.partition(":")
    if colon and password:
        found.append(password)
    elif looks_like_token(user):
        found.append(user)
    found.extend(segment for segment in parts.path.split("/") if looks_like_token(segment))
    for pairs in (parts.query, parts.fragment):
        for piece in pairs.split("&"):
            name, sep, value = piece.partition("=")
            if sep and value and is_token_name(name):
                found.append(value)
    return list(dict.fromkeys([*found, *(unquote(value) for value in found)]))


def secrets_in(value: object) -> frozenset[str]:
    """Every secret held in settings: SecretStr values, and passwords and tokens inside URLs."""
    found: set[str] = set()
    _collect(value, found)
    return frozenset(secret for secret in found if secret)


def mask_urls_in(data: Any) -> Any:
    """JSON-ready data with every URL string passed through `mask_url`."""
    if isinstance(data, dict):
        return {key: mask_urls_in(item) for key, item in data.items()}
    if isinstance(data, list):
        return [mask_urls_in(item) for item in data]
    if isinstance(data, str) and "://" in data:
        return mask_url(data)
    return data


def mask_urls(text: str) -> str:
    """Every URL inside free text passed through `mask_url`."""
    return _URL_IN_TEXT.sub(lambda match: mask_url(match.group(0)), text)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Text fit to store, log or show: secret values, URL credentials and key=value tokens masked.

    `secrets` are the configured values (see ``Settings.secret_values``); each is also looked for
    URL-encoded and JSON-escaped, the forms an upstream error body echoes them in.
    """
    forms: set[str] = set()
    for secret in secrets:
        if len(secret) < MIN_SECRET_CHARS:
            continue
        encoded = (quote(secret), quote(secret, safe=""), quote_plus(secret), quote_plus(secret, safe="/"))
        forms.update({secret, json.dumps(secret)[1:-1], *encoded})
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, MASK)
    text = _PAIR_IN_TEXT.sub(
        lambda match: f"{match.group(1)}={MASK}" if is_token_name(match.group(1)) else match.group(0), text
    )
    return mask_text(mask_urls(text))


def _mask_pairs(pairs: str) -> str:
    pieces = []
    for piece in pairs.split("&"):
        name, sep, value = piece.partition("=")
        pieces.append(f"{name}={MASK}" if sep and value and is_token_name(name) else piece)
    return "&".join(pieces)


def _collect(value: object, found: set[str]) -> None:
    if isinstance(value, SecretStr):
        found.add(value.get_secret_value())
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, str) and "://" in value:
        found.update(secrets_in_url(value))
