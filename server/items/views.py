"""Console pages of the item list: list, detail with history, create, revise, retire, restore."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ROLES
from server.extensions import db
from server.items import access, operations, present, queries
from server.items.export import items_workbook, xlsx_response
from server.items.operations import ItemError
from server.items.schemas import (
    ItemCreateArgs,
    ItemFilterArgs,
    ItemReviseArgs,
    ReasonArgs,
    flat_errors,
    form_input,
)

bp = Blueprint("items", __name__, template_folder="templates")

# Helpers for item templates here and on the public pages.
bp.add_app_template_global(present.ratio_text, "item_ratio")
bp.add_app_template_global(present.frequency_text, "item_frequency")
bp.add_app_template_global(present.method_names, "item_methods")


def _get_item(code: str):
    item = queries.find_item(db.session, code)
    if item is None:
        abort(404)
    return item


def _method_options() -> dict[str, str]:
    return {
        code: present.code_name(row, code)
        for code, row in queries.method_codes(db.session, active_only=True).items()
    }


def _department_options() -> dict[str, str]:
    allowed = access.assignable_departments(current_user, queries.departments(db.session))
    return {str(d.id): d.name for d in allowed}


def _error_dict(error: ItemError) -> dict[str, list[str]]:
    return {error.field or "_schema": [error.translated()]}


@bp.get("/items")
@roles_required(*ROLES)
def index():
    try:
        args = ItemFilterArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    page = args.pop("page")
    stmt = queries.list_items(**args)
    pagination = db.paginate(
        stmt, page=page, per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    return render_template(
        "items/index.html",
        page=pagination,
        args=args,
        query_args=request.args.to_dict(),
        methods=queries.method_codes(db.session),
        method_options=_method_options(),
        department_options={str(d.id): d.name for d in queries.departments(db.session)},
        can_create=current_user.has_role(*access.CREATE_ROLES),
    )


@bp.get("/items/export.xlsx")
@roles_required(*ROLES)
def export():
    content = items_workbook(
        queries.current_items(db.session),
        bureau_name=current_app.config["BUREAU_NAME"],
        methods=queries.method_codes(db.session),
    )
    return xlsx_response(content)


@bp.route("/items/new", methods=["GET", "POST"])
@roles_required(*access.CREATE_ROLES)
def create():
    departments = _department_options()
    if not departments:
        abort(403)  # a department head without a department owns nothing
    values: dict = {"department_id": next(iter(departments)) if len(departments) == 1 else None}
    errors: dict = {}
    if request.method == "POST":
        values = form_input(request.form)
        try:
            args = ItemCreateArgs().load(values)
            if not access.can_create_in(current_user, args["department_id"]):
                abort(403)
            item = operations.create_item(
                db.session,
                actor=current_actor(),
                code=args.pop("code"),
                department_id=args.pop("department_id"),
                data=args,
            )
        except ValidationError as error:
            errors = flat_errors(error.messages)
        except ItemError as error:
            errors = _error_dict(error)
        else:
            flash(_("已新增事项 %(code)s（第 1 版）", code=item.code), "success")
            return redirect(url_for("items.detail", code=item.code))
    status = 422 if errors else 200
    return render_template(
        "items/form.html",
        item=None,
        values=values,
        errors=errors,
        method_options=_method_options(),
        department_options=departments,
    ), status


@bp.get("/items/<code>")
@roles_required(*ROLES)
def detail(code: str):
    return _render_detail(_get_item(code))


def _render_detail(item, errors: dict | None = None, status: int = 200):
    methods = queries.method_codes(db.session)
    return render_template(
        "items/detail.html",
        item=item,
        version=item.current,
        methods=methods,
        history=queries.history(db.session, item, methods),
        status_changes=queries.status_changes(db.session, item),
        can_edit=access.can_edit(current_user, item) and not item.is_retired,
        can_retire=access.can_retire(current_user, item),
        errors=errors or {},
    ), status


def _version_values(item) -> dict:
    """The current version as form values."""
    version = item.current
    return {
        "name": version.name,
        "legal_basis": version.legal_basis,
        "checking_body": version.checking_body,
        "object_scope": version.object_scope,
        "content": version.content,
        "methods": list(version.methods or []),
        "ratio_percent": present.number(version.ratio_percent),
        "ratio_is_statutory": version.ratio_is_statutory,
        "frequency_per_year": version.frequency_per_year,
        "frequency_is_statutory": version.frequency_is_statutory,
        "inspector_requirements": version.inspector_requirements,
        "department_id": str(item.department_id),
    }


@bp.route("/items/<code>/edit", methods=["GET", "POST"])
@roles_required(*access.EDIT_ROLES)
def edit(code: str):
    item = _get_item(code)
    if not access.can_edit(current_user, item):
        abort(403)
    if item.is_retired:
        flash(_("已停用的事项不能修订，请先恢复"), "error")
        return redirect(url_for("items.detail", code=item.code))
    values, errors = _version_values(item), {}
    if request.method == "POST":
        values = form_input(request.form)
        try:
            args = ItemReviseArgs().load(values)
            target = args["department_id"] or item.department_id
            if not access.can_create_in(current_user, target):
                abort(403)  # a department head cannot hand an item to another department
            version = operations.revise_item(
                db.session,
                actor=current_actor(),
                item=item,
                reason=args.pop("reason"),
                data=args,
            )
        except ValidationError as error:
            errors = flat_errors(error.messages)
        except ItemError as error:
            errors = _error_dict(error)
        else:
            flash(
                _("已保存事项 %(code)s 第 %(n)s 版", code=item.code, n=version.version_no),
                "success",
            )
            return redirect(url_for("items.detail", code=item.code))
    department_options = _department_options()
    # The current department stays selectable even for a back-office user's narrowed list.
    department_options.setdefault(str(item.department_id), item.department.name)
    return render_template(
        "items/form.html",
        item=item,
        values=values,
        errors=errors,
        method_options=_method_options(),
        department_options=department_options,
    ), (422 if errors else 200)


def _status_change(code: str, operation, done_message: str):
    item = _get_item(code)
    if not access.can_retire(current_user, item):
        abort(403)
    try:
        args = ReasonArgs().load(request.form.to_dict())
        operation(db.session, actor=current_actor(), item=item, reason=args["reason"])
    except ValidationError as error:
        return _render_detail(item, flat_errors(error.messages), 422)
    except ItemError as error:
        return _render_detail(item, _error_dict(error), 422)
    flash(done_message % {"code": item.code}, "success")
    return redirect(url_for("items.detail", code=item.code))


@bp.post("/items/<code>/retire")
@roles_required(*access.RETIRE_ROLES)
def retire(code: str):
    return _status_change(code, operations.retire_item, _("已停用事项 %(code)s"))


@bp.post("/items/<code>/restore")
@roles_required(*access.RETIRE_ROLES)
def restore(code: str):
    return _status_change(code, operations.restore_item, _("已恢复事项 %(code)s"))
