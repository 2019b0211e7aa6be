"""Console pages of results (检查结果, Art. 25–27).

- GET  /results                       sections to enter or review (filters: task, state)
- GET  /results/deadlines             completed, unpublished tasks by publication due date
- GET  /results/tasks/<task_id>       a task's sections; start / complete buttons; its published
                                      versions, their deliveries and the publish button
                                      (server/publication/views.py)
- POST /results/tasks/<task_id>/<start|complete>
- GET  /results/visits/<visit_id>     the entry form, one section per task (phone-friendly)
- POST /results/visits/<visit_id>/tasks/<task_id>   save (and maybe submit) a section's result
- POST /results/sheets/<sheet_id>/<submit|approve|return|correct>

Refusals: 403 and 409 are the page's status; 422 re-renders the form with the message.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError

from server.auth.permissions import current_actor, roles_required
from server.calendar.deadlines import SOON_WORKDAYS
from server.clock import local_today
from server.codes.reference import FOLLOWUP, METHOD, RESULT
from server.errors import OperationError
from server.extensions import db
from server.items.schemas import flat_errors
from server.objections import queries as objection_queries
from server.publication import operations as publication_operations
from server.publication import queries as publication_queries
from server.results import access, operations, present, queries
from server.results.api import blp as api_blp
from server.results.models import EDITABLE_STATES
from server.results.schemas import (
    LIST_STATES,
    NOT_ENTERED,
    CommentArgs,
    CorrectionArgs,
    ResultFilterArgs,
    SheetArgs,
    sheet_input,
)
from server.tasks import queries as task_queries
from server.tasks import workflow
from server.visits import access as visit_access
from server.visits.models import Visit
from server.visits.review_views import RECORD_BADGES, RECORD_STATES

bp = Blueprint("results", __name__, template_folder="templates")
api_blueprints = [api_blp]


@bp.app_template_global("results_deadline")
def _results_deadline(task):
    """The publication deadline of a completed task, for the task page (None otherwise)."""
    if task.state != workflow.COMPLETED:
        return None
    return queries.task_deadline(db.session, task)


@bp.context_processor
def _vocabularies():
    return {
        "result_states": present.STATES,
        "result_badges": present.STATE_BADGES,
        "followup_status": present.FOLLOWUP_STATUS,
        "record_states": RECORD_STATES,
        "record_badges": RECORD_BADGES,
        "code_names": present.names,
    }


def _fail(error: OperationError):
    if error.status in (403, 409):
        abort(error.status, description=error.translated())


def _task(task_id: str):
    task = task_queries.get_task(db.session, task_id)
    if task is None or not access.may_read(current_user, task):
        abort(404)
    return task


def _visit(visit_id: str) -> Visit:
    key = queries.get_uuid(visit_id)
    visit = db.session.get(Visit, key) if key else None
    if visit is None or not visit_access.may_view(db.session, current_user, visit):
        abort(404)
    return visit


def _sheet(sheet_id: str):
    sheet = queries.get_sheet(db.session, sheet_id)
    if sheet is None or not access.may_read(current_user, sheet.task):
        abort(404)
    return sheet


# ---------------------------------------------------------------- lists


@bp.get("/results")
@roles_required(*access.READ_ROLES)
def index():
    try:
        args = ResultFilterArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    page = args.pop("page")
    pagination = db.paginate(
        queries.list_sections(current_user, **args),
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    state_options = {NOT_ENTERED: _("未录入")} | {k: str(v) for k, v in present.STATES.items()}
    return render_template(
        "results/index.html",
        page=pagination,
        sheets=queries.sheets_for(db.session, pagination.items),
        args=args,
        query_args=request.args.to_dict(),
        task_options={
            str(t.id): f"{t.number or '—'} {t.name}"
            for t in queries.result_tasks(db.session, current_user)
        },
        state_options={k: state_options[k] for k in LIST_STATES},
    )


@bp.get("/results/deadlines")
@roles_required(*access.READ_ROLES)
def deadlines():
    today = local_today()
    return render_template(
        "results/deadlines.html",
        board=queries.deadlines(db.session, current_user, today),
        objections=objection_queries.deadlines(db.session, current_user, today),
        today=today,
        soon_days=SOON_WORKDAYS,
    )


# ---------------------------------------------------------------- a task


def render_task(task, *, publish_errors=None, status: int = 200):
    """The task's results page; also re-rendered by a refused publication (422)."""
    sections = queries.task_sections(db.session, task.id)
    publications = publication_queries.versions(db.session, task.id)
    publishable, blocked = publication_operations.publishable(db.session, task)
    return render_template(
        "results/task.html",
        task=task,
        sections=sections,
        sheets=queries.sheets_for(db.session, sections),
        pending=len(queries.pending_sections(db.session, task.id)),
        deadline=queries.task_deadline(db.session, task),
        can_start=task.state == workflow.ISSUED and operations.may_start(current_user, task),
        can_complete=task.state == workflow.IN_PROGRESS
        and access.is_department_head(current_user, task),
        publications=publications,
        can_publish=publishable and publication_operations.may_publish(current_user, task),
        publish_blocked=blocked,
        may_publish=publication_operations.may_publish(current_user, task),
        may_retry=publication_operations.may_retry(current_user, task),
        publish_errors=publish_errors or {},
        # Also rendered by the publication blueprint, which lacks this one's context processor.
        **_vocabularies(),
    ), status


