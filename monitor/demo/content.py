"""The sample web's accounts: planted fakes of BHXH Bình Dương among legitimate results."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    """One search result the sample web can answer, and (for fetchable platforms) its page."""

    key: str
    title: str
    url: str
    snippet: str
    fake: bool
    # Telegram / TikTok pages served by the sample web, by path under its base URL.
    page_path: str | None = None
    description: str = ""


ACCOUNTS: tuple[Account, ...] = (
    Account(
        key="fb_hotro",
        title="Bảo Hiểm Xã Hội Bình Dương - Hỗ trợ rút BHXH 1 lần | Facebook",
        url="https://www.facebook.com/bhxhbinhduong.hotro/",
        snippet="Hỗ trợ rút BHXH 1 lần nhanh, nhận tiền trong ngày. Liên hệ Zalo 0901 234 567.",
        fake=True,
    ),
    Account(
        key="fb_profile",
        title="BHXH tỉnh Bình Dương - Trang chủ",
        url="https://m.facebook.com/profile.php?id=100089123456789&mibextid=ZbWKwL",
        snippet="Tư vấn chốt sổ, gộp sổ BHXH, cấp lại mật khẩu VssID. Tổng đài 0388 123 456.",
        fake=True,
    ),
    Account(
        key="tg_cskh",
        title="BHXH Bình Dương CSKH – Telegram",
        url="https://t.me/bhxhbinhduong_cskh",
        snippet="Kênh chính thức hỗ trợ rút bảo hiểm xã hội một lần.",
        fake=True,
        page_path="/tme/bhxhbinhduong_cskh",
        description="Hỗ trợ rút BHXH một lần, hoàn tiền 100%. Liên hệ 0912.345.678",
    ),
    Account(
        key="tt_official",
        title="BHXH Bình Dương Official (@bhxh.binhduong) | TikTok",
        url="https://www.tiktok.com/@bhxh.binhduong?lang=vi",
        snippet="Hướng dẫn rút BHXH 1 lần online. Nhắn tin để được hỗ trợ.",
        fake=True,
        page_path="/tiktok/@bhxh.binhduong",
        description="Hỗ trợ thủ tục BHXH Bình Dương. Zalo: 0977 888 999",
    ),
    Account(
        key="official_portal",
        title="Bảo hiểm xã hội tỉnh Bình Dương",
        url="https://binhduong.baohiemxahoi.gov.vn/",
        snippet="Cổng thông tin điện tử Bảo hiểm xã hội tỉnh Bình Dương.",
        fake=False,
    ),
    Account(
        key="national",
        title="Bảo hiểm xã hội Việt Nam",
        url="https://baohiemxahoi.gov.vn/Pages/default.aspx",
        snippet="Cổng thông tin điện tử Bảo hiểm xã hội Việt Nam.",
        fake=False,
    ),
    Account(
        key="other_province",
        title="BHXH tỉnh Bình Định | Facebook",
        url="https://www.facebook.com/bhxhbinhdinh",
        snippet="Trang thông tin của Bảo hiểm xã hội tỉnh Bình Định.",
        fake=False,
    ),
    Account(
        key="police",
        title="Công an tỉnh Bình Dương",
        url="https://congan.binhduong.gov.vn/",
        snippet="Cảnh báo thủ đoạn giả danh cơ quan BHXH để lừa đảo.",
        fake=False,
    ),
)

# The same fake under other URL forms, as other engines show it.
ALIASES: dict[str, str] = {
    "fb_hotro": "https://m.facebook.com/bhxhbinhduong.hotro?fbclid=IwAR0abc&ref=page_internal",
    "tg_cskh": "https://t.me/s/bhxhbinhduong_cskh",
}

RENAMED_TITLE = "BHXH Bình Dương - Hỗ trợ rút BHXH 1 lần, nhận tiền ngay | Facebook"
