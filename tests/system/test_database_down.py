"""The database away (a restart, a failover): 503 with Retry-After, never a 500 that looks
like a bug; the server needs nothing done when the database comes back (pool_pre_ping)."""

from __future__ import annotations

from server import create_app

# Nothing listens on the discard port: every connection is refused at once.
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:9/spotcheck"


def test_requests_get_503_with_retry_after_while_the_database_is_away(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": UNREACHABLE,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
            "REDIS_URL": None,
        }
    )
    client = app.test_client()
    api = client.get("/api/v1/public/results")
    # (On a rate-limited route Flask-Limiter puts its own window in Retry-After.)
    assert api.status_code == 503 and int(api.headers["Retry-After"]) > 0
    assert api.json["code"] == 503 and api.json["message"] == "服务暂时不可用，请稍后再试"
    page = client.get("/public/results", headers={"Accept": "text/html"})
    assert page.status_code == 503 and "服务暂时不可用" in page.get_data(as_text=True)
    assert page.headers["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 503
