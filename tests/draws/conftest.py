"""Fixtures for DSR-v1 tests."""

from __future__ import annotations

import pytest

from tests.draws.support import drawn_bundle


@pytest.fixture
def bundle() -> dict:
    """A fresh internal bundle per test (tests tamper with it)."""
    return drawn_bundle()
