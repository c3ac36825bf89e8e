"""JSON over HTTP for the report APIs (Netcraft, RDAP): bounded answers, errors as FetchError/ParseError."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from monitor.errors import FetchError, ParseError

MAX_JSON_BYTES = 2_000_000
USER_AGENT = "impersonation-monitor (reports)"


async def request_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    payload: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    accept: tuple[int, ...] = (200,),
) -> tuple[int, Any]:
    """(status, decoded JSON) of one exchange; the body is read at most MAX_JSON_BYTES."""
    try:
        async with client.stream(method, url, json=payload, headers=dict(headers or {})) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_JSON_BYTES:
                    raise FetchError(url, f"answer larger than {MAX_JSON_BYTES} bytes")
                chunks.append(chunk)
            status = response.status_code
    except httpx.HTTPError as exc:
        raise FetchError(url, f"{type(exc).__name__}: {exc}"[:300]) from exc
    if status not in accept:
        raise FetchError(url, f"HTTP {status}")
    try:
        return status, json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"{url}: not JSON") from exc


def client(timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """A client that follows at most three redirects (RDAP servers redirect to the registrar's)."""
    return httpx.AsyncClient(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=3,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json, application/rdap+json"},
        transport=transport,
        trust_env=False,
    )
