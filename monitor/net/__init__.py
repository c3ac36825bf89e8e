"""The shared polite HTTP client (limits, retries, robots.txt, size caps, SSRF guard) and its parts."""

from __future__ import annotations

from monitor.net.client import HttpClient, RequestOptions
from monitor.net.response import Response

__all__ = ["HttpClient", "RequestOptions", "Response"]
