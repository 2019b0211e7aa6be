"""Health check, OpenAPI document, language switch, security headers."""


def test_healthz_reports_ok_after_a_database_round_trip(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_openapi_document_is_served_under_api_v1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["info"]["title"] == "SpotCheck API"
    assert doc["openapi"].startswith("3.")


def test_console_requires_sign_in_and_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_page_is_chinese_by_default_and_english_on_switch(client):
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en")
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_pages_carry_security_headers(client):
    headers = client.get("/login").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_api_path_answers_structured_json_in_chinese(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == 404
    assert body["message"] == "找不到该页面或对象"


def test_signed_in_user_sees_the_dashboard(signed_in):
    client = signed_in("back_office", username="office9")
    page = client.get("/").get_data(as_text=True)
    assert "您好" in page
    assert "检查对象" in page
