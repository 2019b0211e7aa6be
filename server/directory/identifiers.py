"""Check digits of the USCC (GB 32100-2015) and the resident ID number (GB 11643-1999).

Implemented from the standards as domain.md states them (python-stdnum cross-checks these in the
tests; it does not check the embedded organisation code, which we do).
"""

from __future__ import annotations

import datetime as dt
import unicodedata

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


class IdentifierError(ValueError):
    """An identifier that fails its standard; the message is Chinese, for people."""


def normalise(value: str) -> str:
    """Full-width to half-width, spaces removed, upper case (as typed in Excel)."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).upper()


def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC from its first 17 (GB 32100 / GB/T 17710 mod 31)."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def _org_value(char: str) -> int:
    # GB 11714: digits are their value, letters A–Z are 10–35.
    return int(char) if char.isdigit() else ord(char) - ord("A") + 10


def org_code_check_char(first8: str) -> str:
    """The check character of a 9-character organisation code (GB 11714) from its first 8."""
    total = sum(_org_value(c) * w for c, w in zip(first8, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_uscc(value: str) -> str:
    """Return the normalised USCC or raise IdentifierError with a Chinese reason."""
    code = normalise(value)
    if len(code) != 18:
        raise IdentifierError(f"统一社会信用代码应为18位，实际为{len(code)}位")
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise IdentifierError(
            f"统一社会信用代码含有无效字符：{''.join(bad)}（不使用 I、O、S、V、Z）"
        )
    org = code[8:17]
    org_check = org_code_check_char(org[:8])
    if org_check != org[8]:
        raise IdentifierError(
            f"统一社会信用代码第9–17位（组织机构代码）校验位错误，第17位应为 {org_check}"
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentifierError(f"统一社会信用代码校验位错误，第18位应为 {expected}")
    return code


def is_valid_uscc(value: str) -> bool:
    try:
        validate_uscc(value)
    except IdentifierError:
        return False
    return True


def resident_id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def validate_resident_id(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised 18-digit resident ID or raise IdentifierError (Chinese)."""
    number = normalise(value)
    if len(number) != 18:
        raise IdentifierError(f"居民身份证号码应为18位，实际为{len(number)}位")
    if not number[:17].isdigit() or number[17] not in "0123456789X":
        raise IdentifierError("居民身份证号码前17位应为数字，第18位为数字或 X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError("居民身份证号码中的出生日期无效") from None
    if birth > (today or dt.date.today()) or birth.year < 1900:
        raise IdentifierError("居民身份证号码中的出生日期无效")
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise IdentifierError(f"居民身份证号码校验位错误，第18位应为 {expected}")
    return number


def is_valid_resident_id(value: str) -> bool:
    try:
        validate_resident_id(value)
    except IdentifierError:
        return False
    return True
