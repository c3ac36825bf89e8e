"""The sample web server: DuckDuckGo-like HTML, Brave-like JSON, Telegram and TikTok pages on 127.0.0.1."""

from __future__ import annotations

import html
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, quote, urlsplit

from monitor.demo.content import ACCOUNTS, ALIASES, RENAMED_TITLE, Account


@dataclass
class WebState:
    """What the sample web shows right now; tests and the demo change it between scans."""

    hidden: set[str] = field(default_factory=set)
    renamed: set[str] = field(default_factory=set)
    removed_pages: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    delay: float = 0.0
    extra: list[Account] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)


class SampleWeb:
    """Start with `with SampleWeb() as web:`; `web.base_url` is the loopback address."""

    def __init__(self, accounts: tuple[Account, ...] = ACCOUNTS, host: str = "127.0.0.1") -> None:
        self.accounts = accounts
        self.state = WebState()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> SampleWeb:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def overrides(self) -> dict[str, str]:
        """MONITOR_* settings that point the sources at this web."""
        base = self.base_url
        return {
            "MONITOR_HTTP__ALLOW_PRIVATE_NETWORKS": "true",
            "MONITOR_HTTP__PER_HOST_MIN_INTERVAL": "0",
            "MONITOR_HTTP__MAX_RETRIES": "1",
            "MONITOR_HTTP__BACKOFF_BASE": "0.05",
            "MONITOR_HTTP__BACKOFF_MAX": "0.1",
            "MONITOR_HTTP__TIMEOUT": "10",
            "MONITOR_SOURCES__DUCKDUCKGO__URL": f"{base}/ddg/html/",
            "MONITOR_SOURCES__DUCKDUCKGO__MAX_QUERIES": "2",
            "MONITOR_SOURCES__BRAVE__URL": f"{base}/brave/res/v1/web/search",
            "MONITOR_SOURCES__BRAVE__API_KEY": "sample-web-key",
            "MONITOR_SOURCES__BRAVE__MAX_QUERIES": "2",
            "MONITOR_SOURCES__TELEGRAM__URL": f"{base}/tme",
            "MONITOR_SOURCES__TIKTOK__URL": f"{base}/tiktok",
            "MONITOR_SOURCES__TIKTOK__OEMBED_URL": f"{base}/tiktok/oembed",
            "MONITOR_SOURCES__YOUTUBE__URL": f"{base}/youtube",
            "MONITOR_SOURCES__DOMAINS__ENABLED": "false",
            "MONITOR_SOURCES__CRTSH__ENABLED": "false",
            "MONITOR_SOURCES__SEARXNG__URL": "",
            "MONITOR_SOURCES__GOOGLE_CSE__ENABLED": "false",
        }

    def results(self, engine: str) -> list[tuple[str, str, str]]:
        """(title, url, snippet) of every visible account, as `engine` shows it."""
        with self._lock:
            hidden, renamed = set(self.state.hidden), set(self.state.renamed)
            accounts = [*self.accounts, *self.state.extra]
        shown: list[tuple[str, str, str]] = []
        for account in accounts:
            if account.key in hidden:
                continue
            title = RENAMED_TITLE if account.key in renamed else account.title
            url = ALIASES.get(account.key, account.url) if engine == "duckduckgo" else account.url
            shown.append((title, url, account.snippet))
        return shown

    def page(self, path: str) -> tuple[int, str]:
        for account in self.accounts:
            if account.page_path != path:
                continue
            if account.key in self.state.removed_pages:
                return 404, "<html><body><h1>404 Not Found</h1></body></html>"
            title = RENAMED_TITLE if account.key in self.state.renamed else account.title
            name = title.split(" | ")[0].split(" – ")[0].split(" (@")[0]
            if path.startswith("/tme/"):
                return 200, _telegram_page(path.rsplit("/", 1)[-1], name, account.description)
            return 200, _tiktok_page(path.rsplit("@", 1)[-1], name, account.description)
        return 404, "<html><body><h1>404 Not Found</h1></body></html>"