@bp.get("/results/tasks/<task_id>")
@roles_required(*access.READ_ROLES)
def task_detail(task_id: str):
    return render_task(_task(task_id))


@bp.post("/results/tasks/<task_id>/<any(start, complete):action>")
@roles_required(*access.READ_ROLES)
def task_act(task_id: str, action: str):
    task = _task(task_id)
    write = operations.start_task if action == "start" else operations.complete_task
    try:
        write(db.session, actor=current_actor(), user=current_user, task=task)
    except OperationError as error:
        _fail(error)
        flash(error.translated(), "error")
        return redirect(url_for("results.task_detail", task_id=task.id))
    flash(_("已开始检查") if action == "start" else _("任务已完成"), "success")
    return redirect(url_for("results.task_detail", task_id=task.id))


# ---------------------------------------------------------------- entry form


def _values_of(sheet) -> dict:
    """The form's values from a stored sheet."""
    if sheet is None:
        return {"lines": {}}
    return {
        "no_record_reason": sheet.no_record_reason,
        "remarks": sheet.remarks,
        "lines": {
            str(line.item_id): {
                "results": list(line.result_codes),
                "methods": list(line.method_codes),
                "followups": {f["code"]: f for f in line.followups},
                "note": line.note,
            }
            for line in sheet.lines
        },
    }


def _values_posted(data: dict) -> dict:
    """The form's values as posted (shown again after a refusal)."""
    return {
        "no_record_reason": data.get("no_record_reason"),
        "remarks": data.get("remarks"),
        "lines": {
            str(line["item_id"]): {
                "results": line["result_codes"],
                "methods": line["method_codes"],
                "followups": {f["code"]: f for f in line["followups"]},
                "note": line.get("note"),
            }
            for line in data["lines"]
        },
    }


def _section_view(visit, link, posted=None, errors=None) -> dict:
    task = link.task
    record = queries.latest_record(db.session, visit.id, task.id)
    sheet = queries.current_sheet(db.session, visit.id, task.id)
    try:
        operations.entry_basis(db.session, visit, task)
        blocked = None
    except OperationError as error:
        blocked = error.translated()
    editable = sheet is None or sheet.state in EDITABLE_STATES
    return {
        "task": task,
        "record": record,
        "sheet": sheet,
        "blocked": blocked,
        "no_record": record is None and blocked is None,
        "versions": queries.versions(db.session, visit.id, task.id),
        "can_enter": access.may_enter(current_user, task) and editable and blocked is None,
        "can_submit": sheet is not None
        and sheet.state in EDITABLE_STATES
        and access.may_enter(current_user, task),
        "can_review": sheet is not None
        and sheet.state == "submitted"
        and access.may_review(current_user, sheet),
        "can_correct": sheet is not None
        and sheet.state == "approved"
        and access.may_enter(current_user, task),
        "form": posted if posted is not None else _values_of(sheet),
        "errors": errors or {},
    }


