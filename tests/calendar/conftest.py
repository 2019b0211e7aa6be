"""Fixtures of the calendar tests."""

from __future__ import annotations

import pytest
from flask import g


@pytest.fixture
def console(app, client, make_user):
    """A fresh browser signed in with roles, holding its session's CSRF token.

    Each call gets its own test client, so one test can compare what several roles see. The
    `app` fixture keeps one app context for the whole test and Flask reuses it for every
    request, so Flask-WTF's token cached in `g` would outlive the session that sign-in cleared;
    it is dropped before the fresh one is read (and so is Flask-Login's cached user, or the
    new browser would appear signed in as the previous one).
    """

    def sign_in(*roles: str, username: str | None = None):
        name = username or "u_" + "_".join(roles)
        make_user(name, *roles)
        browser = type(client)(app.test_client())
        _forget_request_state()
        assert browser.login(name).status_code == 302
        _forget_request_state()
        browser.refresh_csrf("/")
        return browser

    return sign_in


def _forget_request_state() -> None:
    g.pop("csrf_token", None)
    g.pop("_login_user", None)
