"""Contact signals: phones, Zalo, bank accounts, e-mails and links — and the numbers that are none of them."""

from __future__ import annotations

import pytest

from monitor.enrich.banks import BankAccount
from monitor.enrich.contacts import Contacts, Link, extract_all, extract_contacts, normalize_phone


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("Liên hệ 0901234567", ["0901234567"]),
        ("SĐT: 0901 234 567", ["0901234567"]),
        ("Gọi 0912.345.678 hoặc 093-123-4567", ["0912345678", "0931234567"]),
        ("090.123.4567", ["0901234567"]),
        ("+84 987 654 321", ["0987654321"]),
        ("+84987654321, (+84) 38 123 4567, 84 901234567", ["0987654321", "0381234567", "0901234567"]),
        ("+84 (0) 901 234 567", ["0901234567"]),
        ("Hotline 1900 1234 / 1900.1234 / 1800-599-920", ["19001234", "1800599920"]),
        ("Tổng đài 1900 123 456", ["1900123456"]),
        ("Văn phòng 0274 3822 123, TP.HCM 028 3822 1234", ["02743822123", "02838221234"]),
        ("sdt0901234567", ["0901234567"]),
        ("ＳĐＴ ０９０１２３４５６７", ["0901234567"]),
        ("09\u200b01\u200b234\u200b567", ["0901234567"]),
    ],
)
def test_phones_in_every_written_form(text: str, phones: list[str]) -> None:
    assert list(extract_contacts(text).phones) == phones


@pytest.mark.parametrize(
    "text",
    [
        "Ngày 12.05.2024, 12/05/2024, 2024-05-12",
        "Năm 2023 2024 2025",
        "Nhận 5.000.000đ, 15,000,000 đồng, 120.000.000 VNĐ, 1.500.000 đ",
        "Phí 500.000đ/lần",
        "https://www.facebook.com/profile.php?id=100090123456789",
        "https://bhxh-binhduong.online/tin-tuc/0901234567",
        "https://t.me/c/1234567890/15",
        "mã hồ sơ 0901234567890123",
        "code 0901234567a",
        "CCCD 079123456789",
        "Số cũ 0123456789",
        "Quyết định số 1234/QĐ-BHXH",
        "Giờ làm việc 07:30 - 17:00",
        "",
    ],
)
def test_no_phone_in_dates_amounts_ids_and_urls(text: str) -> None:
    assert extract_contacts(text).phones == ()


def test_zalo_numbers_and_links() -> None:
    found = extract_contacts(
        "Rút BHXH 1 lần, zalo0901234567, Zalo: 0987.654.321, SĐT 0911222333. "
        "Gọi 0922333444 (Zalo) hoặc zalo.me/0933444555, nhóm https://zalo.me/g/abcdef123"
    )
    assert found.phones == ("0901234567", "0987654321", "0911222333", "0922333444", "0933444555")
    assert set(found.zalo) == {"0901234567", "0987654321", "0922333444", "0933444555", "g/abcdef123"}
    assert "0911222333" not in found.zalo  # "SĐT", not Zalo, names it
    assert Link("zalo", "zalo.me/g/abcdef123") in found.links


def test_zalo_keyword_belongs_to_the_following_number() -> None:
    found = extract_contacts("Liên hệ 0901234567 zalo 0912345678")
    assert found.zalo == ("0912345678",)


@pytest.mark.parametrize(
    ("text", "accounts"),
    [
        ("STK: 0071000123456 Vietcombank - CTK NGUYEN VAN A", [BankAccount("0071000123456", "Vietcombank")]),
        ("Techcombank 1903 6677 8899 00", [BankAccount("19036677889900", "Techcombank")]),
        ("STK MB 0901234567", [BankAccount("0901234567", "MB Bank")]),
        ("Số tài khoản: 1234 5678 9012 - Ngân hàng Agribank", [BankAccount("123456789012", "Agribank")]),
        (
            "chuyển khoản phí 1.500.000đ vào STK 19036677889900 (TCB)",
            [BankAccount("19036677889900", "Techcombank")],
        ),
        ("VCB 0071000123456", [BankAccount("0071000123456", "Vietcombank")]),
        ("số tài khoản 123456789", [BankAccount("123456789", None)]),
        (
            "BIDV: 31410001234567; VietinBank 101867123456",
            [BankAccount("31410001234567", "BIDV"), BankAccount("101867123456", "VietinBank")],
        ),
        (
            "STK 0123456789 ACB, TPBank 00001234567, VPBank 123456789, Sacombank 060123456789",
            [
                BankAccount("0123456789", "ACB"),
                BankAccount("00001234567", "TPBank"),
                BankAccount("123456789", "VPBank"),
                BankAccount("060123456789", "Sacombank"),
            ],
        ),
    ],
)
def test_bank_accounts(text: str, accounts: list[BankAccount]) -> None:
    assert list(extract_contacts(text).bank_accounts) == accounts


