"""The field app at /app/: files of the build, SPA fallback, caching, CSP, traversal, not built."""

from __future__ import annotations

import pytest

INDEX = b"<!doctype html><title>SpotCheck field app</title><div id=app></div>"


@pytest.fixture
def dist(app, tmp_path):
    """A small Vite build in a temporary folder, configured as PWA_DIST."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "icons").mkdir()
    (root / "index.html").write_bytes(INDEX)
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {});")
    (root / "manifest.webmanifest").write_text('{"name": "外勤", "start_url": "/app/"}')
    (root / "assets" / "index-3f9a1c2b.js").write_text("console.log('app');")
    (root / "assets" / "index-77aa0b1c.css").write_text("body{margin:0}")
    (root / "icons" / "icon-192.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)
    # Something beside the build that must never be reachable through /app/.
    (tmp_path / "secret.txt").write_text("TOP-SECRET")
    app.config["PWA_DIST"] = str(root)
    return root


@pytest.fixture
def get(client):
    """GET that reads and closes the body (files are streamed; an unclosed one is a warning)."""

    def call(path: str, **kwargs):
        return client.get(path, buffered=True, **kwargs)

    return call


def test_app_without_slash_redirects_to_app_slash(get, dist):
    response = get("/app")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/app/")


def test_the_shell_is_index_html_revalidated_every_time(get, dist):
    response = get("/app/")
    assert response.status_code == 200 and response.data == INDEX
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Expires" not in response.headers


@pytest.mark.parametrize("path", ["/app/visits/3f2c", "/app/credential", "/app/login?next=x"])
def test_a_client_side_route_gets_the_shell(get, dist, path):
    response = get(path)
    assert response.status_code == 200 and response.data == INDEX
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_service_worker_may_control_all_of_app_and_is_never_cached(get, dist):
    response = get("/app/sw.js")
    assert response.status_code == 200 and b"addEventListener" in response.data
    assert response.mimetype in {"text/javascript", "application/javascript"}
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/app/"


@pytest.mark.parametrize("name", ["index-3f9a1c2b.js", "index-77aa0b1c.css"])
def test_hashed_assets_are_cached_for_a_year_as_immutable(get, dist, name):
    response = get(f"/app/assets/{name}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Service-Worker-Allowed" not in response.headers


def test_a_missing_hashed_asset_is_404_not_the_shell(get, dist):
    # Else a year-long cache could keep HTML under a script's name.
    assert get("/app/assets/index-00000000.js").status_code == 404


def test_the_manifest_has_its_media_type(get, dist):
    response = get("/app/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"


def test_other_files_of_the_build_are_served_as_they_are(get, dist):
    response = get("/app/icons/icon-192.png")
    assert response.status_code == 200 and response.data.startswith(b"\x89PNG")


def test_an_unchanged_shell_answers_304(get, dist):
    first = get("/app/")
    again = get("/app/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/app/..%2fsecret.txt",
        "/app/..%2f..%2fsecret.txt",
        "/app/%2e%2e/secret.txt",
        "/app/assets/..%2f..%2fsecret.txt",
        "/app/..\\secret.txt",
        "/app//etc/passwd",
    ],
)
def test_paths_that_climb_out_of_the_build_never_reach_a_file(get, dist, path):
    response = get(path)
    assert b"TOP-SECRET" not in response.data and b"root:" not in response.data
    assert response.status_code in (200, 308, 404)
    if response.status_code == 200:  # at most the shell, never a file outside
        assert response.data == INDEX
    if response.status_code == 308:  # Werkzeug merges "//" and redirects inside /app/
        assert response.headers["Location"].endswith("/app/etc/passwd")


def test_field_app_responses_carry_the_field_app_csp(get, dist):
    for path in ("/app/", "/app/sw.js", "/app/assets/index-3f9a1c2b.js"):
        csp = get(path).headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["worker-src"] == "'self'"
        assert directives["img-src"] == "'self' data: blob:"
        assert directives["media-src"] == "'self' blob:"
        assert directives["connect-src"] == "'self'"
        assert directives["manifest-src"] == "'self'"
        assert directives["style-src"] == "'self'" and directives["script-src"] == "'self'"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_the_console_keeps_its_own_csp(get, dist):
    csp = get("/login").headers["Content-Security-Policy"]
    assert "worker-src" not in csp and "manifest-src" not in csp
    assert "frame-ancestors 'none'" in csp


def test_without_a_build_the_app_answers_503_with_how_to_build_it(app, get, tmp_path):
    app.config["PWA_DIST"] = str(tmp_path / "nowhere")
    for path in ("/app/", "/app/sw.js", "/app/visits/1"):
        response = get(path)
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert "外勤应用尚未构建" in page
        assert "make run" in page and "cd pwa &amp;&amp; npm ci &amp;&amp; npm run build" in page
        assert str(tmp_path) not in page  # no server paths on a public page


def test_the_default_build_folder_is_pwa_dist_of_the_repository(app):
    from server.config import PROJECT_ROOT

    assert app.config["PWA_DIST"] == str(PROJECT_ROOT / "pwa" / "dist")


def test_an_inspectors_visits_page_links_to_the_field_app(db, console, make_inspector):
    browser = console("inspector", username="insp_link")
    page = browser.get("/my/visits")
    assert page.status_code == 200
    assert 'href="/app/"' in page.get_data(as_text=True)
    assert "打开外勤应用" in page.get_data(as_text=True)
