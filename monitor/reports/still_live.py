"""The digest's lines about fakes reported N days ago that are still live, in Vietnamese or English."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from monitor.display import local_time
from monitor.i18n import Language, tr
from monitor.notify.render import display
from monitor.reports.words import STATUS_WORDS, word
from monitor.store.reports import StillLive


def still_live_title(days: int, lang: Language) -> str:
    return tr(
        f"Đã báo cáo nhưng vẫn hoạt động sau {days} ngày",
        f"Reported but still live after {days} days",
        lang,
    )


def still_live_lines(
    items: Sequence[StillLive], now: datetime, lang: Language, zone: str = "Asia/Ho_Chi_Minh"
) -> list[str]:
    """One line per finding: name, link, where it was reported, when and the state of each report."""
    lines = []
    for item in items:
        finding = item.finding
        days = max(0, (now - item.first_submitted_at).days)
        where = "; ".join(
            f"{display(report.channel, 40)} ({word(STATUS_WORDS, report.status, lang)}"
            + (f", {display(report.reference, 60)}" if report.reference else "")
            + ")"
            for report in item.reports
        )
        lines.append(
            tr(
                f"#{finding.id} {display(finding.name, 120)} — {display(finding.url, 200)} — báo cáo ngày "
                f"{local_time(item.first_submitted_at, zone)} ({days} ngày trước) qua {where}",
                f"#{finding.id} {display(finding.name, 120)} — {display(finding.url, 200)} — reported "
                f"{local_time(item.first_submitted_at, zone)} ({days} days ago) to {where}",
                lang,
            )
        )
    return lines
