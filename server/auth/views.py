"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from server.audit import operations as audit
from server.auth import operations
from server.auth.forms import LoginForm
from server.auth.session import enforce_idle_timeout
from server.extensions import db
from server.web import local_time

bp = Blueprint("auth", __name__, template_folder="templates")
bp.before_app_request(enforce_idle_timeout)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the dashboard."""
    if target and not urlsplit(target).netloc and target.startswith("/") and "//" not in target:
        return target
    return url_for("system.dashboard")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("system.dashboard"))
    form = LoginForm()
    # A refused sign-in answers 200 with the form again: its failure counter and audit
    # event must be committed, and only responses below 400 commit.
    status = 200
    if form.validate_on_submit():
        result = operations.authenticate(
            db.session,
            form.username.data,
            form.password.data,
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
        )
        if result.user is not None:
            next_url = _safe_next(request.args.get("next"))
            lang = session.get("lang")
            session.clear()  # a fresh session on sign-in: no fixation
            if lang:
                session["lang"] = lang
            login_user(result.user)
            return redirect(next_url)
        if result.error == "locked":
            flash(
                _("登录失败次数过多，账号已锁定至 %(time)s", time=local_time(result.locked_until)),
                "error",
            )
        elif result.error == "inactive":
            flash(_("该账号已停用，请联系系统管理员"), "error")
        else:
            flash(_("用户名或密码错误"), "error")
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    audit.record(
        db.session,
        actor=operations.actor_for(current_user),
        action="auth.logout",
        object_type="user",
        object_id=current_user.id,
    )
    logout_user()
    session.clear()
    flash(_("已安全退出"), "info")
    return redirect(url_for("auth.login"))