def _handler_for(web: SampleWeb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SampleWeb/1"

        def log_message(self, format: str, *args: object) -> None:
            return  # quiet: the monitor's own logs tell the story

        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            with web._lock:
                web.state.requests[path] += 1
                blocked, delay = set(web.state.blocked), web.state.delay
            if delay:
                time.sleep(delay)  # a slow web, for interruption tests
            if path == "/robots.txt":
                self._send(200, "User-agent: *\nAllow: /\n", "text/plain")
            elif path.startswith("/ddg/"):
                if "duckduckgo" in blocked:
                    self._send(
                        403,
                        "If this error persists, please let us know: error-lite@duckduckgo.com",
                        "text/plain",
                    )
                else:
                    self._send(200, _ddg_page(web.results("duckduckgo")), "text/html; charset=utf-8")
            elif path.startswith("/brave/"):
                if "brave" in blocked:
                    self._send(429, json.dumps({"type": "ErrorResponse"}), "application/json")
                else:
                    query = parse_qs(parts.query).get("q", [""])[0]
                    self._send(200, _brave_json(query, web.results("brave")), "application/json")
            else:
                status, body = web.page(path)
                self._send(status, body, "text/html; charset=utf-8")
            _ = method

        def _send(self, status: int, body: str, content_type: str) -> None:
            data = body.encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client went away (a scan was stopped): nothing to answer

    return Handler


def _ddg_page(results: list[tuple[str, str, str]]) -> str:
    items = "".join(
        '<div class="result results_links results_links_deep web-result">'
        '<div class="links_main links_deep result__body"><h2 class="result__title">'
        '<a rel="nofollow" class="result__a" '
        f'href="//duckduckgo.com/l/?uddg={quote(url, safe="")}&amp;rut=0">'
        f"{html.escape(title)}</a></h2>"
        f'<a class="result__url" href="{html.escape(url)}">{html.escape(url)}</a>'
        f'<a class="result__snippet" href="{html.escape(url)}">{html.escape(snippet)}</a>'
        "</div></div>"
        for title, url, snippet in results
    )
    if not items:
        items = '<div class="no-results">No results.</div>'
    return (
        "<!DOCTYPE html><html><head><title>DuckDuckGo</title></head>"
        f'<body><div id="links">{items}</div></body></html>'
    )


def _brave_json(query: str, results: list[tuple[str, str, str]]) -> str:
    return json.dumps(
        {
            "type": "search",
            "query": {"original": query, "more_results_available": False},
            "web": {
                "type": "search",
                "results": [{"title": t, "url": u, "description": s} for t, u, s in results],
            },
        },
        ensure_ascii=False,
    )


def _telegram_page(handle: str, name: str, description: str) -> str:
    n, d, h = html.escape(name), html.escape(description), html.escape(handle)
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram: View @{h}</title>'
        f'<meta property="og:title" content="{n}"><meta property="og:description" content="{d}">'
        f'</head><body><div class="tgme_page"><div class="tgme_page_title"><span dir="auto">{n}</span></div>'
        f'<div class="tgme_page_extra">1 204 subscribers</div><div class="tgme_page_description">{d}</div>'
        f'<a class="tgme_action_button_new" href="tg://resolve?domain={h}">View in Telegram</a>'
        "</div></body></html>"
    )


def _tiktok_page(handle: str, name: str, description: str) -> str:
    data = {
        "__DEFAULT_SCOPE__": {
            "webapp.user-detail": {
                "userInfo": {
                    "user": {
                        "id": "7000000000000000001",
                        "uniqueId": handle,
                        "nickname": name,
                        "signature": description,
                        "verified": False,
                        "secUid": "MS4wLjABAAAA",
                    },
                    "stats": {"followerCount": 3120, "videoCount": 12},
                }
            }
        }
    }
    n, d, h = html.escape(name), html.escape(description), html.escape(handle)
    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{n} (@{h}) | TikTok</title>'
        f'<meta property="og:title" content="{n} (@{h}) | TikTok">'
        f'<meta property="og:description" content="{d}">'
        f'<meta property="og:url" content="https://www.tiktok.com/@{h}">'
        '</head><body><script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
        f"{blob}</script>"
        "</body></html>"
    )
