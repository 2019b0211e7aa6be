"""How an item's values read to people: ratio, frequency, methods (console, public, Excel)."""

from __future__ import annotations

import decimal

from flask_babel import get_locale
from flask_babel import gettext as _

from server.codes.models import Code


def is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def code_name(code: Code | None, fallback: str) -> str:
    """A code's name in the page's language; an unknown code shows as itself."""
    if code is None:
        return fallback
    return code.name_en if is_english() and code.name_en else code.name_zh


def method_names(codes: list[str] | None, lookup: dict[str, Code]) -> list[str]:
    return [code_name(lookup.get(c), c) for c in codes or []]


def number(value: decimal.Decimal | None) -> str:
    """12.50 → "12.5", 5.00 → "5"."""
    if value is None:
        return ""
    text = format(value.quantize(decimal.Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def ratio_text(version) -> str:
    if version.ratio_percent is None:
        return _("不低于 5%（默认）")
    if version.ratio_is_statutory:
        return _("%(n)s%%（法定）", n=number(version.ratio_percent))
    return _("%(n)s%%", n=number(version.ratio_percent))


def frequency_text(version) -> str:
    if version.frequency_per_year is None:
        return _("每年不少于 1 次（默认）")
    if version.frequency_is_statutory:
        return _("每年 %(n)s 次（法定）", n=version.frequency_per_year)
    return _("每年 %(n)s 次", n=version.frequency_per_year)


def yes_no(value: bool) -> str:
    return _("是") if value else _("否")
