"""Web security of every page family: headers, cookies, session lifetime, CSRF, quiet logs.

Already covered elsewhere (not repeated): nosniff/DENY/frame-ancestors on /login
(tests/system/test_health.py); the field app's own CSP (tests/fieldapp/test_serving.py); a new
session cookie and no planted key at sign-in, CSRF-less sign-in, sign-out and admin writes
refused (tests/auth); passwords kept out of audit events (tests/auth). Here: the same headers on
every GET route of the app signed out and signed in, the CSP checked directive by directive, HSTS
over TLS only, the production cookie flags, stale cookies after sign-out, wrong (not missing)
CSRF tokens, bearer APIs free of CSRF, and the logs of a day's personal data.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.util
import logging
import re
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from server import create_app
from server.auth.models import Device, User
from server.config import PROJECT_ROOT
from server.extensions import db as _db
from server.objections.models import Objection
from server.visits.record_models import VisitRecord
from sync.integrity import record_hash
from tests.conftest import DEMO_PASSWORD, ConsoleClient, IsolatedClient
from tests.fieldapp.test_serving import dist  # noqa: F401 - fixture
from tests.objections.conftest import bench, desk, drawn_task, scene  # noqa: F401 - fixtures
from tests.objections.test_pages import public_form
from tests.syncapi.test_push import submission
from tests.uploads.support import make_device

SESSION = "spotcheck_session"
# Personal data of the log test: a resident ID number (valid check digit) and mobile numbers.
WITNESS_ID = "11010519491231002X"
WITNESS_PHONE = "13712345678"
OBJECTION_PHONE = "13912345678"
SECRET = "Pa55-word-never-logged"


# ---- every page family carries the headers -----------------------------------------------


def csp_directives(policy: str) -> dict[str, list[str]]:
    directives = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        assert name not in directives, f"{name} twice in {policy}"
        directives[name] = sources
    return directives


def assert_strict_csp(policy: str) -> None:
    """No wildcard, no inline or eval'd script, no scheme-wide source; framing and base pinned."""
    directives = csp_directives(policy)
    for name, sources in directives.items():
        for source in sources:
            assert "*" not in source, f"{name} {source}"
            assert source not in ("http:", "https:", "ws:", "wss:"), f"{name} {source}"
            assert source.strip("'") not in ("unsafe-inline", "unsafe-eval", "unsafe-hashes")
    assert directives["default-src"] == ["'self'"]
    # Scripts from this origin only: no data:, no blob:, no inline (nor via default-src).
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] in (["'self'"], ["'none'"])
    assert directives["form-action"] == ["'self'"]


def assert_security_headers(response, where: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), where
    assert_strict_csp(headers["Content-Security-Policy"])


def get_routes(app) -> list[str]:
    """Every GET route without a path parameter (pages, JSON, exports), sorted."""
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and not rule.arguments
        }
    )


def test_every_get_route_carries_the_security_headers_signed_out_and_in(app, console, dist):  # noqa: F811
    admin = console("admin", username="admin_sweep")
    anonymous = app.test_client()
    routes = get_routes(app)
    assert {"/", "/login", "/public/items", "/api/v1/openapi.json"} <= set(routes)
    extra = ["/app/", "/app/sw.js", "/app/visits/1", "/no-such-page", "/api/v1/no-such-thing"]
    for path in [*routes, *extra]:
        for who, client in (("signed out", anonymous), ("admin", admin)):
            response = client.get(path, buffered=True)
            assert response.status_code < 500, f"{path} {who}: {response.status_code}"
            assert_security_headers(response, f"{path} ({who})")


def test_plugins_are_off_everywhere(app, client, dist):  # noqa: F811
    for path in ("/login", "/public/items", "/api/v1/public/items", "/app/"):
        policy = client.get(path, buffered=True).headers["Content-Security-Policy"]
        assert csp_directives(policy).get("object-src") == ["'none'"], path


def test_hsts_is_sent_over_https_only(app, signed_in):
    browser = signed_in("back_office", username="office_tls")
    for path in ("/login", "/", "/public/items", "/api/v1/public/items", "/no-such-page"):
        secure = browser.get(path, base_url="https://localhost")
        hsts = secure.headers.get("Strict-Transport-Security", "")
        assert int(re.fullmatch(r"max-age=(\d+)(;.*)?", hsts).group(1)) >= 31_536_000, path
        assert "Strict-Transport-Security" not in browser.get(path).headers, path


# ---- no-store on personal data -------------------------------------------------------------


