"""The field app (PWA) at /app/: the files of its Vite build (`PWA_DIST`, default pwa/dist).

A single-page app: any path under /app/ that is not a file of the build gets index.html, so a
reload or a shared link on a client-side route still opens the app. Caching follows the build:
hashed files under assets/ never change (a year, immutable); index.html, the service worker and
the manifest are revalidated every time (no-cache; send_file answers 304 from the ETag), so an
update reaches the phones at the next start. The service worker may control all of /app/.
The CSP of these responses is set in server/web.py (it allows workers, blobs and the manifest).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, send_from_directory
from werkzeug.security import safe_join

bp = Blueprint("fieldapp", __name__, template_folder="templates")

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MIMETYPES = {"manifest.webmanifest": "application/manifest+json"}


def dist() -> Path:
    return Path(current_app.config["PWA_DIST"])


@bp.get("/app/", defaults={"path": ""})
@bp.get("/app/<path:path>")
def serve(path: str):
    root = dist()
    if not (root / "index.html").is_file():
        return render_template("fieldapp/not_built.html"), 503
    if path:
        # safe_join refuses "..", absolute paths and backslashes: nothing outside the build.
        target = safe_join(str(root), path)
        if target is None:
            abort(404)
        if Path(target).is_file():
            return _send(root, path)
        if path.startswith("assets/"):
            # A hashed file of an older build: answering index.html would let a cache keep HTML
            # as "JavaScript" for a year. The service worker falls back to its own copy.
            abort(404)
    return _send(root, "index.html")


def _send(root: Path, path: str):
    response = send_from_directory(root, path, mimetype=MIMETYPES.get(path), max_age=0)
    response.headers["Cache-Control"] = IMMUTABLE if path.startswith("assets/") else REVALIDATE
    response.headers.pop("Expires", None)
    if path == "sw.js":
        response.headers["Service-Worker-Allowed"] = "/app/"
    return response
