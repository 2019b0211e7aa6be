"""Fixtures: an app on a fresh database per test (SQLite file copy, or PostgreSQL truncation).

The database is SQLite unless DATABASE_URL points at PostgreSQL (CI runs the suite on both).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import shutil
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

import server.models  # noqa: F401 - every table, for building the schema directly
from server import create_app
from server.audit import guard
from server.codes.models import Code
from server.codes.reference import code_rows
from server.directory import identifiers
from server.extensions import db as _db
from server.orm import Base
from tests.dbtools import clear_postgres

TEST_DATABASE_URL = os.environ.get("DATABASE_URL", "")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")
# pytest-xdist runs the suite in several processes (`make test` uses -n auto); on PostgreSQL each
# worker gets its own database next to the given one, so workers never clear each other's rows.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")

DEMO_PASSWORD = "spotcheck-demo"


def build_schema(url: str) -> None:
    """Create every table, the audit guard and the reference codes, as the migrations do."""
    engine = create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        Base.metadata.create_all(conn)
        guard.install(conn)
        conn.execute(insert(Code), code_rows())
    engine.dispose()


def worker_database(url: str) -> str:
    """The given PostgreSQL database, or under xdist a fresh one of this worker beside it."""
    if not XDIST_WORKER:
        return url
    base = make_url(url)
    name = f"{base.database}_{XDIST_WORKER}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _schema(tmp_path_factory) -> str:
    """Build the schema once per session; returns the template URL (SQLite) or the PG URL."""
    if IS_POSTGRES:
        url = worker_database(TEST_DATABASE_URL)
        build_schema(url)
        return url
    template = tmp_path_factory.mktemp("db") / "template.db"
    build_schema(f"sqlite:///{template}")
    return str(template)


@pytest.fixture
def database_url(_schema, tmp_path) -> str:
    """A fresh, empty database (schema + reference codes) for one test."""
    if IS_POSTGRES:
        clear_postgres(_schema)
        return _schema
    path = tmp_path / "test.db"
    shutil.copyfile(_schema, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    """The application, configured for tests, inside an app context."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            # Jobs in process, whatever the machine's environment says (tests/jobs use Redis).
            "REDIS_URL": None,
        }
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The Flask-SQLAlchemy handle; commit through it as a request would."""
    return _db


class IsolatedClient(FlaskClient):
    """A test client whose requests do not share `g`.

    The `app` fixture keeps one app context open for the whole test, and Flask reuses it for
    every request, so `g` would leak the CSRF token, the loaded user and the locale between
    requests — a browser never sees that. Clearing it makes each request start as in production.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key)
        return super().open(*args, **kwargs)


class ConsoleClient:
    """A test client that signs in and sends the CSRF token with every form, as a browser does."""

    def __init__(self, client):
        self.client = client
        self.csrf_token: str | None = None

    def __getattr__(self, name):
        return getattr(self.client, name)

    def refresh_csrf(self, path: str = "/login") -> str:
        page = self.client.get(path)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data)
        assert match, f"no CSRF token on {path}"
        self.csrf_token = match.group(1).decode()
        return self.csrf_token

    def login(self, username: str, password: str = DEMO_PASSWORD):
        self.refresh_csrf("/login")
        response = self.client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": self.csrf_token},
        )
        if response.status_code == 302:
            # Sign-in starts a fresh session (no fixation), so the old token is void.
            self.refresh_csrf("/")
        return response

    def post_form(self, path: str, data=None, **kwargs):
        """POST a console form with the session's CSRF token."""
        if self.csrf_token is None:
            self.refresh_csrf()
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token)
        return self.client.post(path, data=data, **kwargs)


@pytest.fixture
def client(app):
    return ConsoleClient(app.test_client())


@pytest.fixture
def make_department(db):
    from server.audit.operations import SYSTEM
    from server.auth.operations import create_department

    counter = iter(range(1, 10_000))

    def factory(name: str | None = None, code: str | None = None):
        n = next(counter)
        dept = create_department(
            db.session, actor=SYSTEM, code=code or f"D{n:02d}", name=name or f"测试科室{n}"
        )
        db.session.commit()
        return dept

    return factory


@pytest.fixture
def make_user(db, make_department):
    """Create a user with roles (password = DEMO_PASSWORD) and commit."""
    from server.audit.operations import SYSTEM
    from server.auth.operations import create_user

    def factory(username: str, *roles: str, department=None, display_name: str | None = None):
        user = create_user(
            db.session,
            actor=SYSTEM,
            username=username,
            display_name=display_name or username,
            password=DEMO_PASSWORD,
            roles=set(roles),
            department_id=(department or make_department()).id,
        )
        db.session.commit()
        return user

    return factory


@pytest.fixture
def signed_in(client, make_user):
    """Sign in a fresh user with the given roles: `signed_in("back_office")` → the client."""

    def sign_in(*roles: str, username: str | None = None, department=None):
        name = username or "u_" + "_".join(roles or ("none",))
        make_user(name, *roles, department=department)
        response = client.login(name)
        assert response.status_code == 302, response.data[:500]
        return client

    return sign_in


@pytest.fixture
def console(app, make_user):
    """A new browser signed in with roles: `console("admin")`; call again for another role."""

    def sign_in(*roles: str, username: str | None = None, department=None):
        name = username or "u_" + "_".join(roles or ("none",))
        make_user(name, *roles, department=department)
        browser = ConsoleClient(app.test_client())
        response = browser.login(name)
        assert response.status_code == 302, response.data[:500]
        return browser

    return sign_in


