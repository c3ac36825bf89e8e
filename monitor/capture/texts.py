"""Words of screenshot notes, Vietnamese first; the codes themselves stay in JSON."""

from __future__ import annotations

from monitor.capture.proxy import ProxyLog
from monitor.i18n import Language, tr

# code -> (Vietnamese, English); {detail} is filled in where a note carries one.
NOTE_TEXTS: dict[str, tuple[str, str]] = {
    "stored": ("Đã chụp màn hình trang", "Screenshot taken"),
    "recent": (
        "Đã có ảnh chụp trang này trong {detail} giờ qua",
        "This page was captured within the last {detail} hours",
    ),
    "facebook": (
        "Không chụp trang Facebook (monitor không mở trang Facebook); cán bộ tự chụp và thêm bằng "
        "`monitor evidence add`",
        "Facebook pages are never captured (the monitor does not open them); an officer can add "
        "their own screenshot with `monitor evidence add`",
    ),
    "platform": ("Không chụp trang của nền tảng {detail}", "Pages of {detail} are not captured"),
    "not_read": (
        "Lần quét gần nhất không đọc được trang ({detail}); chưa chụp",
        "The last scan could not read the page ({detail}); not captured",
    ),
    "verdict": (
        "Chỉ chụp trang bị đánh giá mạo danh hoặc đáng ngờ (đánh giá hiện tại: {detail})",
        "Only pages judged impersonation or suspect are captured (current verdict: {detail})",
    ),
    "robots": (
        "robots.txt của trang không cho phép mở trang này",
        "The site's robots.txt disallows this page",
    ),
    "missing": ("Không có phát hiện này", "No such finding"),
    "disabled": (
        "Chức năng chụp màn hình đang tắt (screenshots.enabled = false)",
        "Screenshots are turned off (screenshots.enabled = false)",
    ),
    "no_chromium": (
        "Không tìm thấy Chromium ({detail}); bỏ qua chụp màn hình. Cài gói `chromium` "
        "hoặc đặt screenshots.chromium",
        "Chromium not found ({detail}); screenshots skipped. Install the `chromium` package or set "
        "screenshots.chromium",
    ),
    "unsafe": (
        "Địa chỉ trang bị từ chối (mạng nội bộ hoặc không hợp lệ): {detail}",
        "The page address was refused (private network or invalid): {detail}",
    ),
    "unreachable": ("Không truy cập được trang ({detail})", "The page cannot be reached ({detail})"),
    "timeout": (
        "Trình duyệt quá thời gian cho phép ({detail}) và đã bị dừng",
        "The browser ran past its time limit ({detail}) and was stopped",
    ),
    "blank": (
        "Ảnh chụp trống: trang không tải được nội dung nào",
        "Blank screenshot: the page loaded nothing",
    ),
    "no_image": ("Trình duyệt không tạo được ảnh ({detail})", "The browser produced no image ({detail})"),
    "image_too_large": ("Ảnh chụp quá lớn ({detail})", "The screenshot is too large ({detail})"),
    "browser_failed": ("Không chạy được Chromium ({detail})", "Chromium could not be started ({detail})"),
    "not_stored": ("Không lưu được ảnh chụp ({detail})", "The screenshot could not be stored ({detail})"),
    "stopped": ("Đã dừng trước khi chụp", "Stopped before the capture"),
}


def note_text(code: str, detail: str | None, lang: Language | None = None) -> str:
    """A note in words: the text of `code` with its detail filled in."""
    vi, en = NOTE_TEXTS.get(code, (code, code))
    text = tr(vi, en, lang)
    return text.replace("{detail}", detail or "?")


def stored_note(traffic: ProxyLog, lang: Language | None = None) -> str:
    """What the stored screenshot's row says about the capture."""
    text = tr(
        f"Chụp bằng Chromium không giao diện; {len(traffic.requests)} yêu cầu, "
        f"{traffic.blocked} bị chặn (địa chỉ nội bộ hoặc giới hạn), {traffic.unreachable} không kết nối được",
        f"Taken by headless Chromium; {len(traffic.requests)} requests, "
        f"{traffic.blocked} refused (private address or limits), {traffic.unreachable} unreachable",
        lang,
    )
    if traffic.over_budget:
        text += tr(" (đã cắt ở giới hạn dung lượng)", " (cut at the size limit)", lang)
    return text
