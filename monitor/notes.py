"""Notes the network and DNS layers store in English with a source run, shown in the reader's language.

Those layers run without a reader (the daemon writes the note, an officer reads it days later in
either language), so they write fixed English phrases; this table gives each phrase its words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from monitor.i18n import Language

# DNS failure kinds (monitor.domains.dns reasons) counted in "N of M look-ups unanswered (...)".
DNS_FAILURES: dict[str, str] = {
    "timeout": "quá thời gian",
    "servfail": "máy chủ DNS lỗi",
    "refused": "bị từ chối",
    "yxdomain": "tên quá dài",
    "invalid_name": "tên không hợp lệ",
    "no_nameservers": "không có máy chủ DNS trả lời",
    "error": "lỗi",
}


def _lookups(match: re.Match[str]) -> str:
    kinds = ", ".join(_dns_kind(part) for part in match.group(3).split(", ") if part)
    shown = f" ({kinds})" if kinds else ""
    return f"{match.group(1)}/{match.group(2)} lượt tra cứu DNS không có trả lời{shown}"


def _dns_kind(part: str) -> str:
    kind, _, count = part.rpartition(" ")
    if not kind:
        return DNS_FAILURES.get(count, count)
    return f"{DNS_FAILURES.get(kind, kind)} {count}"


# Longest phrases first: "disabled in the configuration" before "disabled".
PHRASES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"(\d+) of (\d+) look-ups unanswered(?: \(([^)]*)\))?"), _lookups),
    (re.compile(r"\bnothing to look up\b"), "không có tên nào cần tra cứu"),
    (re.compile(r"^stopped$"), "đã dừng theo yêu cầu"),
    (
        re.compile(r"\bthe resolver answers random names under\b"),
        "máy chủ DNS trả lời cả những tên ngẫu nhiên dưới",
    ),
    (re.compile(r"\bno system DNS resolver configured\b"), "máy chưa cấu hình máy chủ DNS"),
    (re.compile(r"\bno keyword of four letters or more\b"), "không có từ khoá nào từ bốn chữ cái trở lên"),
    (
        re.compile(r"(\d+) pattern\(s\) not tried: crt\.sh unreachable"),
        r"\1 mẫu chưa thử: không kết nối được crt.sh",
    ),
    (re.compile(r"\bdisabled in the configuration\b"), "đã tắt trong cấu hình"),
    # Only a whole note or a whole part ("crtsh: disabled; ..."): a host name may hold the word.
    (re.compile(r"(?:^|(?<=: ))disabled(?=;|$)"), "đã tắt"),
    (re.compile(r"\bconnection failed\b"), "không kết nối được"),
    (re.compile(r"\bconnection error \((\w+)\)"), r"lỗi kết nối (\1)"),
    (re.compile(r"\btimed out\b"), "quá thời gian chờ"),
    (
        re.compile(r"\bhost blocked us repeatedly; paused for (\d+) s more\b"),
        r"máy chủ chặn liên tục; tạm dừng thêm \1 giây",
    ),
    (re.compile(r"\bhost name does not resolve\b"), "tên máy chủ không phân giải được"),
    (re.compile(r"\brobots\.txt disallows this URL\b"), "robots.txt không cho phép địa chỉ này"),
    (re.compile(r"\bmore than (\d+) redirects\b"), r"chuyển hướng quá \1 lần"),
    (re.compile(r"^interrupted$"), "bị ngắt"),
)


def note_text(note: str | None, lang: Language) -> str:
    """A stored run note in `lang`: known English phrases in Vietnamese words; '' for None."""
    if not note:
        return ""
    if lang == "en":
        return note
    for pattern, words in PHRASES:
        note = pattern.sub(words, note)
    return note
