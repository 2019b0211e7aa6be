"""Field-app devices (sync v1 "Identity"): sign-in with the console's password check and lockout,
bearer tokens stored as hashes, and sign-out from the phone, from "my account" and by an admin."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import Device
from server.orm import utcnow
from tests.conftest import DEMO_PASSWORD

URL = "/api/v1/auth/device"
WRONG = "not-the-password"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def webcrypto_jwk(**extra) -> dict:
    """A public JWK as `crypto.subtle.exportKey("jwk", publicKey)` returns it."""
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
        "ext": True,
        "key_ops": ["verify"],
        **extra,
    }


def sign_in(client, username="insp1", password=DEMO_PASSWORD, **overrides):
    body = {
        "username": username,
        "password": password,
        "device_name": "张三的手机",
        "device_public_key": webcrypto_jwk(),
        **overrides,
    }
    return client.post(URL, json=body)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def inspector(make_user, make_inspector):
    user = make_user("insp1", "inspector", display_name="张三")
    make_inspector(user=user, name="张三", credential_no="ZF110001")
    return user


@pytest.fixture
def device(client, inspector):
    """A registered device of insp1: (response JSON, token)."""
    response = sign_in(client)
    assert response.status_code == 201, response.json
    return response.json, response.json["token"]


# ---------------------------------------------------------------------------- sign-in


def test_sign_in_returns_the_token_once_and_stores_only_its_hash(client, inspector, db):
    jwk = webcrypto_jwk()
    response = sign_in(client, device_public_key=jwk)
    assert response.status_code == 201
    body = response.json
    assert set(body) == {"device_id", "token", "user", "server_time"}
    assert body["user"]["username"] == "insp1"
    assert body["user"]["display_name"] == "张三"
    assert body["user"]["roles"] == ["inspector"]
    assert body["user"]["inspector"]["credential_no"] == "ZF110001"
    assert body["user"]["inspector"]["name"] == "张三"
    assert body["user"]["inspector"]["credential_issuer"]
    assert body["user"]["inspector"]["credential_valid"] is True
    assert body["user"]["inspector"]["credential_valid_until"]
    server_time = dt.datetime.fromisoformat(body["server_time"])
    assert abs((server_time - utcnow()).total_seconds()) < 60

    token = body["token"]
    stored = db.session.scalars(select(Device)).one()
    assert str(stored.id) == body["device_id"]
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps([str(getattr(stored, c.key)) for c in Device.__table__.c])
    # Only the key's defining members are kept (WebCrypto's "ext"/"key_ops" are not).
    assert stored.public_key == {k: jwk[k] for k in ("kty", "crv", "x", "y")}
    assert stored.name == "张三的手机" and stored.revoked_at is None

    check = client.get(URL, headers=bearer(token))
    assert check.status_code == 200
    assert check.json["device"]["id"] == body["device_id"]
    assert check.json["device"]["name"] == "张三的手机"
    assert check.json["device"]["last_mutation_seq"] == 0
    assert check.json["user"]["username"] == "insp1"


def test_a_user_without_an_inspector_record_gets_no_inspector(client, make_user):
    make_user("insp2", "inspector")
    response = sign_in(client, "insp2")
    assert response.status_code == 201
    assert response.json["user"]["inspector"] is None


def test_each_sign_in_is_its_own_device(client, inspector, db):
    first = sign_in(client).json
    second = sign_in(client).json
    assert first["device_id"] != second["device_id"] and first["token"] != second["token"]
    assert client.get(URL, headers=bearer(first["token"])).status_code == 200
    assert client.get(URL, headers=bearer(second["token"])).status_code == 200


@pytest.mark.parametrize("role", ["admin", "back_office", "dept_head", "leader"])
def test_only_inspectors_may_register_a_device(client, make_user, db, audit_since, role):
    make_user("someone", role)
    mark = audit_since()
    response = sign_in(client, "someone")
    assert response.status_code == 403
    assert "仅供执法检查人员使用" in response.json["detail"]
    assert response.json["reason"] == "not_inspector"
    assert db.session.scalars(select(Device)).all() == []
    assert "device.register_refused" in mark.actions()


def test_wrong_password_is_a_generic_401_that_counts(client, inspector, reload, db):
    response = sign_in(client, password=WRONG)
    assert response.status_code == 401
    assert response.json["detail"] == "用户名或密码错误"
    assert response.json["reason"] == "invalid"
    assert "token" not in response.json
    assert reload("insp1").failed_logins == 1  # committed despite the 401
    unknown = sign_in(client, "nobody")
    assert unknown.status_code == 401
    assert unknown.json == response.json  # no way to tell an unknown user from a wrong password
    assert db.session.scalars(select(Device)).all() == []


def test_the_fifth_failure_locks_the_console_too(client, browser, inspector, reload):
    for _ in range(4):
        assert sign_in(client, password=WRONG).status_code == 401
    fifth = sign_in(client, password=WRONG)
    assert fifth.status_code == 403
    assert fifth.json["reason"] == "locked"
    assert "已锁定" in fifth.json["detail"]
    assert reload("insp1").locked_until is not None
    # The same lock holds at the console, even with the right password …
    page = browser().login("insp1")
    assert page.status_code == 200 and "账号已锁定" in page.get_data(as_text=True)
    # … and for the app.
    again = sign_in(client)
    assert again.status_code == 403 and again.json["reason"] == "locked"


def test_console_failures_count_for_the_app(client, browser, inspector):
    console = browser()
    for _ in range(5):
        console.login("insp1", WRONG)
    response = sign_in(client)
    assert response.status_code == 403 and response.json["reason"] == "locked"


def test_a_deactivated_account_is_refused(client, inspector, reload, db):
    reload("insp1").is_active = False
    db.session.commit()
    response = sign_in(client)
    assert response.status_code == 403
    assert response.json["reason"] == "inactive"
    assert "停用" in response.json["detail"]


def test_deactivating_the_account_ends_its_devices(client, device, reload, db):
    _, token = device
    reload("insp1").is_active = False
    db.session.commit()
    assert client.get(URL, headers=bearer(token)).status_code == 401


@pytest.mark.parametrize(
    ("jwk", "member", "words"),
    [
        (webcrypto_jwk(d=b64url(b"\x07" * 32)), "d", "私钥"),
        (webcrypto_jwk(kty="RSA"), "kty", "EC"),
        (webcrypto_jwk(crv="P-384"), "crv", "P-256"),
        (webcrypto_jwk(x="AAAA"), "x", "32 字节"),
        (webcrypto_jwk(y=b64url(b"\x01" * 32)), "x", "曲线上的点"),  # not on the curve
        (webcrypto_jwk(key_ops=["sign"]), "key_ops", "verify"),
        (webcrypto_jwk(alg="RS256"), "alg", "ES256"),
    ],
)
def test_a_bad_public_key_is_a_422_naming_the_member(client, inspector, reload, jwk, member, words):
    response = sign_in(client, device_public_key=jwk)
    assert response.status_code == 422
    errors = response.json["errors"]["json"]["device_public_key"]
    assert words in errors[member][0]
    assert reload("insp1").failed_logins == 0  # refused before any password check


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"device_public_key": "not a key"}, "device_public_key", "公钥应为 JWK 对象"),
        ({"device_public_key": None}, "device_public_key", "不能为空"),
        ({"device_name": "   "}, "device_name", "不能为空"),
        ({"device_name": "长" * 101}, "device_name", "不能超过 100 个字符"),
        ({"username": ""}, "username", "不能为空"),
        ({"password": ""}, "password", "不能为空"),
        ({"password": "x" * 257}, "password", "不能超过 256 个字符"),
    ],
)
def test_bad_fields_are_422_in_chinese(client, inspector, body, field, message):
    response = sign_in(client, **body)
    assert response.status_code == 422
    assert message in response.json["errors"]["json"][field][0]


def test_missing_fields_are_422_in_chinese(client, inspector):
    response = client.post(URL, json={"username": "insp1"})
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert errors["password"] == ["必填"]
    assert errors["device_name"] == ["必填"]
    assert errors["device_public_key"] == ["必填"]


# ---------------------------------------------------------------------------- tokens


@pytest.mark.parametrize(
    "header", [None, "Bearer ", "Bearer nonsense", "Basic abc", "bearer-less-token"]
)
def test_requests_without_a_valid_token_get_401(client, device, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get(URL, headers=headers)
    assert response.status_code == 401
    assert "重新登录" in response.json["detail"]
    assert client.delete(URL, headers=headers).status_code == 401


def test_a_token_does_not_open_the_console(client, device):
    _, token = device
    response = client.get("/account", headers=bearer(token))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_console_session_does_not_open_the_device_api(client, inspector):
    assert client.login("insp1").status_code == 302
    assert client.get(URL).status_code == 401


def test_delete_signs_this_device_out(client, device, db, audit_since):
    body, token = device
    mark = audit_since()
    response = client.delete(URL, headers=bearer(token))
    assert response.status_code == 204
    assert client.get(URL, headers=bearer(token)).status_code == 401
    assert client.delete(URL, headers=bearer(token)).status_code == 401
    db.session.expire_all()
    stored = db.session.get(Device, uuid.UUID(body["device_id"]))
    assert stored.revoked_at is not None and stored.revoked_by_id == stored.user_id
    events = mark.events()
    assert [e.action for e in events] == ["device.revoke"]
    assert events[0].details == {"name": "张三的手机", "by": "self"}
    assert events[0].actor_label.startswith("user:insp1@device:")


# ---------------------------------------------------------------------------- console


def test_admin_sees_and_revokes_a_device_on_the_user_page(
    client, admin, admin_user, device, inspector, audit_since
):
    body, token = device
    page = admin.get(f"/admin/users/{inspector.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "外勤应用设备" in text and "张三的手机" in text and "已登录" in text
    mark = audit_since()
    response = admin.post_form(
        f"/admin/users/{inspector.id}/devices/revoke", {"device_id": body["device_id"]}
    )
    assert response.status_code == 302
    assert client.get(URL, headers=bearer(token)).status_code == 401  # at once
    events = mark.events()
    assert [e.action for e in events] == ["device.revoke"]
    assert events[0].actor_id == admin_user.id
    assert events[0].details == {"name": "张三的手机", "by": "admin"}
    page = admin.get(f"/admin/users/{inspector.id}").get_data(as_text=True)
    assert re.search(r'class="badge ?">已退出</span>', page)
    again = admin.post_form(
        f"/admin/users/{inspector.id}/devices/revoke", {"device_id": body["device_id"]}
    )
    assert again.status_code == 409 and "该设备已退出登录" in again.get_data(as_text=True)


def test_admin_revoke_checks_the_device_belongs_to_that_user(client, admin, device, make_user):
    body, token = device
    other = make_user("insp9", "inspector")
    for device_id in (body["device_id"], "not-a-uuid", ""):
        response = admin.post_form(
            f"/admin/users/{other.id}/devices/revoke", {"device_id": device_id}
        )
        assert response.status_code == 404
    assert client.get(URL, headers=bearer(token)).status_code == 200


def test_revoke_needs_the_csrf_token(client, admin, device, inspector):
    body, token = device
    response = admin.client.post(
        f"/admin/users/{inspector.id}/devices/revoke", data={"device_id": body["device_id"]}
    )
    assert response.status_code == 400
    assert client.get(URL, headers=bearer(token)).status_code == 200


def test_force_logout_and_password_reset_end_the_devices(client, admin, inspector, db):
    token = sign_in(client).json["token"]
    admin.post_form(f"/admin/users/{inspector.id}/force-logout")
    assert client.get(URL, headers=bearer(token)).status_code == 401
    token = sign_in(client).json["token"]
    new = "a-new-password-123"
    response = admin.post_form(
        f"/admin/users/{inspector.id}/password", {"password": new, "password_confirm": new}
    )
    assert response.status_code == 302
    assert client.get(URL, headers=bearer(token)).status_code == 401


def test_the_user_sees_and_revokes_own_devices_on_the_account_page(
    client, browser, device, audit_since
):
    body, token = device
    console = browser()
    assert console.login("insp1").status_code == 302
    page = console.get("/account").get_data(as_text=True)
    assert "我的外勤设备" in page and "张三的手机" in page
    mark = audit_since()
    response = console.post_form("/account/devices/revoke", {"device_id": body["device_id"]})
    assert response.status_code == 302
    assert client.get(URL, headers=bearer(token)).status_code == 401
    events = mark.events()
    assert [e.action for e in events] == ["device.revoke"]
    assert events[0].details == {"name": "张三的手机", "by": "owner"}


def test_changing_ones_password_ends_ones_devices(client, browser, device):
    _, token = device
    console = browser()
    console.login("insp1")
    new = "a-new-password-123"
    response = console.post_form(
        "/account/password",
        {"current_password": DEMO_PASSWORD, "new_password": new, "new_password_confirm": new},
    )
    assert response.status_code == 302
    assert client.get(URL, headers=bearer(token)).status_code == 401


def test_nobody_else_revokes_a_device_but_an_admin(client, browser, device, make_user):
    body, token = device
    make_user("insp2", "inspector")
    other = browser()
    assert other.login("insp2").status_code == 302
    mine_only = other.post_form("/account/devices/revoke", {"device_id": body["device_id"]})
    assert mine_only.status_code == 404
    admin_route = other.post_form(
        f"/admin/users/{body['user']['id']}/devices/revoke", {"device_id": body["device_id"]}
    )
    assert admin_route.status_code == 403
    assert client.get(URL, headers=bearer(token)).status_code == 200


def test_users_without_devices_see_no_device_section(client, browser, make_user):
    make_user("office1", "back_office")
    console = browser()
    console.login("office1")
    assert "我的外勤设备" not in console.get("/account").get_data(as_text=True)


# ---------------------------------------------------------------------------- contract, audit


def test_openapi_lists_the_device_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json
    operations = spec["paths"][URL]
    assert {"post", "get", "delete"} <= set(operations)
    assert "201" in operations["post"]["responses"]
    assert {"401", "403", "422"} <= set(operations["post"]["responses"])
    assert operations["get"]["security"] == [{"deviceToken": []}]
    assert operations["delete"]["security"] == [{"deviceToken": []}]
    assert spec["components"]["securitySchemes"]["deviceToken"]["scheme"] == "bearer"
    ref = operations["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    args = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(args["required"]) == {"username", "password", "device_name", "device_public_key"}


def test_audit_events_never_hold_the_token_or_the_password(client, inspector, db):
    token = sign_in(client).json["token"]
    sign_in(client, password=WRONG)
    client.delete(URL, headers=bearer(token))
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    actions = [e.action for e in events]
    assert "device.register" in actions and "device.revoke" in actions
    assert "auth.login_failed" in actions
    dumped = json.dumps(
        [[e.actor_label, e.object_id, e.details, e.state_digest] for e in events],
        default=str,
        ensure_ascii=False,
    )
    for secret in (token, hashlib.sha256(token.encode()).hexdigest(), DEMO_PASSWORD, WRONG):
        assert secret not in dumped


def test_the_audit_chain_verifies_after_device_writes(app, client, device):
    _, token = device
    client.delete(URL, headers=bearer(token))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
