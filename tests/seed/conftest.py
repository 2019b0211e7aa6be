"""Fixtures of the seed tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def seed(app):
    """Run `flask seed-demo` (with extra arguments) through the CLI; returns the click result."""

    def run(*args: str):
        result = app.test_cli_runner().invoke(args=["seed-demo", *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        return result

    return run
