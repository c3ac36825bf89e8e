"""The words officers read in alerts and digests, in Vietnamese (default) and English."""

from __future__ import annotations

from typing import Any

from monitor.i18n import Language

# key -> (Vietnamese, English); str.format placeholders are filled by text().
TEXTS: dict[str, tuple[str, str]] = {
    # Digest: subject, heading, summary
    "digest.subject": (
        "[{brand}] {count} trang/tài khoản mạo danh mới — bản tin {date}",
        "[{brand}] {count} new impersonation(s) — digest of {date}",
    ),
    "digest.subject_none": (
        "[{brand}] Không có trang/tài khoản mạo danh mới — bản tin {date}",
        "[{brand}] No new impersonation — digest of {date}",
    ),
    "digest.title": ("Bản tin giám sát mạo danh", "Impersonation monitoring digest"),
    "digest.period": ("Kỳ báo cáo: từ {start} đến {end} ({zone})", "Period: {start} to {end} ({zone})"),
    "digest.summary": (
        "{new} mạo danh mới · {changed} thay đổi · {ended} đã gỡ/không còn thấy · {reappeared} xuất hiện lại"
        " · {still} vẫn hoạt động, chưa báo cáo · {review} cần xem xét",
        "{new} new impersonation(s) · {changed} changed · {ended} taken down/gone · {reappeared} reappeared"
        " · {still} still live, not reported · {review} to review",
    ),
    "digest.scans": ("Số lượt quét trong kỳ: {count}", "Scans in this period: {count}"),
    "digest.no_scans": (
        "Không có lượt quét nào trong kỳ này — hệ thống có thể đã ngừng chạy.",
        "No scan ran in this period: the monitor may have stopped.",
    ),
    "digest.nothing_new": ("Không có gì mới trong kỳ này.", "Nothing new in this period."),
    "digest.sources_healthy": (
        "Các nguồn dữ liệu hoạt động bình thường.",
        "All sources are healthy.",
    ),
    "digest.sources_unhealthy": (
        "Có nguồn dữ liệu gặp sự cố (xem mục «Tình trạng nguồn dữ liệu») — kết quả có thể chưa đầy đủ.",
        "Some sources have problems (see “Source health”): results may be incomplete.",
    ),
    "digest.more": ("… và {count} mục khác (xem trong hệ thống).", "… and {count} more (see the monitor)."),
    "digest.footer": (
        "Thư này được gửi tự động bởi hệ thống giám sát mạo danh. Vui lòng không trả lời thư này.",
        "Sent automatically by the impersonation monitor. Please do not reply.",
    ),
    "digest.how_to": (
        "Với mỗi trang/tài khoản mạo danh: mở liên kết, chụp màn hình làm bằng chứng, gửi báo cáo qua các"
        " liên kết bên dưới và cho cơ quan chức năng ở cuối thư.",
        "For each impersonation: open the link, take a screenshot as evidence, report it through the links"
        " below and to the authorities listed at the end.",
    ),
    # Digest sections
    "section.new": ("Trang/tài khoản mạo danh mới", "New impersonations"),
    "section.changed": ("Đổi tên / thay đổi", "Renamed / changed"),
    "section.ended": ("Đã bị gỡ / không còn thấy", "Taken down / gone"),
    "section.reappeared": ("Xuất hiện lại", "Reappeared"),
    "section.still_live": (
        "Vẫn hoạt động sau {days} ngày, chưa báo cáo",
        "Still live after {days} days, not yet reported",
    ),
    "section.review": ("Cần xem xét (nghi vấn)", "To review (suspect)"),
    "section.sources": ("Tình trạng nguồn dữ liệu", "Source health and coverage"),
    "section.authorities": ("Cơ quan tiếp nhận báo cáo", "Where to report"),
    # Item fields
    "field.finding": ("Mã phát hiện", "Finding"),
    "field.name": ("Tên hiển thị", "Name"),
    "field.platform": ("Nền tảng", "Platform"),
    "field.link": ("Liên kết", "Link"),
    "field.score": ("Điểm", "Score"),
    "field.verdict": ("Đánh giá", "Verdict"),
    "field.reasons": ("Lý do", "Reasons"),
    "field.first_seen": ("Phát hiện lần đầu", "First seen"),
    "field.observed": ("Thời điểm ghi nhận", "Observed"),
    "field.evidence": ("Mã băm bằng chứng (SHA-256)", "Evidence hash (SHA-256)"),
    "field.report": ("Báo cáo", "Report"),
    "field.triage": ("Xử lý", "Triage"),
    "field.phone": ("Điện thoại", "Phone"),
    "field.email": ("Thư điện tử", "E-mail"),
    "field.website": ("Trang web", "Website"),
    "field.brand": ("Cơ quan", "Office"),
    "field.identity": ("Định danh", "Identity"),
    "field.status": ("Trạng thái", "Status"),
    "field.last_seen": ("Thấy lần cuối", "Last seen"),
    "field.signals": ("Dấu hiệu", "Signals"),
    "field.history": ("Lịch sử", "History"),
    "field.decisions": ("Quyết định của cán bộ", "Officers' decisions"),
    "field.officer": ("Cán bộ", "Officer"),
    "field.note": ("Ghi chú", "Note"),
    "field.time": ("Thời điểm", "Time"),
    "item.no_evidence": ("chưa lưu bằng chứng", "no evidence stored"),
    "item.no_reasons": ("(không có)", "(none)"),
    "item.renamed": ("Đổi tên từ «{old}»", "Renamed from “{old}”"),
    "item.verdict_changed": ("Đánh giá: {old} → {new}", "Verdict: {old} → {new}"),
    "item.content_changed": ("Nội dung trang đã thay đổi", "Page content changed"),
    "item.link_changed": ("Liên kết đổi thành {url}", "Link changed to {url}"),
    "item.history": ("Diễn biến trong kỳ: {events}", "In this period: {events}"),
    "item.live_days": ("đang hoạt động {days} ngày", "live for {days} days"),
    "item.score": ("{score}/100", "{score}/100"),
    # Reporting links
    "report.facebook_form": ("Biểu mẫu báo cáo mạo danh của Facebook", "Facebook's impersonation form"),
    "report.platform_page": ("Trang báo cáo của {platform}", "{platform}'s report page"),
    "report.safe_browsing": (
        "Báo cáo trang lừa đảo cho Google Safe Browsing",
        "Report the phishing site to Google Safe Browsing",
    ),
    "report.in_app": (
        "Báo cáo trực tiếp trong ứng dụng {platform} (nút «Báo cáo»)",
        "Report it inside the {platform} app (the “Report” button)",
    ),
    # Source health
    "source.ok": (
        "{source}: bình thường, {runs} lượt, {results} kết quả",
        "{source}: healthy, {runs} run(s), {results} result(s)",
    ),
    "source.partial": (
        "{source}: chỉ chạy được một phần, {runs} lượt, {results} kết quả",
        "{source}: partly working, {runs} run(s), {results} result(s)",
    ),
    "source.blocked": (
        "{source}: bị chặn — {failed}/{runs} lượt trong kỳ thất bại, từ {since}; {results} kết quả",
        "{source}: blocked — {failed} of {runs} run(s) in this period failed, since {since};"
        " {results} result(s)",
    ),
    "source.failed": (
        "{source}: lỗi — {failed}/{runs} lượt trong kỳ thất bại, từ {since}; {results} kết quả",
        "{source}: failing — {failed} of {runs} run(s) in this period failed, since {since};"
        " {results} result(s)",
    ),
    "source.skipped": (
        "{source}: không chạy (chưa cấu hình hoặc bị tắt)",
        "{source}: did not run (not configured or disabled)",
    ),
    "source.running": ("{source}: lượt cuối chưa kết thúc", "{source}: last run did not finish"),
    "source.some_failed": (" ({failed}/{runs} lượt lỗi)", " ({failed} of {runs} run(s) failed)"),
    "source.last_failed": (
        " ({failed}/{runs} lượt lỗi, lượt gần nhất: {status})",
        " ({failed} of {runs} run(s) failed, last run: {status})",
    ),
    "source.error": ("Lỗi gần nhất: {error}", "Last error: {error}"),
    # Alerts
    "alert.subject.new": (
        "[Cảnh báo] {platform} mạo danh {brand}: {name}",
        "[Alert] {platform} impersonating {brand}: {name}",
    ),
    "alert.subject.reappeared": (
        "[Cảnh báo] {platform} mạo danh {brand} xuất hiện lại: {name}",
        "[Alert] {platform} impersonating {brand} is back: {name}",
    ),
    "alert.subject.renamed": (
        "[Cảnh báo] {platform} mạo danh {brand} đã đổi tên: {name}",
        "[Alert] {platform} impersonating {brand} was renamed: {name}",
    ),
    "alert.subject.escalated": (
        "[Cảnh báo] {platform} nay được đánh giá là mạo danh {brand}: {name}",
        "[Alert] {platform} now rated as impersonating {brand}: {name}",
    ),
    "alert.title.new": ("Phát hiện trang/tài khoản mạo danh mới", "New impersonation found"),
    "alert.title.reappeared": ("Trang/tài khoản mạo danh xuất hiện lại", "An impersonation is back"),
    "alert.title.renamed": ("Trang/tài khoản mạo danh đã đổi tên", "An impersonation was renamed"),
    "alert.title.escalated": (
        "Một mục nghi vấn nay được đánh giá là mạo danh",
        "A suspect is now rated an impersonation",
    ),
    "alert.intro": ("Cơ quan: {brand}", "Office: {brand}"),
    "alert.digest_note": (
        "Mục này cũng sẽ có trong bản tin hằng ngày.",
        "This item will also appear in the daily digest.",
    ),
    # E-mail errors (one line each)
    "error.not_configured": (
        "chưa cấu hình gửi thư: cần email.smtp_host, email.sender và email.recipients",
        "e-mail is not configured: email.smtp_host, email.sender and email.recipients are needed",
    ),
    "error.no_password": (
        "email.username được đặt nhưng thiếu mật khẩu: đặt biến môi trường MONITOR_EMAIL__PASSWORD",
        "email.username is set but the password is missing: set MONITOR_EMAIL__PASSWORD",
    ),
    "error.refused": (
        "không kết nối được máy chủ thư {server}: {detail}",
        "cannot connect to the mail server {server}: {detail}",
    ),
    "error.timeout": (
        "máy chủ thư {server} không trả lời sau {timeout:g} giây",
        "the mail server {server} did not answer within {timeout:g} seconds",
    ),
    "error.auth": (
        "máy chủ thư {server} từ chối đăng nhập của «{username}»: sai tên đăng nhập hoặc mật khẩu ({detail})",
        "the mail server {server} refused the login of “{username}”: wrong user name or password ({detail})",
    ),
    "error.auth_unsupported": (
        "máy chủ thư {server} không cho đăng nhập trên kết nối này: {detail}",
        "the mail server {server} offers no login on this connection: {detail}",
    ),
    "error.starttls": (
        "máy chủ thư {server} không hỗ trợ STARTTLS: kiểm tra email.security và email.smtp_port",
        "the mail server {server} does not support STARTTLS: check email.security and email.smtp_port",
    ),
    "error.tls": (
        "lỗi TLS với máy chủ thư {server}: {detail}",
        "TLS failed with the mail server {server}: {detail}",
    ),
    "error.recipients": (
        "máy chủ thư {server} từ chối người nhận: {detail}",
        "the mail server {server} refused the recipients: {detail}",
    ),
    "error.sender": (
        "máy chủ thư {server} từ chối địa chỉ gửi {sender}: {detail}",
        "the mail server {server} refused the sender {sender}: {detail}",
    ),
    "error.smtp": (
        "gửi thư qua {server} thất bại: {detail}",
        "sending mail through {server} failed: {detail}",
    ),
    "error.webhook_status": (
        "webhook {url} trả lời HTTP {status}",
        "the webhook {url} answered HTTP {status}",
    ),
    "scan.unreadable_pages": (
        "Trang không đọc được: {count} ({detail})",
        "Pages not read: {count} ({detail})",
    ),
    "finding.page": ("Trang", "Page"),
    "error.webhook_failed": (
        "không gửi được tới webhook {url}: {detail}",
        "cannot reach the webhook {url}: {detail}",
    ),
}

