"""The job queue's words for people (`monitor status`, the console's Sources and scans page).

Vietnamese first, English second, as everywhere; the codes they stand for stay in JSON.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monitor.display import safe_text
from monitor.i18n import Language

# key -> (Vietnamese, English); str.format placeholders are filled by queue_word().
QUEUE_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Hàng đợi công việc", "Job queue"),
    "inline": (
        "không dùng — các lượt quét chạy ngay trong tiến trình giám sát.",
        "not used — scans run inside the monitor's own process.",
    ),
    "unavailable.not_postgresql": (
        "Không đọc được hàng đợi: hàng đợi công việc cần cơ sở dữ liệu PostgreSQL.",
        "The queue cannot be read: the job queue needs a PostgreSQL database.",
    ),
    "unavailable.not_migrated": (
        "Không đọc được hàng đợi: chưa có bảng của hàng đợi (chạy `monitor db upgrade`).",
        "The queue cannot be read: its tables are missing (run `monitor db upgrade`).",
    ),
    "waiting": (
        "Đang chờ: {due} việc đến hạn, {later} việc hẹn giờ sau",
        "Waiting: {due} due, {later} scheduled for later",
    ),
    "oldest": ("việc chờ lâu nhất: {age}", "oldest waiting: {age}"),
    "running": ("Đang chạy: {n} việc", "Running: {n} job(s)"),
    "failed": ("Thất bại trong {hours} giờ qua: {n} việc", "Failed in the last {hours} hours: {n} job(s)"),
    "retrying": ("Chờ chạy lại: {n} việc", "Waiting for a retry: {n} job(s)"),
    "workers": ("Tiến trình xử lý còn nhịp tim: {alive}", "Workers with a heartbeat: {alive}"),
    "workers.silent": ("mất nhịp tim: {silent}", "heartbeat lost: {silent}"),
    "none": ("(không có)", "(none)"),
    "more": ("… và {n} việc khác", "… and {n} more"),
    "col.queue": ("Hàng đợi", "Queue"),
    "col.due": ("Đến hạn", "Due"),
    "col.later": ("Hẹn giờ sau", "Later"),
    "col.waiting_since": ("Chờ từ", "Waiting since"),
    "col.task": ("Công việc", "Task"),
    "col.lock": ("Khoá", "Lock"),
    "col.started": ("Bắt đầu", "Started"),
    "col.worker": ("Tiến trình xử lý", "Worker"),
    "col.attempts": ("Số lần thử", "Attempts"),
    "col.failed_at": ("Lỗi lúc", "Failed at"),
    "col.retry_at": ("Chạy lại lúc", "Retry at"),
    "age.days": ("{d} ngày {h} giờ", "{d} d {h} h"),
    "age.hours": ("{h} giờ {m} phút", "{h} h {m} min"),
    "age.minutes": ("{m} phút", "{m} min"),
    "age.seconds": ("{s} giây", "{s} s"),
}


# The queues and tasks of monitor.queue.app, by their codes (tests check none is missing).
QUEUE_NAMES: dict[str, tuple[str, str]] = {
    "discover": ("tìm kiếm", "discovery"),
    "judge": ("đánh giá", "judgement"),
    "deliver": ("gửi cảnh báo", "alert delivery"),
    "schedule": ("lịch chạy", "schedule"),
}
TASK_NAMES: dict[str, tuple[str, str]] = {
    "monitor.discover": ("tìm ứng viên", "discover candidates"),
    "monitor.judge": ("đánh giá và ghi nhận", "judge and record"),
    "monitor.deliver": ("gửi cảnh báo", "deliver alerts"),
    "monitor.deliver_wake": ("hẹn gửi lại cảnh báo", "alert retry round"),
    "monitor.digest": ("gửi bản tin", "send the digest"),
    "monitor.tick": ("nhịp lịch chạy", "scheduler tick"),
}


def queue_word(key: str, lang: Language, /, **values: Any) -> str:
    vi, en = QUEUE_WORDS[key]
    template = en if lang == "en" else vi
    return template.format(**values) if values else template


def named(table: dict[str, tuple[str, str]], code: str, lang: Language, limit: int = 60) -> str:
    """A queue's or task's words; a code the table does not know is shown as it is, made safe."""
    pair = table.get(code)
    if pair is None:
        return safe_text(code, limit)
    return pair[1] if lang == "en" else pair[0]


def age_words(age: timedelta, lang: Language) -> str:
    """A waiting time in the two largest units people read at a glance: '2 ngày 3 giờ', '5 phút'."""
    seconds = max(int(age.total_seconds()), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return queue_word("age.days", lang, d=days, h=hours)
    if hours:
        return queue_word("age.hours", lang, h=hours, m=minutes)
    if minutes:
        return queue_word("age.minutes", lang, m=minutes)
    return queue_word("age.seconds", lang, s=secs)
