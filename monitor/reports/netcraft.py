"""Netcraft's report API: submit a phishing URL, keep the returned id, poll the submission's state."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from monitor.errors import ParseError
from monitor.reports.http_json import client, request_json
from monitor.settings import NetcraftSettings


class NetcraftClient:
    """POST {url}/report/urls → uuid; GET {url}/submission/{uuid} → state."""

    def __init__(self, settings: NetcraftSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.transport = transport

    @property
    def base(self) -> str:
        return self.settings.url.rstrip("/")

    def _headers(self) -> dict[str, str]:
        key = self.settings.api_key
        return {"Authorization": f"Bearer {key.get_secret_value()}"} if key is not None else {}

    async def report_url(self, url: str, reason: str) -> str:
        """Report one URL; the submission's uuid."""
        payload: dict[str, Any] = {"reason": reason[:1000], "urls": [{"url": url}]}
        if self.settings.email:
            payload["email"] = self.settings.email
        async with client(self.settings.timeout, self.transport) as http:
            _, answer = await request_json(
                http, "POST", f"{self.base}/report/urls", payload=payload, headers=self._headers()
            )
        uuid = answer.get("uuid") if isinstance(answer, dict) else None
        if not isinstance(uuid, str) or not uuid.strip():
            raise ParseError(f"{self.base}/report/urls: no submission id in the answer")
        return uuid.strip()[:255]

    async def state(self, uuid: str) -> str:
        """The submission's state word (processing, no threats, malicious, ...)."""
        async with client(self.settings.timeout, self.transport) as http:
            _, answer = await request_json(
                http, "GET", f"{self.base}/submission/{quote(uuid, safe='')}", headers=self._headers()
            )
        state = answer.get("state") if isinstance(answer, dict) else None
        if not isinstance(state, str):
            raise ParseError(f"{self.base}/submission: no state in the answer")
        return state
