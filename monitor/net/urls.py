"""URL helpers of the HTTP client: parsing, origins, and URLs that are safe to log."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from monitor.errors import UnsafeURLError
from monitor.log import mask_text

ALLOWED_SCHEMES = frozenset({"http", "https"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Long enough to recognise a URL in a log line, short enough not to flood it.
_SHOWN_MAX = 300

Origin = tuple[str, str, int]
Endpoint = tuple[str, str, int, str]


def parse_url(raw: str, params: Mapping[str, str] | None = None) -> httpx.URL:
    """An absolute http(s) URL with `params` merged into its query; UnsafeURLError otherwise."""
    try:
        url = httpx.URL(raw)
        if params:
            url = url.copy_merge_params(dict(params))
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
        raise UnsafeURLError(shown(raw), "not a valid URL") from exc
    check_scheme(url)
    return url


def check_scheme(url: httpx.URL) -> None:
    """Refuse anything but http and https, URLs without a host and impossible ports."""
    if url.scheme not in ALLOWED_SCHEMES:
        raise UnsafeURLError(loggable(url), f"scheme {url.scheme or '(none)'!r} is not http or https")
    if not url.host:
        raise UnsafeURLError(loggable(url), "URL has no host")
    if url.port is not None and not 0 < url.port < 65536:
        raise UnsafeURLError(loggable(url), "port out of range")


def origin(url: httpx.URL) -> Origin:
    """scheme, host and port (the default port filled in): what robots.txt is keyed by."""
    return (url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme, 0))


def endpoint(url: httpx.URL) -> Endpoint:
    """scheme, host, port and path as sent (query ignored): what endpoint trust is keyed by."""
    path = url.raw_path.split(b"?", 1)[0].decode("ascii", errors="replace") or "/"
    return (*origin(url), path)


def loggable(url: httpx.URL | str) -> str:
    """The URL without user info and query string: query strings may carry API keys."""
    if isinstance(url, str):
        raw = url
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, ValueError, TypeError, UnicodeError):
            return shown(raw.split("?", 1)[0])
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = f":{url.port}" if url.port else ""
    return shown(f"{url.scheme}://{host}{port}{url.path}")


def shown(text: str) -> str:
    """Text fit for a log line or an error message: secrets masked, bounded, always encodable."""
    text = mask_text(text)
    if len(text) > _SHOWN_MAX:
        text = text[:_SHOWN_MAX] + "…"
    # Lone surrogates from hostile input would break UTF-8 log renderers.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
