"""Reasons behind a score: stable codes, and the sentence an officer reads for each."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.i18n import Language


@dataclass(frozen=True, slots=True)
class Reason:
    """One piece of evidence: what was seen (`detail`) and how many points it moved the score."""

    code: str
    detail: str
    weight: int

    def to_dict(self) -> dict[str, str | int]:
        return {"code": self.code, "detail": self.detail, "weight": self.weight}


# code -> (Vietnamese, English). "{detail}" is what was seen; a sentence whose reason has no
# detail is cut before the colon.
TEXTS: dict[str, tuple[str, str]] = {
    "allowlisted": (
        "Thuộc kênh chính thức hoặc kênh hợp pháp đã khai báo: {detail}",
        "Belongs to an official or declared legitimate channel: {detail}",
    ),
    "legitimate_name": (
        "Đây là tên của một đơn vị hợp pháp, không phải tài khoản giả: {detail}",
        "This is the name of a legitimate organisation, not a fake: {detail}",
    ),
    "organization_match": (
        "Tên có tên cơ quan: {detail}",
        "The name contains the office's name: {detail}",
    ),
    "organization_variant": (
        "Tên có tên cơ quan viết sai hoặc biến dạng: {detail}",
        "The name contains the office's name, misspelt or disguised: {detail}",
    ),
    "location_match": (
        "Tên có địa danh của cơ quan: {detail}",
        "The name contains the office's place: {detail}",
    ),
    "location_typo": (
        "Tên có địa danh của cơ quan nhưng viết sai: {detail}",
        "The name contains the office's place, misspelt: {detail}",
    ),
    "sub_unit_match": (
        "Tên có một đơn vị thuộc địa bàn của cơ quan: {detail}",
        "The name contains a district of the office's area: {detail}",
    ),
    "region_match": (
        "Tên có khu vực của cơ quan: {detail}",
        "The name contains the office's region: {detail}",
    ),
    "parent_office": (
        "Tên có tên cơ quan cấp trên mà cơ quan nay trực thuộc: {detail}",
        "The name contains the parent office the office now belongs to: {detail}",
    ),
    "staff_title": (
        "Tên tự xưng là cán bộ, nhân viên của cơ quan: {detail}",
        "The name claims to be the office's staff: {detail}",
    ),
    "brand_name": (
        "Tên trùng với tên gọi của cơ quan: {detail}",
        "The name is one of the office's own names: {detail}",
    ),
    "other_location": (
        "Tên chỉ một nơi khác, không phải địa bàn của cơ quan: {detail}",
        "The name points to another place, not the office's area: {detail}",
    ),
    "third_party": (
        "Trang tự giới thiệu là một đơn vị khác (báo, luật, doanh nghiệp…), không xưng là cơ quan: {detail}",
        "The page names itself as another kind of organisation (news, law, business…): {detail}",
    ),
    "descriptive_text": (
        "Giống một câu mô tả hoặc tiêu đề bài viết hơn là tên một trang: {detail}",
        "Reads like a description or a headline rather than a page name: {detail}",
    ),
    "no_location": (
        "Không có địa danh của cơ quan, có thể là trang chung về bảo hiểm xã hội",
        "No place of the office is named; it may be a general social-insurance page",
    ),
    "no_organization": (
        "Không có tên cơ quan, chỉ có địa danh",
        "The office's name is missing; only the place is named",
    ),
    "no_brand_terms": (
        "Không có tên cơ quan hay địa danh của cơ quan",
        "Neither the office's name nor its place is named",
    ),
    "scam_phrase": (
        "Có cụm từ hay gặp ở trang lừa đảo: {detail}",
        "Uses a phrase common on scam pages: {detail}",
    ),
    "phone_number": (
        "Có số điện thoại trong tên: {detail}",
        "Shows a phone number in the name: {detail}",
    ),
    "official_hotline": (
        "Dùng số tổng đài chính thức để tạo lòng tin: {detail}",
        "Shows the official hotline to win trust: {detail}",
    ),
    "official_claim": (
        "Tự nhận là chính thức: {detail}",
        "Claims to be official: {detail}",
    ),
    "homoglyphs": (
        "Dùng chữ của bảng chữ cái khác trông giống chữ Latinh (Kirin, Hy Lạp…) để né bộ lọc: {detail}",
        "Uses look-alike letters from other alphabets (Cyrillic, Greek…) to dodge filters: {detail}",
    ),
    "invisible_characters": (
        "Chèn ký tự vô hình vào giữa chữ để né bộ lọc: {detail}",
        "Hides invisible characters inside words to dodge filters: {detail}",
    ),
    "bidi_override": (
        "Dùng ký tự đảo chiều văn bản để chữ hiển thị khác với nội dung thật",
        "Uses a direction override so the text shows differently from what it is",
    ),
    "decorated_letters": (
        "Dùng chữ trang trí (in đậm kiểu toán học, chữ toàn khổ, chữ trong ô…) để né bộ lọc: {detail}",
        "Uses decorated letters (math bold, fullwidth, boxed…) to dodge filters: {detail}",
    ),
    "digits_as_letters": (
        "Dùng số hoặc ký hiệu thay cho chữ cái (như 8 thay B, 1 thay i): {detail}",
        "Uses digits or symbols in place of letters (such as 8 for B, 1 for i): {detail}",
    ),
    "lookalike_letters": (
        "Dùng chữ cái dễ nhầm thay cho chữ khác (như l thay i): {detail}",
        "Uses a confusable letter in place of another (such as l for i): {detail}",
    ),
    "spaced_letters": (
        "Tách rời từng chữ cái (như B.H.X.H) để né bộ lọc: {detail}",
        "Spaces or dots the letters apart (such as B.H.X.H) to dodge filters: {detail}",
    ),
    "punycode_domain": (
        "Tên miền quốc tế viết dưới dạng punycode (xn--), đã được giải mã để so khớp: {detail}",
        "An internationalised domain written in punycode (xn--), decoded for matching: {detail}",
    ),
    "legacy_encoding": (
        "Văn bản gõ bằng bảng mã cũ, đã được chuyển sang Unicode để so khớp: {detail}",
        "Text typed in a legacy encoding, converted to Unicode for matching: {detail}",
    ),
    "unofficial_account": (
        "Cơ quan không có tài khoản mạng xã hội nào; đây là một tài khoản trên: {detail}",
        "The office owns no social-media account; this is an account on: {detail}",
    ),
    "context_signal": (
        "Phần mô tả đi kèm có dấu hiệu đáng ngờ: {detail}",
        "The accompanying text shows warning signs: {detail}",
    ),
    "official_logo": (
        "Ảnh đại diện là bản sao logo chính thức của cơ quan ({detail})",
        "The profile picture is a copy of the office's official logo ({detail})",
    ),
    "signal": (
        "Dấu hiệu khác: {detail}",
        "Other sign: {detail}",
    ),
}


def describe(reason: Reason, lang: Language = "vi") -> str:
    """The sentence an officer reads for a reason, in Vietnamese (default) or English."""
    vi, en = TEXTS.get(reason.code, ("{detail}", "{detail}"))
    template = en if lang == "en" else vi
    detail = reason.detail.strip()
    if not detail:
        template = template.split(": {detail}")[0]
        return template if template != "{detail}" else reason.code
    return template.replace("{detail}", detail)