VERDICTS: dict[str, tuple[str, str]] = {
    "impersonation": ("mạo danh", "impersonation"),
    "suspect": ("nghi vấn", "suspect"),
    "clear": ("không đáng ngại", "clear"),
}

TRIAGE: dict[str, tuple[str, str]] = {
    "untriaged": ("chưa xử lý", "untriaged"),
    "confirmed": ("đã xác nhận", "confirmed"),
    "dismissed": ("đã bỏ qua", "dismissed"),
    "reported": ("đã báo cáo", "reported"),
    "taken_down": ("đã gỡ", "taken down"),
    "official": ("chính thức", "official"),
}

# Where a finding stands now (monitor.diff.Status).
STATUSES: dict[str, tuple[str, str]] = {
    "active": ("đang hoạt động", "active"),
    "gone": ("không còn thấy", "gone"),
    "taken_down": ("đã bị gỡ", "taken down"),
}

EVENTS: dict[str, tuple[str, str]] = {
    "new": ("mới", "new"),
    "changed": ("thay đổi", "changed"),
    "gone": ("không còn thấy", "gone"),
    "taken_down": ("đã bị gỡ", "taken down"),
    "reappeared": ("xuất hiện lại", "reappeared"),
}

# What happened to a finding, as one step of its story in a digest ("Mới · đã đổi tên · đã bị gỡ").
STEPS: dict[str, tuple[str, str]] = {
    "new": ("mới", "new"),
    "name": ("đã đổi tên", "renamed"),
    "verdict": ("đổi đánh giá", "verdict changed"),
    "url": ("đổi liên kết", "link changed"),
    "content": ("nội dung thay đổi", "content changed"),
    "changed": ("thay đổi", "changed"),
    "gone": ("không còn thấy", "gone"),
    "taken_down": ("đã bị gỡ", "taken down"),
    "reappeared": ("xuất hiện lại", "reappeared"),
}

