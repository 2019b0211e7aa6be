"""Factories of the directories: regions, subjects (valid generated USCCs) and inspectors."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ConsoleClient


@pytest.fixture
def client(app):
    """The test's browser."""
    return ConsoleClient(app.test_client())


@pytest.fixture
def browser(app):
    """Another browser with its own cookie jar: `browser().login("name")`."""
    return lambda: ConsoleClient(app.test_client())


@pytest.fixture
def listed():
    """`listed(response, "subjects")` → the names linked to detail pages, in page order."""

    def names(response, kind: str = "subjects") -> list[str]:
        html = response.get_data(as_text=True)
        return re.findall(rf'<a href="/{kind}/[0-9a-f-]{{36}}">([^<]+)</a>', html)

    return names
