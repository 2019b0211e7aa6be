"""The application factory: configuration, extensions, domains (their views and commands)."""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from server import MIGRATIONS_DIR, ratelimits, transactions, web
from server import config as config_module
from server import models as _models  # noqa: F401 - registers every table
from server.extensions import api, babel, csrf, db, limiter, login_manager, migrate

# A reader finds a domain by its folder. Each may have views.py (`bp`: console/public pages,
# `api_blueprints`: flask-smorest blueprints) and cli.py (`commands`: click commands).
DOMAINS = (
    "system", "auth", "audit", "calendar", "codes", "items", "directory",
    "plans", "tasks", "draws", "visits", "public", "uploads", "syncapi", "credentials",
    "fieldapp", "documents", "results", "publication",
    "objections",
    "followups",
    "jobs",
)  # fmt: skip


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults → SPOTCHECK_* environment → `config`. No DB query happens here."""
    config = dict(config or {})
    instance_path = Path(
        config.pop("INSTANCE_PATH", None)
        or os.environ.get("SPOTCHECK_INSTANCE_PATH")
        or config_module.PROJECT_ROOT / "instance"
    ).resolve()
    app = Flask(__name__, instance_path=str(instance_path))
    app.config.from_object(config_module.Defaults)
    app.config.from_prefixed_env("SPOTCHECK")
    app.config.update(config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", config_module.database_url(instance_path))
    if not app.config.get("REDIS_URL") and "REDIS_URL" not in config:
        # The usual name in deployments, like DATABASE_URL (SPOTCHECK_REDIS_URL wins).
        app.config["REDIS_URL"] = os.environ.get("REDIS_URL") or None
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.secret_key(instance_path)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        instance_path.mkdir(parents=True, exist_ok=True)

    if app.config["PROXY_COUNT"]:
        hops = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    login_manager.init_app(app)
    api.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    limiter.init_app(app)
    transactions.init_app(app)
    web.init_app(app)
    _register_domains(app)
    ratelimits.init_app(app)
    return app


def _register_domains(app: Flask) -> None:
    for name in DOMAINS:
        views = _optional_module(f"server.{name}.views")
        if views is not None:
            if getattr(views, "bp", None) is not None:
                app.register_blueprint(views.bp)
            for blueprint in getattr(views, "api_blueprints", ()):
                api.register_blueprint(blueprint)
                # Bearer-token and public JSON APIs do not use the console's CSRF cookie.
                if getattr(blueprint, "csrf_exempt", True):
                    csrf.exempt(blueprint)
        cli = _optional_module(f"server.{name}.cli")
        if cli is not None:
            for command in getattr(cli, "commands", ()):
                app.cli.add_command(command)


def _optional_module(dotted: str):
    package = dotted.rsplit(".", 1)[0]
    if importlib.util.find_spec(package) is None or importlib.util.find_spec(dotted) is None:
        return None
    return importlib.import_module(dotted)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: write-ahead log for concurrent readers, and enforce foreign keys."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
