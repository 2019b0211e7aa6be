"""The admin console: users, their roles and passwords, and departments (role `admin` only)."""

from __future__ import annotations

import uuid

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user

from server.auth import devices, operations, queries
from server.auth.models import Department, User
from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ADMIN
from server.auth.schemas import (
    department_args,
    parse_form,
    password_reset_args,
    user_create_args,
    user_filter_args,
    user_update_args,
)
from server.auth.views import bp
from server.extensions import db
from server.orm import utcnow

admin_only = roles_required(ADMIN)

# Never echoed back into a page, even after a failed submit.
_SECRET_FIELDS = ("password", "password_confirm", "csrf_token")


def _entered(form) -> dict:
    """What the person typed, to re-fill the form after an error (passwords excluded)."""
    values = {k: v for k, v in form.items() if k not in _SECRET_FIELDS}
    values["roles"] = form.getlist("roles")
    return values


def _refused_errors(refused: operations.Refused) -> dict[str, list[str]]:
    return {refused.field or "_form": [str(refused.message)]}


def _get_user(user_id: uuid.UUID) -> User:
    return db.session.get(User, user_id) or abort(404)


def _get_department(dept_id: uuid.UUID) -> Department:
    return db.session.get(Department, dept_id) or abort(404)


# --- users ---------------------------------------------------------------------------------


@bp.get("/admin/users")
@admin_only
def users():
    filters = user_filter_args.load_lenient(request.args)
    stmt = queries.users_query(
        q=filters["q"],
        role=filters["role"],
        department_id=filters["department_id"],
        state=filters["state"],
        now=utcnow(),
    )
    page = db.paginate(
        stmt,
        page=filters["page"],
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
        max_per_page=None,
    )
    # The pager keeps the filters; empty ones are left out of its links.
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "auth/users.html",
        page=page,
        filters=filters,
        args=args,
        departments=queries.department_choices(db.session),
        now=utcnow(),
    )


def _user_form_page(template: str, *, user: User | None, values, errors, status=200, **extra):
    keep = user.department_id if user else None
    return (
        render_template(
            template,
            user=user,
            values=values,
            errors=errors,
            departments=queries.department_choices(db.session, keep=keep),
            now=utcnow(),
            **extra,
        ),
        status,
    )


@bp.route("/admin/users/new", methods=["GET", "POST"])
@admin_only
def users_new():
    if request.method == "GET":
        return _user_form_page("auth/user_new.html", user=None, values={"roles": []}, errors={})
    data, errors = parse_form(user_create_args, request.form)
    if data is not None:
        try:
            user = operations.create_user(
                db.session,
                actor=current_actor(),
                username=data["username"],
                display_name=data["display_name"],
                password=data["password"],
                roles=data["roles"],
                department_id=data["department_id"],
                phone=data["phone"],
            )
        except operations.Refused as refused:
            errors = _refused_errors(refused)
        else:
            flash(_("已创建用户 %(name)s", name=user.username), "success")
            return redirect(url_for("auth.users_edit", user_id=user.id))
    return _user_form_page(
        "auth/user_new.html", user=None, values=_entered(request.form), errors=errors, status=422
    )


def _user_values(user: User) -> dict:
    return {
        "display_name": user.display_name,
        "department_id": str(user.department_id) if user.department_id else "",
        "roles": sorted(user.roles),
        "phone": user.phone or "",
        "is_active": "1" if user.is_active else "",
    }


def _edit_page(user: User, *, values=None, errors=None, pw_errors=None, status=200):
    return _user_form_page(
        "auth/user_edit.html",
        user=user,
        values=values if values is not None else _user_values(user),
        errors=errors or {},
        pw_errors=pw_errors or {},
        is_self=user.id == current_actor().id,
        devices=devices.list_devices(db.session, user.id),
        status=status,
    )


@bp.route("/admin/users/<uuid:user_id>", methods=["GET", "POST"])
@admin_only
def users_edit(user_id: uuid.UUID):
    user = _get_user(user_id)
    if request.method == "GET":
        return _edit_page(user)
    data, errors = parse_form(user_update_args, request.form)
    if data is not None:
        try:
            changed = operations.update_user(db.session, actor=current_actor(), user=user, **data)
        except operations.Refused as refused:
            errors = _refused_errors(refused)
        else:
            flash(_("已保存") if changed else _("没有需要保存的修改"), "success")
            return redirect(url_for("auth.users_edit", user_id=user.id))
    values = _entered(request.form)
    values.setdefault("is_active", "")
    return _edit_page(user, values=values, errors=errors, status=422)


@bp.post("/admin/users/<uuid:user_id>/password")
@admin_only
def users_password(user_id: uuid.UUID):
    user = _get_user(user_id)
    data, errors = parse_form(password_reset_args, request.form)
    if data is not None:
        try:
            operations.reset_password(
                db.session, actor=current_actor(), user=user, password=data["password"]
            )
            # The field app's tokens end with the password too, as the page promises.
            devices.revoke_all(db.session, actor=current_actor(), user=user, by="admin")
        except operations.Refused as refused:
            errors = _refused_errors(refused)
        else:
            flash(
                _("已重置 %(name)s 的密码，该用户的所有登录已退出", name=user.username), "success"
            )
            return redirect(url_for("auth.users_edit", user_id=user.id))
    return _edit_page(user, pw_errors=errors, status=422)