PLATFORMS: dict[str, tuple[str, str]] = {
    "facebook": ("Facebook", "Facebook"),
    "tiktok": ("TikTok", "TikTok"),
    "youtube": ("YouTube", "YouTube"),
    "telegram": ("Telegram", "Telegram"),
    "zalo": ("Zalo", "Zalo"),
    "instagram": ("Instagram", "Instagram"),
    "x": ("X (Twitter)", "X (Twitter)"),
    "web": ("Trang web", "Website"),
}

SOURCES: dict[str, tuple[str, str]] = {
    "brave": ("Brave Search", "Brave Search"),
    "searxng": ("SearXNG", "SearXNG"),
    "duckduckgo": ("DuckDuckGo", "DuckDuckGo"),
    "google_cse": ("Google", "Google"),
    "telegram": ("Telegram", "Telegram"),
    "tiktok": ("TikTok", "TikTok"),
    "youtube": ("YouTube", "YouTube"),
    "web": ("Trang web", "Web pages"),
    "domains": ("Tên miền (DNS)", "Domain names (DNS)"),
    "crtsh": ("crt.sh (chứng thư số)", "crt.sh (certificates)"),
}

# monitor status: the daemon's state.
DAEMON_STATES: dict[str, tuple[str, str]] = {
    "running": ("đang chạy", "running"),
    "standby": ("chờ", "standby"),
    "stopped": ("đã dừng", "stopped"),
    "never_started": ("chưa từng chạy", "never started"),
    "heartbeat_lost": ("mất nhịp tim", "heartbeat lost"),
}