def _item_data(**overrides) -> dict:
    """Valid content of one item (单用途商业预付卡), with `overrides` applied."""
    data = {
        "name": "单用途商业预付卡发卡企业监督检查",
        "legal_basis": "《单用途商业预付卡管理办法（试行）》第三十四条",
        "checking_body": "经开区商务局",
        "object_scope": "在经开区登记注册的单用途商业预付卡发卡企业",
        "content": "备案情况、资金存管、发卡限额、购卡实名登记",
        "methods": ["onsite", "documentary"],
        "ratio_percent": None,
        "ratio_is_statutory": False,
        "frequency_per_year": None,
        "frequency_is_statutory": False,
        "inspector_requirements": "具有行政执法资格",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_item(db, make_department):
    """Create an item (version 1) through the operation and commit."""

    from server.audit.operations import SYSTEM
    from server.items import operations as item_operations

    def factory(department=None, code: str | None = None, **overrides):
        item = item_operations.create_item(
            db.session,
            actor=SYSTEM,
            code=code,
            department_id=(department or make_department()).id,
            data=_item_data(**overrides),
        )
        db.session.commit()
        return item

    return factory


def _form_of(data: dict, **extra) -> dict:
    """Item content as a browser would post it (lists repeated, flags as "1", None as "")."""
    form: dict = {}
    for key, value in {**data, **extra}.items():
        if isinstance(value, bool):
            if value:
                form[key] = "1"
        elif value is None:
            form[key] = ""
        else:
            form[key] = value if isinstance(value, list) else str(value)
    return form


@pytest.fixture
def item_data():
    """The valid-content builder: `item_data(ratio_percent=10)`."""
    return _item_data


@pytest.fixture
def item_form():
    """The form builder: `item_form(item_data(), reason="…")`."""
    return _form_of


# ---- the two directories -----------------------------------------------------------------


def make_uscc(n: int, *, prefix: str = "91110108") -> str:
    """A valid USCC (both check characters right) numbered `n`: 8-char prefix + org code."""
    org8 = f"{n:08d}"
    org9 = org8 + identifiers.org_code_check_char(org8)
    first17 = prefix + org9
    return first17 + identifiers.uscc_check_char(first17)


@pytest.fixture
def valid_uscc():
    """`valid_uscc(n)` → a valid USCC not used by make_subject (numbered from 90,000,000)."""
    return lambda n=1: make_uscc(90_000_000 + n)


@pytest.fixture
def make_region(db):
    """Create (or return the existing) region and commit: `make_region("HG", "皇冠街道")`."""
    from server.directory.models import Region

    def factory(code: str = "HG", name: str = "皇冠街道", **extra) -> Region:
        region = db.session.get(Region, code)
        if region is None:
            region = Region(code=code, name=name, **extra)
            db.session.add(region)
            db.session.commit()
        return region

    return factory


@pytest.fixture
def make_subject(db, make_region):
    """Create a subject through the operation (audited) and commit; overrides are model fields.

    `departments=[dept, ...]` sets the scope, `tags=[...]` and `risk_flags=[...]` as in the args.
    """
    from server.audit.operations import SYSTEM
    from server.directory.operations import create_subject

    counter = itertools.count(1)

    def factory(**overrides):
        n = next(counter)
        region_code = overrides.pop("region_code", None)
        if region_code is None:
            region_code = make_region().code
        departments = overrides.pop("departments", [])
        data = {
            "uscc": make_uscc(n),
            "name": f"测试企业{n}有限公司",
            "kind": "enterprise",
            "scale": "small",
            "region_code": region_code,
            "address": f"测试路{n}号",
            "legal_rep": None,
            "contact_name": None,
            "contact_phone": None,
            "business_scope": None,
            "established_on": None,
            "status": "active",
            "department_ids": [d.id if hasattr(d, "id") else d for d in departments],
            "tags": [],
            "risk_flags": None,
        }
        data.update(overrides)
        subject = create_subject(db.session, actor=SYSTEM, data=data)
        db.session.commit()
        return subject

    return factory


@pytest.fixture
def make_inspector(db, make_department):
    """Create an inspector through the operation (audited) and commit; overrides are fields.

    `department=dept` picks the department (a new one otherwise), `user=user` links an account.
    """
    from server.audit.operations import SYSTEM
    from server.directory.operations import create_inspector

    counter = itertools.count(1)

    def factory(**overrides):
        n = next(counter)
        department = overrides.pop("department", None)
        department_id = overrides.pop("department_id", None)
        if department_id is None:
            department_id = (department or make_department()).id
        user = overrides.pop("user", None)
        year = dt.date.today().year  # valid all of last, this and next year
        data = {
            "name": f"检查员{n:03d}",
            "id_number": None,
            "phone": None,
            "department_id": department_id,
            "credential_no": f"ZF{n:06d}",
            "credential_issuer": "北京市人民政府",
            "credential_valid_from": dt.date(year - 1, 1, 1),
            "credential_valid_until": dt.date(year + 1, 12, 31),
            "qualification": "law_enforcement",
            "is_team_lead_qualified": False,
            "is_active": True,
            "user_id": user.id if user is not None else None,
            "expertise": [],
        }
        data.update(overrides)
        inspector = create_inspector(db.session, actor=SYSTEM, data=data)
        db.session.commit()
        return inspector

    return factory


@pytest.fixture
def signed_in_as(app):
    """A new browser signed in as an existing user: `signed_in_as("head1")`."""

    def sign_in(username: str) -> ConsoleClient:
        browser = ConsoleClient(app.test_client())
        assert browser.login(username).status_code == 302
        return browser

    return sign_in


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(path).exists(), "Debian's chromium is required for browser tests"
    return path