def test_personal_data_over_the_device_api_is_never_stored_by_caches(app, db, make_user):
    user = make_user("insp_cache", "inspector")
    token = make_device(db.session, user)
    bearer = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    pull = client.get("/api/v1/sync/pull", headers=bearer)
    assert pull.status_code == 200
    assert "no-store" in pull.headers["Cache-Control"]
    head = client.open("/api/v1/uploads/", method="OPTIONS")
    assert head.headers["Cache-Control"] == "no-store"


def test_signed_in_console_pages_are_never_stored_by_caches(app, console, make_inspector):
    admin = console("admin", username="admin_cache")
    inspector = make_inspector(id_number=WITNESS_ID, phone=WITNESS_PHONE)
    for path in ("/", "/account", "/inspectors", f"/inspectors/{inspector.id}", "/subjects"):
        response = admin.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response.headers.get("Cache-Control", ""), path


# ---- session cookies -----------------------------------------------------------------------


@pytest.fixture
def production_app(database_url, tmp_path, monkeypatch):
    """The app as deploy/env.example configures it: the cookie flags from the environment."""
    env = (PROJECT_ROOT / "deploy" / "env.example").read_text()
    assert "\nSPOTCHECK_SESSION_COOKIE_SECURE=true\n" in env
    monkeypatch.setenv("SPOTCHECK_SESSION_COOKIE_SECURE", "true")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "production-like-secret",
            "REDIS_URL": None,
        }
    )
    app.test_client_class = IsolatedClient
    yield app
    with app.app_context():  # its own engine and pool: closed, or PostgreSQL warns
        _db.session.remove()
        _db.engine.dispose()