@pytest.mark.parametrize(
    "text",
    [
        "Hotline Vietcombank 1900545413",
        "Vietcombank thông báo ngày 12.05.2024",
        "STK nhận 5.000.000đ",
        "Nhận 15.000.000 VNĐ qua ngân hàng",
        "dung lượng 5 MB mã 123456789",
        "Vietcombank tuyển dụng 2024",
        "tài khoản Facebook 100090123456789",
    ],
)
def test_no_bank_account_without_context(text: str) -> None:
    assert extract_contacts(text).bank_accounts == ()


def test_keyword_of_an_earlier_number_does_not_carry_over() -> None:
    found = extract_contacts("STK 0071000123456 VCB, liên hệ 0901234567")
    assert found.bank_accounts == (BankAccount("0071000123456", "Vietcombank"),)
    assert found.phones == ("0901234567",)


def test_emails() -> None:
    found = extract_contacts("Email: Hotro.BHXH@gmail.com; logo@2x.png; BHXH@BinhDuong.Gov.Vn; a@b")
    assert found.emails == ("hotro.bhxh@gmail.com", "bhxh@binhduong.gov.vn")


def test_platform_links_are_normalised() -> None:
    found = extract_contacts(
        "Xem https://www.facebook.com/profile.php?id=100090123456789&mibextid=abc, m.facebook.com/bhxh.bd/, "
        "t.me/bhxh_hotro. Video: https://www.youtube.com/watch?v=abc123&t=5 và https://vm.tiktok.com/ZMabc/ "
        "web http://bhxh-binhduong.online/dang-ky?utm_source=fb)."
    )
    assert found.links == (
        Link("facebook", "facebook.com/profile.php?id=100090123456789"),
        Link("facebook", "facebook.com/bhxh.bd"),
        Link("telegram", "t.me/bhxh_hotro"),
        Link("youtube", "youtube.com/watch?v=abc123"),
        Link("tiktok", "vm.tiktok.com/ZMabc"),
        Link("web", "bhxh-binhduong.online/dang-ky"),
    )


def test_signals_and_merge() -> None:
    first = extract_contacts("Zalo 0901234567, STK 0071000123456 Vietcombank, hotro@bhxh.vn, t.me/bhxh_hotro")
    assert first.as_signals() == [
        "phone:0901234567",
        "zalo:0901234567",
        "bank:0071000123456",
        "email:hotro@bhxh.vn",
        "link:t.me/bhxh_hotro",
    ]
    merged = extract_all(["STK 0071000123456", "Zalo 0901234567", "gọi 0912345678"])
    assert merged.phones == ("0901234567", "0912345678")
    assert merged.bank_accounts == (BankAccount("0071000123456", None),)
    assert first.merge(merged).bank_accounts == (BankAccount("0071000123456", "Vietcombank"),)
    assert not Contacts()
    assert bool(first)


def test_normalize_phone() -> None:
    assert normalize_phone("84901234567") == "0901234567"
    assert normalize_phone("0901 234 567") == "0901234567"
    assert normalize_phone("19001234") == "19001234"
    assert normalize_phone("0123456789") is None
    assert normalize_phone("+1 650 253 0000") is None
    assert normalize_phone("x") is None


@pytest.mark.parametrize(
    "text",
    [
        "\ud800\udfff\x00" * 1_000,
        "9" * 60_000,
        "0901 " * 12_000,
        "@" * 50_000,
        "http://" * 8_000,
        "Ư" * 10_000,
    ],
)
def test_hostile_text_is_handled(text: str) -> None:
    found = extract_contacts(text)
    assert len(found.phones) <= 20
    assert len(found.links) <= 20