# monitor status: the jobs the daemon schedules.
JOBS: dict[str, tuple[str, str]] = {"scan": ("quét", "scan"), "digest": ("bản tin", "digest")}

# A source's run and a scan's run (monitor.diff.RunStatus).
RUN_STATUS: dict[str, tuple[str, str]] = {
    "ok": ("bình thường", "ok"),
    "partial": ("một phần", "partial"),
    "blocked": ("bị chặn", "blocked"),
    "failed": ("lỗi", "failed"),
    "skipped": ("không chạy", "skipped"),
    "running": ("chưa kết thúc", "unfinished"),
    "interrupted": ("bị ngắt", "interrupted"),
}

# monitor.page_state codes: what became of reading a finding's page.
PAGE_STATES: dict[str, tuple[str, str]] = {
    "read": ("đã đọc", "read"),
    "blocked": ("bị chặn", "blocked"),
    "robots": ("robots.txt không cho phép", "disallowed by robots.txt"),
    "too_large": ("quá lớn", "too large"),
    "timeout": ("quá thời gian", "timed out"),
    "unsafe_redirect": ("chuyển hướng không an toàn", "unsafe redirect"),
    "parse_limit": ("quá giới hạn phân tích", "over the parsing limit"),
    "failed": ("lỗi", "failed"),
    "read_error": ("lỗi khi đọc trang", "could not be read"),
    "gone": ("không còn tồn tại", "gone"),
    "not_fetched": ("không truy cập", "not fetched"),
}

ZONES: dict[str, tuple[str, str]] = {"Asia/Ho_Chi_Minh": ("giờ Việt Nam", "Vietnam time")}


def text(key: str, lang: Language, /, **values: Any) -> str:
    """The text for `key` in `lang`, placeholders filled."""
    vi, en = TEXTS[key]
    template = en if lang == "en" else vi
    return template.format(**values) if values else template


def zone_label(name: str, lang: Language) -> str:
    """A time zone as people name it ("giờ Việt Nam"); other zones by their tz name."""
    return label(ZONES, name, lang) if name in ZONES else name


def label(table: dict[str, tuple[str, str]], key: str, lang: Language) -> str:
    """A display word from one of the tables; unknown keys are shown as they are."""
    pair = table.get(key)
    if pair is None:
        return key.replace("_", " ")
    return pair[1] if lang == "en" else pair[0]
