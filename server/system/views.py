"""Dashboard, /healthz and the language switch."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request
from flask import session as http_session
from flask_login import login_required
from sqlalchemy import text

from server.extensions import db

bp = Blueprint("system", __name__, template_folder="templates")


@bp.get("/healthz")
def healthz():
    """Liveness with a real database round-trip; 503 when the database does not answer."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        current_app.logger.exception("health check: database unreachable")
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})


@bp.get("/lang/<code>")
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    http_session["lang"] = code
    target = request.referrer or "/"
    # Only ever bounce back to our own site.
    if not target.startswith(request.host_url):
        target = "/"
    return redirect(target)


@bp.get("/")
@login_required
def dashboard():
    from server.system.dashboard import dashboard_figures

    return render_template("system/dashboard.html", figures=dashboard_figures(db.session))
