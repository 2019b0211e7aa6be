"""Console session handling: loading the user, the 30-minute idle timeout, forced sign-out."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from server.auth.models import User
from server.extensions import db, login_manager
from server.orm import utcnow

login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session holds "<uuid>:<epoch>"; a changed epoch (password, sign-out) ends it."""
    try:
        raw_id, raw_epoch = session_id.split(":", 1)
        user = db.session.get(User, uuid.UUID(raw_id))
        epoch = int(raw_epoch)
    except (ValueError, TypeError):
        return None
    if user is None or not user.is_active or user.session_epoch != epoch:
        return None
    return user


@login_manager.unauthorized_handler
def unauthorized():
    from server.web import wants_json

    if wants_json():
        from flask import abort

        abort(401)
    flash(_("请先登录"), "info")
    return redirect(url_for("auth.login", next=_return_path()))


def _return_path() -> str | None:
    """Where to go after signing in: the page asked for, unless it was a form submission."""
    if request.method != "GET":
        return None
    return request.full_path.rstrip("?")


def enforce_idle_timeout():
    """End a console session after IDLE_TIMEOUT_MINUTES without a request."""
    if not current_user.is_authenticated:
        return None
    now = utcnow()
    limit = dt.timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])
    last_seen = session.get("last_seen")
    if last_seen is not None:
        try:
            seen_at = dt.datetime.fromisoformat(last_seen)
        except ValueError:
            seen_at = None
        if seen_at is None or now - seen_at > limit:
            logout_user()
            session.clear()
            flash(_("长时间未操作，已自动退出，请重新登录"), "info")
            return redirect(url_for("auth.login", next=_return_path()))
    session["last_seen"] = now.isoformat()
    session.permanent = True
    return None
