"""What a finished scan amounts to for the person who ran it: worked, partly failed, or reached nothing.

A scan "reached nothing" when no discovery source got an answer: every source failed, was blocked
or was skipped, or none made a request that succeeded. It must never read as "nothing new", so
it gets its own exit code and a message naming the likely cause, taken from what the sources
reported, and what to set. Exit codes: 0 worked (new findings or not), 4 some sources failed or
were blocked while others worked, 1 no source reached anything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from monitor.i18n import Language, tr
from monitor.net.proxy import ProxyRoutes, shown_proxy
from monitor.report import ScanReport, SourceReport

EXIT_OK = 0
EXIT_NOTHING_REACHED = 1
EXIT_SOME_FAILED = 4

OutcomeKind = Literal["ok", "some_failed", "nothing_reached", "interrupted"]
Cause = Literal["proxy", "dns", "offline", "robots", "blocked", "no_key", "not_configured", "unknown"]
# Most telling first: a broken proxy explains failed look-ups, a DNS failure explains time-outs.
CAUSES: tuple[Cause, ...] = (
    "proxy",
    "dns",
    "offline",
    "robots",
    "blocked",
    "no_key",
    "not_configured",
    "unknown",
)
PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "MONITOR_HTTP__PROXY")
KEY_VARIABLES = (
    "MONITOR_SOURCES__BRAVE__API_KEY",
    "MONITOR_SOURCES__GOOGLE_CSE__API_KEY",
    "MONITOR_SOURCES__YOUTUBE__API_KEY",
)

_VARIABLE = re.compile(r"MONITOR_[A-Z0-9_]+[A-Z0-9]")
# Reasons as monitor.net.transport and the sources word them (the English of the network layer).
_PROXY = ("proxy", "http 407")
_DNS = ("does not resolve", "look-ups unanswered", "dns resolver", "resolver answers random names")
_OFFLINE = ("connection refused", "network unreachable", "connection failed", "timed out", "unreachable")


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    exit_code: int
    causes: tuple[Cause, ...] = ()
    failed: tuple[str, ...] = ()
    variables: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.kind,
            "exit_code": self.exit_code,
            "causes": list(self.causes),
            "failed_sources": list(self.failed),
            "set": list(self.variables),
        }


def reached(source: SourceReport) -> bool:
    """True when the source got answers: fully, or partly with results."""
    if source.status == "ok":
        return source.requests > 0
    return source.status == "partial" and source.results > 0


def assess(report: ScanReport) -> Outcome:
    """The outcome of a finished scan and, when it reached nothing, the likely causes."""
    if report.status == "interrupted":
        return Outcome("interrupted", EXIT_OK)
    failed = tuple(dict.fromkeys(s.name for s in report.sources if s.status in ("failed", "blocked")))
    if any(reached(source) for source in report.sources):
        if failed:
            return Outcome("some_failed", EXIT_SOME_FAILED, failed=failed)
        return Outcome("ok", EXIT_OK)
    causes = _causes(report.sources)
    variables = _variables(causes, report.sources)
    return Outcome("nothing_reached", EXIT_NOTHING_REACHED, causes, failed, variables)


def _causes(sources: Sequence[SourceReport]) -> tuple[Cause, ...]:
    found: set[Cause] = set()
    for source in sources:
        error = (source.error or "").lower()
        if source.status == "skipped":
            if "api_key" in error:
                found.add("no_key")
            elif _VARIABLE.search(source.error or ""):
                found.add("not_configured")
            continue
        if any(marker in error for marker in _PROXY):
            found.add("proxy")
        elif any(marker in error for marker in _DNS):
            found.add("dns")
        elif source.status == "blocked" and "robots.txt" in error:
            found.add("robots")
        elif source.status == "blocked":
            found.add("blocked")
        elif any(marker in error for marker in _OFFLINE):
            found.add("offline")
    if not found & {"proxy", "dns", "offline", "robots", "blocked", "no_key", "not_configured"}:
        found.add("unknown")
    return tuple(cause for cause in CAUSES if cause in found)


def _variables(causes: Sequence[Cause], sources: Sequence[SourceReport]) -> tuple[str, ...]:
    out: list[str] = []
    if {"proxy", "dns", "offline"} & set(causes):
        out += PROXY_VARIABLES
    if "dns" in causes:
        out.append("MONITOR_SOURCES__DOMAINS__NAMESERVERS")
    named = [v for s in sources if s.status == "skipped" for v in _VARIABLE.findall(s.error or "")]
    if "blocked" in causes or "robots" in causes:
        out += KEY_VARIABLES
    if "robots" in causes:
        out.append("MONITOR_SOURCES__SEARXNG__URL")
    out += named
    return tuple(dict.fromkeys(out))


def outcome_lines(outcome: Outcome, lang: Language, proxies: ProxyRoutes | None = None) -> list[str]:
    """What to print after the source table: the red verdict and one line per cause, or a warning."""
    if outcome.kind == "some_failed":
        names = ", ".join(outcome.failed)
        return [
            tr(
                f"Một số nguồn bị lỗi hoặc bị chặn ({names}): kết quả lần quét này chưa đầy đủ.",
                f"Some sources failed or were blocked ({names}): this scan's results are incomplete.",
                lang,
            )
        ]
    if outcome.kind != "nothing_reached":
        return []
    lines = [
        tr(
            "KHÔNG NGUỒN NÀO TRẢ LỜI: lần quét này không kiểm tra được gì — "
            "đây không phải là “không có gì mới”.",
            "NO SOURCE ANSWERED: this scan checked nothing — this is not “nothing new”.",
            lang,
        )
    ]
    lines += [_cause_line(cause, lang, proxies) for cause in shown_causes(outcome.causes)]
    keys = [v for v in outcome.variables if v.endswith("__API_KEY")]
    others = [v for v in outcome.variables if v not in keys and v not in PROXY_VARIABLES]
    if keys:
        head = tr("Khóa API (biến môi trường): ", "API keys (environment variables): ", lang)
        lines.append(head + ", ".join(keys))
    if others:
        lines.append(tr("Có thể đặt thêm: ", "Also settable: ", lang) + ", ".join(others))
    return lines


def shown_causes(causes: Sequence[Cause]) -> list[Cause]:
    """The causes worth a line: the first network one (they explain each other), a block, and the
    configuration ones only when the network is not to blame."""
    network = [c for c in causes if c in ("proxy", "dns", "offline")][:1]
    blocked = [c for c in causes if c in ("robots", "blocked")]
    if network or blocked:
        return [*network, *blocked]
    return list(causes)


def _cause_line(cause: Cause, lang: Language, proxies: ProxyRoutes | None) -> str:
    via = _proxy_text(proxies, lang)
    if cause == "proxy":
        return tr(
            f"Nguyên nhân có thể: proxy từ chối hoặc không kết nối được{via}. "
            "Kiểm tra HTTPS_PROXY / HTTP_PROXY hoặc MONITOR_HTTP__PROXY "
            '(MONITOR_HTTP__PROXY="" để đi thẳng, không qua proxy).',
            f"Likely cause: the proxy refused the request or could not be reached{via}. Check HTTPS_PROXY / "
            'HTTP_PROXY or MONITOR_HTTP__PROXY (MONITOR_HTTP__PROXY="" connects directly).',
            lang,
        )
    if cause == "dns":
        return tr(
            f"Nguyên nhân có thể: không phân giải được tên miền (DNS lỗi hoặc máy không có Internet){via}. "
            "Nếu mạng cơ quan ra Internet qua proxy, đặt HTTPS_PROXY=http://máy-proxy:cổng "
            "(hoặc MONITOR_HTTP__PROXY); máy chủ DNS riêng: MONITOR_SOURCES__DOMAINS__NAMESERVERS.",
            f"Likely cause: host names do not resolve (DNS failed, or no internet){via}. "
            "If the office reaches the internet through a proxy, set HTTPS_PROXY=http://proxy-host:port "
            "(or MONITOR_HTTP__PROXY); "
            "own DNS servers: MONITOR_SOURCES__DOMAINS__NAMESERVERS.",
            lang,
        )
    if cause == "offline":
        return tr(
            "Nguyên nhân có thể: không có kết nối Internet (kết nối bị từ chối hoặc quá thời gian)"
            f"{via}. Kiểm tra mạng; nếu phải đi qua proxy, đặt HTTPS_PROXY hoặc MONITOR_HTTP__PROXY.",
            f"Likely cause: no internet connection (connections refused or timed out){via}. "
            "Check the network; if a proxy is required, set HTTPS_PROXY or MONITOR_HTTP__PROXY.",
            lang,
        )
    if cause == "robots":
        return tr(
            "Nguyên nhân có thể: robots.txt của trang tìm kiếm không cho phép đọc kết quả. Không có khóa "
            "API thì lần quét chỉ còn tên miền giống, nhật ký chứng chỉ, tin báo và trang đã biết; thêm "
            "khóa Brave Search (MONITOR_SOURCES__BRAVE__API_KEY) hoặc máy SearXNG riêng "
            "(MONITOR_SOURCES__SEARXNG__URL) để tìm kiếm.",
            "Likely cause: the search site's robots.txt forbids reading its results. Without an API key "
            "a scan covers only look-alike domains, certificate logs, tips and known pages; add a Brave "
            "Search key (MONITOR_SOURCES__BRAVE__API_KEY) or your own SearXNG "
            "(MONITOR_SOURCES__SEARXNG__URL) to search.",
            lang,
        )
    if cause == "blocked":
        return tr(
            "Nguyên nhân có thể: trang tìm kiếm chặn máy này (HTTP 403/429, captcha). Chờ rồi quét lại, "
            "hoặc dùng nguồn có khóa API.",
            "Likely cause: the search site blocks this machine (HTTP 403/429, captcha). Wait and scan again, "
            "or use a source with an API key.",
            lang,
        )
    if cause == "no_key":
        return tr(
            "Nguyên nhân có thể: chưa cấu hình khóa API cho các nguồn cần khóa.",
            "Likely cause: no API key is configured for the sources that need one.",
            lang,
        )
    if cause == "not_configured":
        return tr(
            "Nguyên nhân có thể: nguồn chưa được cấu hình (xem cột Ghi chú).",
            "Likely cause: sources are not configured (see the Note column).",
            lang,
        )
    return tr(
        "Nguyên nhân chưa rõ: xem cột Ghi chú của từng nguồn.",
        "Cause unknown: see each source's Note column.",
        lang,
    )


def _proxy_text(proxies: ProxyRoutes | None, lang: Language) -> str:
    if proxies is None or not proxies.proxies:
        return tr(" — không dùng proxy", " — no proxy in use", lang)
    where = "http.proxy" if proxies.origin == "setting" else ", ".join(proxies.variables)
    shown = ", ".join(shown_proxy(url) for url in proxies.proxies)
    return tr(f" — qua proxy {shown} (từ {where})", f" — through proxy {shown} (from {where})", lang)
