"""Console pages of tasks (/tasks) and checklist templates (/checklists)."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ROLES
from server.clock import local_today
from server.directory.vocab import QUALIFICATIONS, RISK_FLAGS, SUBJECT_KINDS, SUBJECT_SCALES
from server.extensions import db
from server.items import present as item_present
from server.items.queries import departments, method_codes
from server.items.schemas import flat_errors
from server.tasks import access, operations, present, queries, workflow
from server.tasks.api import blp as api_blp
from server.tasks.operations import TaskError
from server.tasks.schemas import (
    ChecklistArgs,
    CommentArgs,
    CommissionArgs,
    QuestionArgs,
    TaskArgs,
    TaskFilterArgs,
    form_input,
    percent_from_ratio,
)
from server.tasks.vocab import (
    ANSWER_TYPES,
    COMMISSION_SCOPES,
    ORIGINS,
    POOL_MODES,
    SAMPLE_KINDS,
    TARGETINGS,
)

bp = Blueprint("tasks", __name__, template_folder="templates")
api_blueprints = [api_blp]


@bp.app_context_processor
def _task_vocab():
    return {
        "task_states": workflow.STATES,
        "task_state_badges": workflow.STATE_BADGES,
        "answer_types": ANSWER_TYPES,
        "commission_scopes": COMMISSION_SCOPES,
    }


def _get_task(task_id: str):
    task = queries.get_task(db.session, task_id)
    if task is None:
        abort(404)
    return task


def _fail(error: TaskError):
    """403/409 refusals become the status; 422 ones are shown on the form."""
    if error.status in (403, 409):
        abort(error.status, description=error.translated())


def _method_options() -> dict[str, str]:
    return {
        code: item_present.code_name(row, code)
        for code, row in method_codes(db.session, active_only=True).items()
    }


def _template_options(department_id) -> dict[str, str]:
    return {
        str(t.id): f"{t.name}（{_('第 %(n)s 版', n=t.version_no)}）"
        for t in queries.current_templates(db.session, department_id)
    }


# ---------------------------------------------------------------- list


@bp.get("/tasks")
@roles_required(*ROLES)
def index():
    try:
        args = TaskFilterArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    page = args.pop("page")
    pagination = db.paginate(
        queries.list_tasks(**args),
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    years = sorted({*queries.task_years(db.session), local_today().year}, reverse=True)
    return render_template(
        "tasks/index.html",
        page=pagination,
        args=args,
        query_args=request.args.to_dict(),
        year_options={str(y): str(y) for y in years},
        department_options={str(d.id): d.name for d in departments(db.session)},
        state_options={k: str(v) for k, v in workflow.STATES.items()},
        can_create=current_user.has_role(*access.CREATE_ROLES),
    )


# ---------------------------------------------------------------- form


def _blank_values(department_id) -> dict:
    today = local_today()
    return {
        "department_id": str(department_id) if department_id else None,
        "year": today.year,
        "origin": "plan",
        "targeting": "untargeted",
        "team_size": 2,
        "pool_mode": "automatic",
        "sample_kind": "ratio",
        "sample_percent": "5",
        "window_start": today.isoformat(),
        "window_end": dt.date(today.year, 12, 31).isoformat(),
        "item_ids": [],
        "methods": [],
    }


def _task_values(task) -> dict:
    filters, pool = task.target_filters or {}, task.pool_filters or {}
    return {
        "name": task.name,
        "department_id": str(task.department_id),
        "year": task.year,
        "origin": task.origin,
        "ad_hoc_reason": task.ad_hoc_reason,
        "item_ids": [str(ti.item_id) for ti in task.items],
        "targeting": task.targeting,
        "target_kinds": filters.get("kinds", []),
        "target_scales": filters.get("scales", []),
        "target_regions": filters.get("regions", []),
        "target_risk_flags": filters.get("risk_flags", []),
        "target_tags": "、".join(filters.get("tags", [])),
        "team_size": task.team_size,
        "pool_mode": task.pool_mode,
        "pool_qualifications": pool.get("qualifications", []),
        "pool_expertise": "、".join(pool.get("expertise", [])),
        "window_start": task.window_start.isoformat(),
        "window_end": task.window_end.isoformat(),
        "sample_kind": task.sample_kind,
        "sample_count": task.sample_count,
        "sample_percent": percent_from_ratio(task.sample_ratio),
        "methods": list(task.methods or []),
        "checklist_template_id": str(task.checklist_template_id or ""),
        "workflow_notes": task.workflow_notes,
        "materials": task.materials,
    }


def _item_label(item, planned: dict | None) -> str:
    label = f"{item.current.name}（{item.code}）"
    if planned is not None and item.id in planned:
        label += " · " + _("已列入年度计划")
    return label


def _render_form(task, values: dict, errors: dict, department, status: int = 200):
    items = queries.department_items(db.session, department.id)
    try:
        year = int(values.get("year") or local_today().year)
    except ValueError:
        year = local_today().year
    planned = queries.plan_lines(db.session, department.id, year)
    return render_template(
        "tasks/form.html",
        task=task,
        values=values,
        errors=errors,
        department=department,
        item_options={str(i.id): _item_label(i, planned) for i in items},
        plan_year=year,
        has_plan=planned is not None,
        method_options=_method_options(),
        template_options=_template_options(department.id),
        region_options=queries.regions(db.session),
        origins=ORIGINS,
        targetings=TARGETINGS,
        pool_modes=POOL_MODES,
        sample_kinds=SAMPLE_KINDS,
        kinds=SUBJECT_KINDS,
        scales=SUBJECT_SCALES,
        risk_flags=RISK_FLAGS,
        qualifications=QUALIFICATIONS,
    ), status


def _save(task, department):
    """Validate the posted form and create or update; a response either way."""
    values = form_input(request.form)
    values["department_id"] = str(department.id)
    try:
        args = TaskArgs().load(values)
        if task is None:
            task = operations.create_task(
                db.session, actor=current_actor(), user=current_user, data=args
            )
            flash(_("已保存任务草稿"), "success")
        else:
            operations.update_task(
                db.session, actor=current_actor(), user=current_user, task=task, data=args
            )
            flash(_("已保存任务"), "success")
    except ValidationError as error:
        return _render_form(task, values, flat_errors(error.messages), department, 422)
    except TaskError as error:
        _fail(error)
        errors = {error.field or "_schema": [error.translated()]}
        return _render_form(task, values, errors, department, 422)
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.route("/tasks/new", methods=["GET", "POST"])
@roles_required(*access.CREATE_ROLES)
def create():
    allowed = access.creatable_departments(current_user, departments(db.session))
    if not allowed:
        abort(403)
    chosen = request.values.get("department_id") or (
        str(allowed[0].id) if len(allowed) == 1 else None
    )
    department = next((d for d in allowed if str(d.id) == chosen), None)
    if department is None:
        if chosen:
            abort(403)
        return render_template(
            "tasks/choose_department.html", department_options={str(d.id): d.name for d in allowed}
        )
    if request.method == "POST":
        return _save(None, department)
    return _render_form(None, _blank_values(department.id), {}, department)


@bp.get("/tasks/<task_id>")
@roles_required(*ROLES)
def detail(task_id: str):
    return _render_detail(_get_task(task_id))


def _render_detail(task, errors: dict | None = None, status: int = 200):
    methods = method_codes(db.session)
    return render_template(
        "tasks/detail.html",
        task=task,
        methods=methods,
        method_names=item_present.method_names(task.methods or [], methods),
        target_lines=present.target_lines(task, queries.regions(db.session)),
        pool_lines=present.pool_lines(task),
        sample_text=present.sample_text(task),
        actions=access.allowed_actions(current_user, task),
        can_edit=access.can_edit(current_user, task),
        can_delete=access.can_delete(current_user, task),
        can_commission=access.can_manage_commissions(current_user, task),
        can_cancel=workflow.allowed(current_user, task, "cancel"),
        origins=ORIGINS,
        targetings=TARGETINGS,
        pool_modes=POOL_MODES,
        event_labels={"create": _("创建草稿")}
        | {a: str(t.label) for a, t in workflow.TRANSITIONS.items()},
        system_actors={"cli": _("系统（命令行）"), "system": _("系统")},
        errors=errors or {},
    ), status


@bp.route("/tasks/<task_id>/edit", methods=["GET", "POST"])
@roles_required(*access.CREATE_ROLES)
def edit(task_id: str):
    task = _get_task(task_id)
    if task.state not in workflow.EDITABLE_STATES:
        abort(409, description=_("任务已提交，不能再修改"))
    if not access.can_edit(current_user, task):
        abort(403)
    if request.method == "POST":
        return _save(task, task.department)
    return _render_form(task, _task_values(task), {}, task.department)


@bp.post("/tasks/<task_id>/delete")
@roles_required(*access.CREATE_ROLES)
def delete(task_id: str):
    task = _get_task(task_id)
    try:
        operations.delete_draft(db.session, actor=current_actor(), user=current_user, task=task)
    except TaskError as error:
        _fail(error)
    flash(_("已删除草稿"), "success")
    return redirect(url_for("tasks.index"))


def _errors_of(action: str, errors: dict) -> dict:
    """The cancel form has its own comment box (the review form may be on the same page)."""
    if action == "cancel" and "comment" in errors:
        errors["cancel_comment"] = errors.pop("comment")
    return errors


@bp.post("/tasks/<task_id>/<any(submit, approve, return, cancel):action>")
@roles_required(*ROLES)
def act(task_id: str, action: str):
    task = _get_task(task_id)
    try:
        args = CommentArgs().load(request.form.to_dict())
        operations.transition(
            db.session,
            task,
            action,
            actor=current_actor(),
            user=current_user,
            comment=args.get("comment"),
        )
    except ValidationError as error:
        return _render_detail(task, _errors_of(action, flat_errors(error.messages)), 422)
    except TaskError as error:
        _fail(error)
        errors = {error.field or "_schema": [error.translated()]}
        return _render_detail(task, _errors_of(action, errors), 422)
    messages = {
        "submit": _("已提交审核"),
        "approve": _("已审核通过"),
        "return": _("已退回修改"),
        "cancel": _("任务已取消"),
    }
    flash(messages[action], "success")
    return redirect(url_for("tasks.detail", task_id=task.id))


@bp.post("/tasks/<task_id>/commissions")
@roles_required(*access.CREATE_ROLES)
def add_commission(task_id: str):
    task = _get_task(task_id)
    try:
        args = CommissionArgs().load(request.form.to_dict())
        operations.add_commission(
            db.session, actor=current_actor(), user=current_user, task=task, data=args
        )
    except ValidationError as error:
        return _render_detail(task, flat_errors(error.messages), 422)
    except TaskError as error:
        _fail(error)
        return _render_detail(task, {error.field or "_schema": [error.translated()]}, 422)
    flash(_("已添加委托机构"), "success")
    return redirect(url_for("tasks.detail", task_id=task.id) + "#commissions")


@bp.post("/tasks/<task_id>/commissions/<commission_id>/delete")
@roles_required(*access.CREATE_ROLES)
def remove_commission(task_id: str, commission_id: str):
    task = _get_task(task_id)
    try:
        operations.remove_commission(
            db.session,
            actor=current_actor(),
            user=current_user,
            task=task,
            commission_id=_uuid(commission_id),
        )
    except TaskError as error:
        _fail(error)
        abort(404)
    flash(_("已删除委托机构"), "success")
    return redirect(url_for("tasks.detail", task_id=task.id) + "#commissions")


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        abort(404)


# ---------------------------------------------------------------- checklists


def _get_template(template_id: str):
    template = queries.get_template(db.session, template_id)
    if template is None:
        abort(404)
    return template


def _checklist_departments() -> dict[str, str]:
    if current_user.has_role("admin", "back_office"):
        return {str(d.id): d.name for d in departments(db.session)}
    return {
        str(d.id): d.name for d in departments(db.session) if d.id == current_user.department_id
    }


@bp.get("/checklists")
@roles_required(*ROLES)
def checklists():
    return render_template(
        "tasks/checklists.html",
        templates=queries.current_templates(db.session),
        can_create=current_user.has_role(*access.CHECKLIST_ROLES),
    )


@bp.route("/checklists/new", methods=["GET", "POST"])
@roles_required(*access.CHECKLIST_ROLES)
def checklist_create():
    options = _checklist_departments()
    if not options:
        abort(403)
    values: dict = {"department_id": next(iter(options)) if len(options) == 1 else None}
    errors: dict = {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            args = ChecklistArgs().load(values)
            template = operations.create_template(
                db.session, actor=current_actor(), user=current_user, data=args
            )
        except ValidationError as error:
            errors = flat_errors(error.messages)
        except TaskError as error:
            _fail(error)
            errors = {error.field or "_schema": [error.translated()]}
        else:
            flash(_("已新建检查表，请添加检查内容"), "success")
            return redirect(url_for("tasks.checklist_detail", template_id=template.id))
    return render_template(
        "tasks/checklist_new.html", values=values, errors=errors, department_options=options
    ), (422 if errors else 200)


@bp.get("/checklists/<template_id>")
@roles_required(*ROLES)
def checklist_detail(template_id: str):
    return _render_checklist(_get_template(template_id))


def _render_checklist(template, errors: dict | None = None, values=None, status: int = 200):
    can_edit = access.can_edit_checklist(current_user, template) and template.is_current
    department_options = _checklist_departments()
    department_options.setdefault(str(template.department_id), template.department.name)
    items = queries.department_items(db.session, template.department_id)
    return render_template(
        "tasks/checklist_detail.html",
        template=template,
        frozen=operations.is_frozen(db.session, template),
        versions=queries.template_versions(db.session, template),
        used_by=queries.tasks_using(db.session, template),
        can_edit=can_edit,
        department_options=department_options,
        item_code_options={i.code: f"{i.code} {i.current.name}" for i in items},
        errors=errors or {},
        values=values or {},
    ), status


def _checklist_write(template_id: str, write, done: str):
    template = _get_template(template_id)
    try:
        target = write(template)
    except ValidationError as error:
        return _render_checklist(template, flat_errors(error.messages), request.form.to_dict(), 422)
    except TaskError as error:
        _fail(error)
        errors = {error.field or "_schema": [error.translated()]}
        return _render_checklist(template, errors, request.form.to_dict(), 422)
    if target.id != template.id:
        done = _("该检查表已被下达的任务使用，已生成第 %(n)s 版", n=target.version_no)
    flash(done, "success")
    return redirect(url_for("tasks.checklist_detail", template_id=target.id) + "#questions")


def _kw():
    return {"actor": current_actor(), "user": current_user}


def _position() -> int:
    try:
        return int(request.form.get("position", ""))
    except ValueError:
        abort(400)


@bp.post("/checklists/<template_id>/edit")
@roles_required(*access.CHECKLIST_ROLES)
def checklist_update(template_id: str):
    def write(template):
        data = ChecklistArgs().load(request.form.to_dict())
        return operations.update_template(db.session, template=template, data=data, **_kw())

    return _checklist_write(template_id, write, _("已保存检查表"))


@bp.post("/checklists/<template_id>/questions")
@roles_required(*access.CHECKLIST_ROLES)
def question_add(template_id: str):
    def write(template):
        data = QuestionArgs().load(request.form.to_dict())
        return operations.add_question(db.session, template=template, data=data, **_kw())

    return _checklist_write(template_id, write, _("已添加检查内容"))


@bp.post("/checklists/<template_id>/questions/update")
@roles_required(*access.CHECKLIST_ROLES)
def question_update(template_id: str):
    def write(template):
        data = QuestionArgs().load(request.form.to_dict())
        return operations.update_question(
            db.session, template=template, position=_position(), data=data, **_kw()
        )

    return _checklist_write(template_id, write, _("已保存检查内容"))


@bp.post("/checklists/<template_id>/questions/remove")
@roles_required(*access.CHECKLIST_ROLES)
def question_remove(template_id: str):
    def write(template):
        return operations.remove_question(
            db.session, template=template, position=_position(), **_kw()
        )

    return _checklist_write(template_id, write, _("已删除检查内容"))


@bp.post("/checklists/<template_id>/questions/move")
@roles_required(*access.CHECKLIST_ROLES)
def question_move(template_id: str):
    offset = -1 if request.form.get("direction") == "up" else 1

    def write(template):
        return operations.move_question(
            db.session, template=template, position=_position(), offset=offset, **_kw()
        )

    return _checklist_write(template_id, write, _("已调整顺序"))
