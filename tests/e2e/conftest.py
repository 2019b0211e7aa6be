"""A live SpotCheck server with demo data, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from server import create_app
from server.extensions import db

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def live_server(_schema, tmp_path_factory):
    """Serve a demo-seeded app on a free loopback port for the module's browser tests."""
    from tests.e2e.support import reset_database

    workdir = tmp_path_factory.mktemp("live")
    url = reset_database(_schema, workdir)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(workdir / "instance"),
            "SECRET_KEY": "e2e-secret",
        }
    )
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=BROWSER_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    """SPOTCHECK_SCREENSHOTS=dir keeps the screenshots for people to look at."""
    target = os.environ.get("SPOTCHECK_SCREENSHOTS")
    path = Path(target) if target else tmp_path_factory.mktemp("shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def field_server(_schema, tmp_path_factory):
    """A fresh demo server for each field-app test (tests/e2e/field.py LiveServer): the tests'
    inspectors share teams, so a visit done by one test must not be the one another starts from."""
    from tests.e2e.field import LiveServer
    from tests.e2e.support import reset_database

    workdir = tmp_path_factory.mktemp("field")
    server = LiveServer(reset_database(_schema, workdir), workdir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def phone_browser(chromium_path):
    """Chromium with a fake camera and microphone that need no permission prompt."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.field import MEDIA_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=BROWSER_ARGS + MEDIA_ARGS
        )
        yield browser
        browser.close()
