"""Masking of personal data for public pages and logs (ID numbers, phones, names)."""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """110105********002X — keep the region prefix and the last four characters."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """138****5678."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str | None) -> str:
    """张** — keep the family name only."""
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)
