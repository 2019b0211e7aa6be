"""Fixtures for the tus endpoints: inspectors with device tokens, a restartable server, S3."""

from __future__ import annotations

import contextlib
import itertools

import pytest

from server import create_app
from server.extensions import db as _db
from tests.conftest import DEMO_PASSWORD, IsolatedClient
from tests.uploads.support import Tus, make_device, moto_endpoint  # noqa: F401 - fixture


@pytest.fixture
def server_config(database_url, tmp_path) -> dict:
    """What the `app` fixture is built from: the same database and instance folder."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key",
        "DEMO_PASSWORD": DEMO_PASSWORD,
    }


@pytest.fixture
def restarted(server_config):
    """`with restarted() as app:` — a fresh server process on the same database and folder."""

    @contextlib.contextmanager
    def start(**extra):
        app = create_app({**server_config, **extra})
        app.test_client_class = IsolatedClient
        with app.app_context():
            yield app
            _db.session.remove()
            _db.engine.dispose()

    return start


@pytest.fixture
def field(app, db, make_user):
    """`field()` → a Tus client for a new inspector's phone (`.user`, `.token`)."""
    counter = itertools.count(1)

    def sign_in(user=None, *, client_app=None):
        if user is None:
            user = make_user(f"inspector{next(counter)}", "inspector")
        token = make_device(db.session, user)
        tus = Tus((client_app or app).test_client(), token)
        tus.user = user
        return tus

    return sign_in
