"""Bank account numbers written near a Vietnamese bank name or an account keyword ("STK", "số tài khoản")."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class BankAccount:
    """An account number (digits only) and the bank named next to it, when one is."""

    number: str
    bank: str | None = None


# Canonical name -> how people write it. Short codes only as whole words; "MB" only in capitals,
# because "5 mb" is a file size.
_BANKS: tuple[tuple[str, str], ...] = (
    ("Vietcombank", r"vietcombank|\bvcb\b|ngoại thương"),
    ("Techcombank", r"techcombank|\btcb\b|kỹ thương"),
    ("MB Bank", r"\bmb\s?bank\b|(?-i:(?<!\d )(?<!\d)\bMB\b)|ngân hàng quân đội"),
    ("Agribank", r"agribank|nông nghiệp và phát triển nông thôn"),
    ("BIDV", r"\bbidv\b|đầu tư và phát triển"),
    ("VietinBank", r"vietinbank|\bvietin\b|ngân hàng công thương"),
    ("ACB", r"\bacb\b|ngân hàng á châu"),
    ("Sacombank", r"sacombank|sài gòn thương tín"),
    ("TPBank", r"\btp\s?bank\b|ngân hàng tiên phong"),
    ("VPBank", r"\bvp\s?bank\b|việt nam thịnh vượng"),
    ("HDBank", r"\bhd\s?bank\b"),
    ("SHB", r"\bshb\b"),
    ("VIB", r"\bvib\b"),
    ("MSB", r"\bmsb\b|maritime\s?bank"),
    ("OCB", r"\bocb\b|ngân hàng phương đông"),
    ("SeABank", r"\bsea\s?bank\b"),
    ("Eximbank", r"eximbank"),
    ("LPBank", r"\blp\s?bank\b|lienvietpostbank|liên việt"),
    ("Nam A Bank", r"\bnam\s?a\s?bank\b"),
    ("Bac A Bank", r"\bbac\s?a\s?bank\b|ngân hàng bắc á"),
    ("ABBank", r"\babbank\b|ngân hàng an bình"),
    ("PVcomBank", r"pvcombank"),
    ("Kienlongbank", r"kienlong\s?bank|ngân hàng kiên long"),
    ("SCB", r"\bscb\b"),
    ("NCB", r"\bncb\b|ngân hàng quốc dân"),
    ("Shinhan Bank", r"shinhan"),
    ("MoMo", r"\bmomo\b"),
    ("ZaloPay", r"zalo\s?pay"),
)
_BANK_PATTERNS = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _BANKS)
_ANY_BANK = re.compile("|".join(f"(?:{pattern})" for _, pattern in _BANKS), re.IGNORECASE)
_ACCOUNT_WORD = re.compile(
    r"\bstk\b|số tài khoản|so tai khoan|\bsố tk\b|tài khoản số|tai khoan so|\btk\s*:|chủ tài khoản"
    r"|chu tai khoan|\bctk\b|ngân hàng|ngan hang|\bnh\s*:|account (?:number|no)"
    r"|\bacc(?:ount)?\s*(?:no\.?)?\s*:|chuyển khoản|chuyen khoan",
    re.IGNORECASE,
)
# 6-19 digits, either run together or in groups of 2-6 split by single spaces, dots or hyphens.
_NUMBER = re.compile(r"(?<![\w.,/:=@-])(\d{2,6}(?:[ .-]\d{2,6}){1,5}|\d{6,19})(?![\w/@]|[.,]\d)")
_MONEY_AFTER = re.compile(r"^\s*(?:đ|₫|vnđ|vnd|đồng|dong|k\b|tr\b|triệu|nghìn|ngàn|%|usd|\$)", re.IGNORECASE)
_THOUSANDS = re.compile(r"^\d{1,3}(?:[.]\d{3})+$")
_DATE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
# Shaped like a Vietnamese phone or hotline number: an account only when a keyword says so
# ("Hotline Vietcombank 1900545413" is not an account; "STK MB 0901234567" is).
_PHONE_SHAPED = re.compile(r"^(?:0[35789]\d{8}|02\d{9}|1[89]00\d{4,6})$")
_DIGIT_RUN = re.compile(r"\d{3,}")
_CLAUSE_END = re.compile(r"\n|[.;!?•|]\s")
# How far from its keyword an account number may stand, within the same line.
_BEFORE = 60
_AFTER = 30


def find_accounts(text: str) -> list[BankAccount]:
    """Account numbers that stand within a few words of a bank name or an account keyword."""
    found: list[BankAccount] = []
    for match in _NUMBER.finditer(text):
        raw = match.group(1)
        digits = re.sub(r"\D", "", raw)
        if not 6 <= len(digits) <= 19 or _THOUSANDS.match(raw) or _DATE.match(raw):
            continue
        if _MONEY_AFTER.match(text[match.end() : match.end() + 8]) or text[max(0, match.start() - 1)] == "$":
            continue
        before, after = _window(text, match.start(), match.end())
        bank = _nearest_bank(before, after)
        # "STK: 123…" — the keyword comes first; a bank name may stand on either side.
        keyword = bool(_ACCOUNT_WORD.search(before))
        if not keyword and (bank is None or _PHONE_SHAPED.match(digits)):
            continue
        found.append(BankAccount(digits, bank))
    return found


def _window(text: str, start: int, end: int) -> tuple[str, str]:
    """The words around a number, within its sentence (a keyword of the next one does not count)."""
    before = _CLAUSE_END.split(text[max(0, start - _BEFORE) : start])[-1]
    after = _CLAUSE_END.split(text[end : end + _AFTER])[0]
    # A keyword already followed by another number belongs to that number.
    return _DIGIT_RUN.split(before)[-1], _DIGIT_RUN.split(after)[0]


def _nearest_bank(before: str, after: str) -> str | None:
    """The canonical name of the bank named closest to the number, on either side."""
    best: tuple[int, str] | None = None
    for match in _ANY_BANK.finditer(before):
        best = (len(before) - match.end(), match.group(0))
    first_after = _ANY_BANK.search(after)
    if first_after and (best is None or first_after.start() < best[0]):
        best = (first_after.start(), first_after.group(0))
    if best is None:
        return None
    return next((name for name, pattern in _BANK_PATTERNS if pattern.fullmatch(best[1])), None)
