"""Marking strings for translation where they are defined but translated where they are shown."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark `message` for extraction into the catalog; it is translated later, by `_()`."""
    return message