def test_the_production_session_cookie_is_secure_httponly_and_samesite(production_app, db):
    from server.audit.operations import SYSTEM
    from server.auth.operations import create_department, create_user

    department = create_department(db.session, actor=SYSTEM, code="P1", name="生产科")
    create_user(
        db.session,
        actor=SYSTEM,
        username="prod1",
        display_name="prod1",
        password=DEMO_PASSWORD,
        roles={"back_office"},
        department_id=department.id,
    )
    db.session.commit()
    with production_app.app_context():
        browser = ConsoleClient(production_app.test_client())
        page = browser.client.get("/login", base_url="https://localhost")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data).group(1).decode()
        # Over HTTPS Flask-WTF also wants a same-origin Referer, as the browser sends it.
        response = browser.client.post(
            "/login",
            base_url="https://localhost",
            headers={"Referer": "https://localhost/login"},
            data={"username": "prod1", "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        cookies = response.headers.getlist("Set-Cookie")
        assert len(cookies) == 1 and cookies[0].startswith(f"{SESSION}=")  # no remember-me
        attributes = {a.strip().split("=")[0].lower(): a for a in cookies[0].split(";")[1:]}
        assert {"secure", "httponly", "samesite", "path"} <= set(attributes)
        assert attributes["samesite"].strip() in ("SameSite=Lax", "SameSite=Strict")
        # Permanent for the idle timeout only, not for days.
        expires = dt.datetime.strptime(
            attributes["expires"].split("=", 1)[1], "%a, %d %b %Y %H:%M:%S GMT"
        ).replace(tzinfo=dt.UTC)
        assert expires - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=31)


# ---- session fixation and stale cookies ----------------------------------------------------


def test_a_cookie_planted_before_sign_in_never_becomes_the_signed_in_session(
    app, client, make_user
):
    make_user("office_fix", "back_office")
    client.get("/login")
    planted = client.get_cookie(SESSION).value  # what an attacker fixed in the victim's browser
    assert client.login("office_fix").status_code == 302
    assert client.get_cookie(SESSION).value != planted
    attacker = app.test_client()
    attacker.set_cookie(SESSION, planted)
    assert attacker.get("/").status_code == 302  # still signed out
    assert attacker.get("/api/v1/visits").status_code == 401


def test_a_cookie_copied_before_sign_out_no_longer_authenticates(app, client, make_user):
    make_user("office_out", "back_office")
    assert client.login("office_out").status_code == 302
    stolen = client.get_cookie(SESSION).value
    assert client.post_form("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie(SESSION, stolen)
    assert replay.get("/account").status_code == 302
    assert replay.get("/api/v1/visits").status_code == 401


def test_a_cookie_copied_before_a_password_change_no_longer_authenticates(app, signed_in):
    browser = signed_in("back_office", username="office_pw")
    stolen = browser.get_cookie(SESSION).value
    response = browser.post_form(
        "/account/password",
        {
            "current_password": DEMO_PASSWORD,
            "new_password": "A-new-passw0rd-2026",
            "new_password_confirm": "A-new-passw0rd-2026",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    replay = app.test_client()
    replay.set_cookie(SESSION, stolen)
    assert replay.get("/account").status_code == 302
    assert browser.get("/account").status_code == 200  # this browser carries on


# ---- CSRF ----------------------------------------------------------------------------------


def password_hash(db, username: str) -> str:
    db.session.expire_all()
    return db.session.scalar(select(User.password_hash).where(User.username == username))


def test_a_token_of_another_session_or_of_before_sign_in_is_refused(app, db, signed_in, console):
    victim = signed_in("back_office", username="office_victim")
    attacker = console("back_office", username="office_attacker")
    before = password_hash(db, "office_victim")
    anonymous = ConsoleClient(app.test_client())
    pre_login = ConsoleClient(app.test_client())
    pre_login_token = pre_login.refresh_csrf("/login")
    form = {
        "current_password": DEMO_PASSWORD,
        "new_password": "Attacker-chose-this-1",
        "new_password_confirm": "Attacker-chose-this-1",
    }
    for token in (
        attacker.csrf_token,  # valid, but bound to the attacker's session
        anonymous.refresh_csrf("/login"),  # a signed-out visitor's
        pre_login_token,
        victim.csrf_token[:-2] + "xx",  # tampered
        "",
    ):
        response = victim.client.post("/account/password", data={**form, "csrf_token": token})
        assert response.status_code == 400, token
        header = victim.client.post("/account/password", data=form, headers={"X-CSRFToken": token})
        assert header.status_code == 400, token
    assert password_hash(db, "office_victim") == before
    # The session's own token still works: the refusals were about the token alone.
    assert victim.post_form("/account/password", form).status_code == 302
    assert password_hash(db, "office_victim") != before


def test_a_public_objection_with_another_visitors_token_is_refused(app, db, desk):  # noqa: F811
    stranger = ConsoleClient(app.test_client())
    token = stranger.refresh_csrf("/login")
    visitor = ConsoleClient(app.test_client())
    visitor.csrf_token = token  # not this browser's
    visitor.client.get("/public/items")  # a session of its own
    response = visitor.post_form(
        "/public/objections/new",
        {
            "publication": str(desk.publication.id),
            "uscc": desk.usccs()[0],
            "applicant_name": "某某有限公司",
            "contact": OBJECTION_PHONE,
            "grounds": "检查结果与事实不符",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Objection)) == 0


def test_bearer_apis_need_no_csrf_token_even_beside_a_console_session(app, db, signed_in):
    browser = signed_in("inspector", username="insp_both")  # a console cookie in the jar
    user = db.session.scalar(select(User).where(User.username == "insp_both"))
    token = make_device(db.session, user)
    bearer = {"Authorization": f"Bearer {token}"}
    pull = browser.client.get("/api/v1/sync/pull", headers=bearer)
    assert pull.status_code == 200
    device_id = db.session.scalars(select(Device.id).where(Device.user_id == user.id)).one()
    push = browser.client.post(
        "/api/v1/sync/push", json={"device_id": str(device_id), "mutations": []}, headers=bearer
    )
    assert push.status_code == 200, push.get_data(as_text=True)
    data = b"\x89PNG\r\n\x1a\n"
    created = browser.client.post(
        "/api/v1/uploads/",
        headers={
            **bearer,
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": "media_id "
            + base64.b64encode(str(uuid.uuid4()).encode()).decode()
            + ",sha256 "
            + base64.b64encode(b"a" * 64).decode()
            + ",content_type "
            + base64.b64encode(b"image/png").decode(),
        },
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    device = browser.client.post(
        "/api/v1/auth/device",
        json={
            "username": "insp_both",
            "password": "wrong",
            "device_name": "手机",
            "device_public_key": {},
        },
    )
    assert device.status_code in (401, 422)  # judged on its merits, never a CSRF 400


# ---- personal data never in the logs -------------------------------------------------------


def _gunicorn_config():
    """deploy/gunicorn.conf.py as a module: its access-log format and masking logger."""
    path = Path(PROJECT_ROOT / "deploy" / "gunicorn.conf.py")
    spec = importlib.util.spec_from_file_location("spotcheck_gunicorn_conf", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class AccessLog:
    """Wraps the WSGI app and writes the line gunicorn would, with deploy/gunicorn.conf.py."""

    def __init__(self, app) -> None:
        self.wsgi_app = app.wsgi_app
        self.conf = _gunicorn_config()
        self.lines: list[str] = []

    def __call__(self, environ, start_response):
        seen = {}

        def capture(status, headers, exc_info=None):
            seen.update(status=status, headers=headers)
            return start_response(status, headers, exc_info)

        body = b"".join(self.wsgi_app(environ, capture))
        logger = object.__new__(self.conf.MaskingLogger)  # atoms() needs no configured handlers
        request_headers = [
            (key[5:].replace("_", "-"), value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        ]
        environ.setdefault("RAW_URI", environ.get("PATH_INFO", ""))
        atoms = logger.atoms(
            SimpleNamespace(status=seen["status"], sent=len(body), headers=seen["headers"]),
            SimpleNamespace(headers=request_headers),
            environ,
            dt.timedelta(milliseconds=3),
        )
        self.lines.append(self.conf.access_log_format % logger.atoms_wrapper_class(atoms))
        return [body]


def witness_submission(phone, visit_id: str, task_id: str) -> dict:
    """A record.submit whose signed record names a witness with ID number and phone."""
    record_id = uuid.uuid4()
    args = submission(phone, record_id, visit_id, task_id)
    content = {
        **args["record"],
        "sign": {
            "signer": "法人0",
            "witness": {"name": "王五", "id_number": WITNESS_ID, "contact": WITNESS_PHONE},
        },
    }
    hash_hex = record_hash(content)
    args.update(record=content, record_hash=hash_hex, device_signature=phone.sign(hash_hex))
    return args


def test_a_days_personal_data_never_reaches_the_logs(app, db, desk, caplog, console):  # noqa: F811
    access = AccessLog(app)
    app.wsgi_app = access
    caplog.set_level(logging.DEBUG)
    # Console sign-in: a failure (the password typed into the name box too), then success.
    office = desk.bench.side.office
    browser = ConsoleClient(app.test_client())
    assert browser.login(office.username, SECRET).status_code == 200
    assert browser.login(SECRET, SECRET).status_code == 200
    assert browser.login(office.username).status_code == 302
    # Phone sign-in with a wrong password, in JSON.
    phone_login = app.test_client().post(
        "/api/v1/auth/device",
        json={
            "username": desk.bench.scene.users[0].username,
            "password": SECRET,
            "device_name": "张三的手机",
            "device_public_key": {"kty": "EC"},
        },
    )
    assert phone_login.status_code in (401, 422)
    # A phone pushes a record whose witness gave an ID number and a phone number.
    visit_id = desk.bench.visit_ids()[0]
    phone = desk.bench.phone_for(visit_id)
    args = witness_submission(phone, visit_id, str(desk.task.id))
    pushed = phone.push([phone.next("record.submit", args)])
    assert pushed["results"][0]["status"] in ("applied", "rejected")
    # … and one the server refuses (its hash does not match), which takes the error paths.
    bad = witness_submission(phone, visit_id, str(desk.task.id))
    bad["record_hash"] = "0" * 64
    refused = phone.push([phone.next("record.submit", bad)])
    assert refused["results"][0]["status"] == "rejected"
    # A business objects in public, leaving its contact number.
    visitor = ConsoleClient(app.test_client())
    filed = public_form(visitor, desk, contact=OBJECTION_PHONE, grounds=f"证人{WITNESS_ID}可证明")
    assert filed.status_code == 200, filed.get_data(as_text=True)[:500]
    # The office reads the objection and the visit (pages that show the data, masked or not).
    objection = db.session.scalars(select(Objection)).one()
    assert browser.get(f"/objections/{objection.id}").status_code == 200
    assert browser.get(f"/visits/{visit_id}").status_code == 200

    assert access.lines and len(access.lines) >= 10
    logged = "\n".join(
        [
            *access.lines,
            *(record.getMessage() for record in caplog.records),
            *(record.exc_text or "" for record in caplog.records),
            caplog.text,
        ]
    )
    for secret in (WITNESS_ID, WITNESS_PHONE, OBJECTION_PHONE, SECRET, DEMO_PASSWORD):
        assert secret not in logged, secret
    # Nor in pieces a log line might carry: the ID number's birth-date middle, unmasked.
    assert WITNESS_ID[6:14] not in logged
    assert db.session.scalar(select(func.count()).select_from(VisitRecord)) >= 1


def test_the_access_log_masks_credential_tokens_and_drops_query_strings(app):
    access = AccessLog(app)
    app.wsgi_app = access
    client = app.test_client()
    token = "T0k3n-" + "x" * 30
    client.get(f"/c/{token}?phone={OBJECTION_PHONE}")
    client.get(f"/api/v1/public/credentials/{token}")
    client.get(f"/public/objections/status?contact={OBJECTION_PHONE}")
    assert len(access.lines) == 3
    text = "\n".join(access.lines)
    assert token not in text and OBJECTION_PHONE not in text
    assert "/c/[token]" in text and "/api/v1/public/credentials/[token]" in text


def test_failed_sign_in_names_and_passwords_stay_out_of_app_logs(app, client, make_user, caplog):
    caplog.set_level(logging.DEBUG)
    make_user("office_log", "back_office")
    for _ in range(6):  # into the lockout, which has its own messages
        client.login("office_log", SECRET)
    assert SECRET not in caplog.text
    assert all(SECRET not in str(record.args) for record in caplog.records)
