"""Sign-in, sign-out and "my account". The admin console's pages are in admin_views.py."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from server import ratelimits
from server.auth import devices, operations
from server.auth.device_api import blp as device_api_blp
from server.auth.forms import LoginForm
from server.auth.schemas import parse_form, password_change_args
from server.auth.session import enforce_idle_timeout
from server.extensions import db
from server.orm import utcnow
from server.web import local_time

bp = Blueprint("auth", __name__, template_folder="templates")
api_blueprints = [device_api_blp]
bp.before_app_request(enforce_idle_timeout)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the dashboard."""
    # Browsers read "/\evil.example" as "//evil.example", and control characters are
    # stripped before parsing: refuse both, as well as anything with a host or scheme.
    if (
        target
        and target.startswith("/")
        and "//" not in target
        and "\\" not in target
        and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
        and not urlsplit(target).netloc
        and not urlsplit(target).scheme
    ):
        return target
    return url_for("system.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@ratelimits.sign_in
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
            session["last_seen"] = utcnow().isoformat()  # the idle clock starts now
            session.permanent = True
            return redirect(next_url)
        if result.error == "locked":
            until = local_time(result.locked_until)
            flash(_("错误次数过多，账号已锁定至 %(time)s（北京时间）", time=until), "error")
            flash(_("请到时再试，或联系系统管理员解锁。"), "info")
        elif result.error == "inactive":
            flash(_("该账号已停用，请联系系统管理员"), "error")
        else:
            flash(_("用户名或密码错误"), "error")
    elif request.method == "POST":
        # CSRF failures never get here (CSRFProtect answers 400 first): this is a blank field.
        flash(_("请输入用户名和密码"), "error")
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    operations.record_logout(db.session, current_user)
    logout_user()
    session.clear()
    flash(_("已安全退出"), "info")
    return redirect(url_for("auth.login"))


# --- my account (every signed-in user, whatever their roles) ---------------------------------


def _account_page(errors=None, status=200):
    return (
        render_template(
            "auth/account.html",
            errors=errors or {},
            devices=devices.list_devices(db.session, current_user.id),
        ),
        status,
    )


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
def account_password():
    data, errors = parse_form(password_change_args, request.form)
    if data is not None:
        try:
            operations.change_own_password(
                db.session,
                user=current_user,
                current_password=data["current_password"],
                new_password=data["new_password"],
            )
            # "Signed out everywhere else" includes the field app on the user's phones.
            devices.revoke_all(
                db.session, actor=operations.actor_for(current_user), user=current_user, by="owner"
            )
        except operations.Refused as refused:
            errors = {refused.field or "_form": [str(refused.message)]}
    if errors:
        return _account_page(errors, 422)
    # The epoch moved on, so every session ended; carry this one over to the new epoch.
    login_user(current_user._get_current_object())
    flash(_("密码已修改，其他设备上的登录已全部退出"), "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/devices/revoke")
@login_required
def account_device_revoke():
    """Sign out one of one's own phones (form field `device_id`); another's device is a 404."""
    device = devices.device_of(db.session, request.form.get("device_id"), current_user.id)
    if device is None:
        abort(404)
    try:
        devices.revoke_device(
            db.session, actor=operations.actor_for(current_user), device=device, by="owner"
        )
    except operations.Refused as refused:
        flash(str(refused.message), "error")
        return _account_page(status=409)
    flash(_("设备“%(name)s”已退出登录", name=device.name), "success")
    return redirect(url_for("auth.account"))


from server.auth import admin_views  # noqa: E402, F401 - registers the admin console on bp