def _render_visit(visit, focus=None, posted=None, errors=None, status: int = 200):
    sections = [
        _section_view(
            visit,
            link,
            posted if focus == link.task_id else None,
            errors if focus == link.task_id else None,
        )
        for link in visit.tasks
        if access.may_read(current_user, link.task)
    ]
    return render_template(
        "results/visit.html",
        visit=visit,
        sections=sections,
        results=queries.codes(db.session, RESULT, active_only=True),
        methods=queries.codes(db.session, METHOD, active_only=True),
        followups=queries.codes(db.session, FOLLOWUP, active_only=True),
    ), status


@bp.get("/results/visits/<visit_id>")
@roles_required(*access.READ_ROLES)
def visit_form(visit_id: str):
    return _render_visit(_visit(visit_id))


@bp.post("/results/visits/<visit_id>/tasks/<task_id>")
@roles_required(*access.READ_ROLES)
def save(visit_id: str, task_id: str):
    visit = _visit(visit_id)
    task = _task(task_id)
    raw = sheet_input(request.form, [ti.item_id for ti in task.items])
    try:
        data = SheetArgs().load(raw)
    except ValidationError as error:
        errors = flat_errors(error.messages)
        return _render_visit(visit, task.id, _values_posted(raw), errors, 422)
    try:
        sheet = operations.save(
            db.session, actor=current_actor(), user=current_user, visit=visit, task=task, data=data
        )
        if request.form.get("then") == "submit":
            operations.submit(db.session, actor=current_actor(), user=current_user, sheet=sheet)
    except OperationError as error:
        _fail(error)
        db.session.rollback()  # a save followed by a refused submit keeps nothing half-done
        errors = {error.field or "_schema": [error.translated()]}
        visit = _visit(visit_id)
        return _render_visit(visit, task.id, _values_posted(data), errors, 422)
    submitted = request.form.get("then") == "submit"
    flash(_("已提交审核") if submitted else _("已保存检查结果"), "success")
    return redirect(url_for("results.visit_form", visit_id=visit.id) + f"#t-{task.id}")


@bp.post("/results/sheets/<sheet_id>/<any(submit, approve, return, correct):action>")
@roles_required(*access.READ_ROLES)
def sheet_act(sheet_id: str, action: str):
    sheet = _sheet(sheet_id)
    visit = _visit(str(sheet.visit_id))
    kw = {"actor": current_actor(), "user": current_user, "sheet": sheet}
    try:
        if action == "submit":
            operations.submit(db.session, **kw)
        elif action == "correct":
            args = CorrectionArgs().load(request.form.to_dict())
            operations.correct(db.session, reason=args["reason"], **kw)
        else:
            args = CommentArgs().load(request.form.to_dict())
            decide = operations.approve if action == "approve" else operations.return_sheet
            decide(db.session, comment=args.get("comment"), **kw)
    except ValidationError as error:
        return _render_visit(visit, sheet.task_id, None, flat_errors(error.messages), 422)
    except OperationError as error:
        _fail(error)
        db.session.rollback()
        errors = {error.field or "_schema": [error.translated()]}
        return _render_visit(_visit(str(sheet.visit_id)), sheet.task_id, None, errors, 422)
    messages = {
        "submit": _("已提交审核"),
        "approve": _("检查结果已审核通过"),
        "return": _("检查结果已退回"),
        "correct": _("已生成更正版本，请修改后提交审核"),
    }
    flash(messages[action], "success")
    return redirect(url_for("results.visit_form", visit_id=visit.id) + f"#t-{sheet.task_id}")