def _user_action(user_id: uuid.UUID, write, message: str):
    """Run a one-button write; a refusal shows the page again with a 409 and the reason."""
    user = _get_user(user_id)
    try:
        write(user)
    except operations.Refused as refused:
        flash(str(refused.message), "error")
        return _edit_page(user, status=409)
    flash(message % {"name": user.username}, "success")
    return redirect(url_for("auth.users_edit", user_id=user.id))


@bp.post("/admin/users/<uuid:user_id>/unlock")
@admin_only
def users_unlock(user_id: uuid.UUID):
    return _user_action(
        user_id,
        lambda u: operations.unlock_user(db.session, actor=current_actor(), user=u),
        _("已解除 %(name)s 的登录锁定"),
    )


@bp.post("/admin/users/<uuid:user_id>/deactivate")
@admin_only
def users_deactivate(user_id: uuid.UUID):
    return _user_action(
        user_id,
        lambda u: operations.set_user_active(
            db.session, actor=current_actor(), user=u, active=False
        ),
        _("已停用 %(name)s，其所有登录已退出"),
    )


@bp.post("/admin/users/<uuid:user_id>/reactivate")
@admin_only
def users_reactivate(user_id: uuid.UUID):
    return _user_action(
        user_id,
        lambda u: operations.set_user_active(
            db.session, actor=current_actor(), user=u, active=True
        ),
        _("已重新启用 %(name)s"),
    )


@bp.post("/admin/users/<uuid:user_id>/force-logout")
@admin_only
def users_force_logout(user_id: uuid.UUID):
    user = _get_user(user_id)
    operations.force_logout(db.session, actor=current_actor(), user=user)
    # "Every sign-in" includes the field app on the user's phones (a lost phone is the case).
    devices.revoke_all(db.session, actor=current_actor(), user=user, by="admin")
    if user.id == current_actor().id:
        # Signing out one's own other sessions keeps this one.
        login_user(user)
    flash(_("已强制退出 %(name)s 的所有登录", name=user.username), "success")
    return redirect(url_for("auth.users_edit", user_id=user.id))


@bp.post("/admin/users/<uuid:user_id>/devices/revoke")
@admin_only
def users_device_revoke(user_id: uuid.UUID):
    """Sign one phone of the user out (form field `device_id`); its next request gets 401."""
    user = _get_user(user_id)
    device = devices.device_of(db.session, request.form.get("device_id"), user.id) or abort(404)
    try:
        devices.revoke_device(db.session, actor=current_actor(), device=device, by="admin")
    except operations.Refused as refused:
        flash(str(refused.message), "error")
        return _edit_page(user, status=409)
    flash(_("设备“%(name)s”已退出登录", name=device.name), "success")
    return redirect(url_for("auth.users_edit", user_id=user.id))


# --- departments -----------------------------------------------------------------------------


def _departments_page(*, values=None, errors=None, status=200):
    return (
        render_template(
            "auth/departments.html",
            departments=queries.departments(db.session),
            user_counts=queries.department_user_counts(db.session),
            values=values or {},
            errors=errors or {},
        ),
        status,
    )


@bp.route("/admin/departments", methods=["GET", "POST"])
@admin_only
def departments():
    if request.method == "GET":
        return _departments_page()
    data, errors = parse_form(department_args, request.form)
    if data is not None:
        try:
            dept = operations.create_department(db.session, actor=current_actor(), **data)
        except operations.Refused as refused:
            errors = _refused_errors(refused)
        else:
            flash(_("已创建科室 %(name)s", name=dept.name), "success")
            return redirect(url_for("auth.departments"))
    return _departments_page(values=_entered(request.form), errors=errors, status=422)


@bp.route("/admin/departments/<uuid:dept_id>", methods=["GET", "POST"])
@admin_only
def departments_edit(dept_id: uuid.UUID):
    dept = _get_department(dept_id)
    if request.method == "GET":
        values = {"code": dept.code, "name": dept.name, "name_en": dept.name_en or ""}
        return render_template("auth/department_edit.html", dept=dept, values=values, errors={})
    data, errors = parse_form(department_args, request.form)
    if data is not None:
        try:
            changed = operations.update_department(
                db.session, actor=current_actor(), department=dept, **data
            )
        except operations.Refused as refused:
            errors = _refused_errors(refused)
        else:
            flash(_("已保存") if changed else _("没有需要保存的修改"), "success")
            return redirect(url_for("auth.departments"))
    return (
        render_template(
            "auth/department_edit.html", dept=dept, values=_entered(request.form), errors=errors
        ),
        422,
    )


def _department_action(dept_id: uuid.UUID, active: bool, message: str):
    dept = _get_department(dept_id)
    try:
        operations.set_department_active(
            db.session, actor=current_actor(), department=dept, active=active
        )
    except operations.Refused as refused:
        flash(str(refused.message), "error")
        return _departments_page(status=409)
    flash(message % {"name": dept.name}, "success")
    return redirect(url_for("auth.departments"))


@bp.post("/admin/departments/<uuid:dept_id>/deactivate")
@admin_only
def departments_deactivate(dept_id: uuid.UUID):
    return _department_action(dept_id, False, _("已停用科室 %(name)s"))


@bp.post("/admin/departments/<uuid:dept_id>/reactivate")
@admin_only
def departments_reactivate(dept_id: uuid.UUID):
    return _department_action(dept_id, True, _("已重新启用科室 %(name)s"))
