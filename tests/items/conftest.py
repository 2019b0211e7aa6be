"""Fixtures of the item list's tests (the item factories live in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def console(signed_in):
    """The shared `signed_in` (kept as `console` for the item tests' readability)."""
    return signed_in
