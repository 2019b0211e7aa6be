"""Fixtures of the auth tests: a signed-in admin, more browsers, audit-event snapshots."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import User
from tests.conftest import DEMO_PASSWORD, ConsoleClient


class AuthClient(ConsoleClient):
    """ConsoleClient whose CSRF token follows the sign-in.

    Signing in clears the session (no fixation), and the CSRF token with it, so a token
    fetched before the sign-in is dead afterwards; take the new one from the dashboard.
    """

    def login(self, username: str, password: str = DEMO_PASSWORD, next_url: str | None = None):
        self.refresh_csrf("/login")
        path = "/login" if next_url is None else "/login?" + urlencode({"next": next_url})
        response = self.client.post(
            path, data={"username": username, "password": password, "csrf_token": self.csrf_token}
        )
        if response.status_code == 302:
            self.refresh_csrf("/account")
        return response


@pytest.fixture
def client(app):
    """The test's main browser (overrides the shared one: see AuthClient)."""
    return AuthClient(app.test_client())


@pytest.fixture
def browser(app):
    """Make another browser: `browser()` → a client with its own cookie jar."""
    return lambda: AuthClient(app.test_client())


@pytest.fixture
def admin(signed_in, db):
    """The signed-in admin's client (user "admin1")."""
    return signed_in("admin", username="admin1")


@pytest.fixture
def admin_user(admin, db) -> User:
    return db.session.scalar(select(User).where(User.username == "admin1"))


@pytest.fixture
def audit_since(db):
    """`mark = audit_since()` then `mark.events()` → audit events appended after the mark."""

    class Mark:
        def __init__(self):
            self.seq = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
            self.seq = self.seq or 0

        def events(self) -> list[AuditEvent]:
            db.session.expire_all()
            return list(
                db.session.scalars(
                    select(AuditEvent).where(AuditEvent.seq > self.seq).order_by(AuditEvent.seq)
                )
            )

        def actions(self) -> list[str]:
            return [e.action for e in self.events()]

    return Mark


@pytest.fixture
def reload(db):
    """Read a user again from the database (after requests changed it)."""

    def get(user_or_name) -> User:
        db.session.expire_all()
        name = user_or_name if isinstance(user_or_name, str) else user_or_name.username
        return db.session.scalar(select(User).where(User.username == name))

    return get
