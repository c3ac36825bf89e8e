"""Words people read about reports, Vietnamese first: statuses, channel kinds and table headers."""

from __future__ import annotations

from monitor.i18n import Language

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "not_submitted": ("chưa gửi", "not submitted"),
    "submitted": ("đã gửi", "submitted"),
    "waiting": ("đang chờ trả lời", "waiting"),
    "refused": ("bị từ chối", "refused"),
    "taken_down": ("đã bị gỡ", "taken down"),
}
KIND_WORDS: dict[str, tuple[str, str]] = {
    "authority": ("cơ quan chức năng", "authority"),
    "platform": ("biểu mẫu của nền tảng", "platform form"),
    "registrar": ("chống lạm dụng tên miền (RDAP)", "registrar abuse desk (RDAP)"),
    "netcraft": ("Netcraft (API)", "Netcraft (API)"),
    "safe_browsing": ("Google Safe Browsing", "Google Safe Browsing"),
}
ACTION_WORDS: dict[str, tuple[str, str]] = {
    "created": ("tạo", "created"),
    "approved": ("duyệt", "approved"),
    "submitted": ("đã gửi", "submitted"),
    "status": ("đổi trạng thái", "status"),
    "reference": ("mã tham chiếu", "reference"),
    "answer": ("trả lời", "answer"),
    "follow_up": ("hẹn theo dõi", "follow-up"),
    "taken_down": ("đã bị gỡ", "taken down"),
    "polled": ("hỏi trạng thái", "polled"),
    "note": ("ghi chú", "note"),
}
HEADERS: dict[str, tuple[str, str]] = {
    "key": ("Mã", "Key"),
    "name": ("Tên", "Name"),
    "kind": ("Loại", "Kind"),
    "where": ("Địa chỉ", "Address"),
    "id": ("Số", "ID"),
    "finding": ("Phát hiện", "Finding"),
    "channel": ("Kênh", "Channel"),
    "status": ("Trạng thái", "Status"),
    "approved": ("Duyệt", "Approved"),
    "submitted": ("Ngày gửi", "Submitted"),
    "reference": ("Mã tham chiếu", "Reference"),
    "follow_up": ("Theo dõi lại", "Follow up"),
    "taken_down": ("Ngày gỡ", "Taken down"),
    "answer": ("Trả lời", "Answer"),
    "history": ("Lịch sử", "History"),
}
# Kinds the monitor itself can send to, once an officer has approved.
MACHINE_KINDS = frozenset({"netcraft", "registrar"})


def word(table: dict[str, tuple[str, str]], key: str, lang: Language) -> str:
    """The display word of `key`; unknown keys are shown as they are."""
    pair = table.get(key)
    if pair is None:
        return key.replace("_", " ")
    return pair[1] if lang == "en" else pair[0]
