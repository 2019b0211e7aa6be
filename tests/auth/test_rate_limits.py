"""Rate limits per client address (Flask-Limiter): sign-in, the credential check, public JSON."""

from __future__ import annotations

import pytest

from server import create_app


def test_console_sign_in_attempts_are_limited_per_address_and_the_form_itself_is_not(
    app, client, make_user
):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user("alice", "admin")
    for _ in range(5):
        assert client.get("/login").status_code == 200  # showing the form does not count
    for _ in range(3):
        assert client.login("alice", "wrong password").status_code == 200
    refused = client.login("alice")  # even the right password, from this address, now
    assert refused.status_code == 429
    assert "请求过于频繁" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0
    # Another address is counted on its own.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    page = other.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    response = other.post(
        "/login",
        data={"username": "alice", "password": "spotcheck-demo", "csrf_token": token.split('"')[0]},
    )
    assert response.status_code != 429


def test_phone_sign_in_is_limited_with_a_structured_chinese_error(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    for _ in range(2):
        assert client.post("/api/v1/auth/device", json={}).status_code == 422
    response = client.post("/api/v1/auth/device", json={})
    assert response.status_code == 429
    body = response.get_json()
    assert body["code"] == 429 and body["message"] == "请求过于频繁，请稍后再试"
    assert "Retry-After" in response.headers


def test_public_json_and_the_credential_check_are_limited_per_address(app, client):
    app.config["PUBLIC_API_RATE_LIMIT"] = "2 per minute"
    app.config["CREDENTIAL_CHECK_RATE_LIMIT"] = "1 per minute"
    assert client.get("/api/v1/public/items").status_code == 200
    assert client.get("/api/v1/public/items").status_code == 200
    assert client.get("/api/v1/public/items").status_code == 429
    assert client.get("/c/not-a-token").status_code == 404
    assert client.get("/c/not-a-token").status_code == 429


@pytest.mark.parametrize("hops, expected", [(0, 429), (1, 200)])
def test_behind_one_proxy_the_forwarded_address_is_the_one_counted(
    database_url, tmp_path, hops, expected
):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "k",
            "PROXY_COUNT": hops,
            "PUBLIC_API_RATE_LIMIT": "1 per minute",
        }
    )
    client = app.test_client()
    first = client.get("/api/v1/public/items", headers={"X-Forwarded-For": "203.0.113.1"})
    assert first.status_code == 200
    second = client.get("/api/v1/public/items", headers={"X-Forwarded-For": "203.0.113.2"})
    # Without ProxyFix both come from the test client's own address: the second is refused.
    assert second.status_code == expected
    with app.app_context():
        from server.extensions import db

        db.engine.dispose()
