"""Console pages of annual plans: list, create, detail, line edit, override, file, publish,
adjust, Excel export, execution progress (page and Excel)."""

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
from server.clock import local_today
from server.directory.models import Region
from server.directory.vocab import RISK_FLAGS, SUBJECT_KINDS, SUBJECT_SCALES
from server.documents import excel
from server.extensions import db
from server.items import queries as item_queries
from server.items.schemas import flat_errors, form_input
from server.plans import access, operations, present, queries
from server.plans import progress as plan_progress
from server.plans.export import plan_workbook, xlsx_response
from server.plans.models import DEFAULT_FILED_TO, DRAFT, PUBLISHED
from server.plans.operations import PlanError
from server.plans.rules import MAX_CHECKS_PER_SUBJECT
from server.plans.schemas import (
    LINE_LISTS,
    FileArgs,
    LineArgs,
    OverrideArgs,
    PlanCreateArgs,
    PlanFilterArgs,
    ReasonArgs,
)

bp = Blueprint("plans", __name__, template_folder="templates")

bp.add_app_template_global(present.state_label, "plan_state_label")
bp.add_app_template_global(present.STATE_BADGES, "plan_state_badges")
bp.add_app_template_global(present.rule_name, "plan_rule_name")
bp.add_app_template_global(present.finding_text, "plan_finding_text")
bp.add_app_template_global(present.filter_text, "plan_filter_text")
bp.add_app_template_global(present.ratio, "plan_ratio")


def _plan(plan_id):
    plan = queries.get_plan(db.session, plan_id)
    if plan is None:
        abort(404)
    return plan


def _writable(plan_id):
    plan = _plan(plan_id)
    if not access.can_write(current_user, plan):
        abort(403)
    return plan


def _regions() -> dict[str, str]:
    return {r.code: r.name for r in db.session.query(Region).order_by(Region.sort, Region.code)}


@bp.get("/plans")
@roles_required(*ROLES)
def index():
    try:
        args = PlanFilterArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    plans = queries.list_plans(db.session, **args)
    rows = []
    for plan in plans:
        found = queries.findings(db.session, plan)
        open_ = [f for f in found if f.key not in queries.override_keys(plan)]
        rows.append((plan, len(found), len(open_)))
    departments = item_queries.departments(db.session)
    return render_template(
        "plans/index.html",
        rows=rows,
        args=args,
        department_options={str(d.id): d.name for d in departments},
        can_create=bool(access.writable_departments(current_user, departments)),
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@roles_required(*access.WRITE_ROLES)
def create():
    departments = access.writable_departments(current_user, item_queries.departments(db.session))
    if not departments:
        abort(403)  # a department head without a department owns nothing
    options = {str(d.id): d.name for d in departments}
    values = {
        "department_id": str(departments[0].id) if len(departments) == 1 else None,
        "year": local_today().year,
    }
    errors: dict = {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            args = PlanCreateArgs().load(values)
            if not access.can_write_for(current_user, args["department_id"]):
                abort(403)
            plan = operations.create_plan(db.session, actor=current_actor(), **args)
        except ValidationError as error:
            errors = flat_errors(error.messages)
        except PlanError as error:
            errors = {error.field or "_schema": [error.translated()]}
        else:
            flash(_("已新建 %(year)s 年度计划草稿", year=plan.year), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id))
    return render_template(
        "plans/new.html", values=values, errors=errors, department_options=options
    ), (422 if errors else 200)


def overrides_by_item(records: list[dict]) -> dict[str, list[dict]]:
    """Override records by item code (for the badges on the lines)."""
    out: dict[str, list[dict]] = {}
    for record in records:
        if record["item_code"]:
            out.setdefault(record["item_code"], []).append(record)
    return out


def _render_detail(plan, errors: dict | None = None, status: int = 200, values=None):
    found = queries.findings(db.session, plan)
    keys = queries.override_keys(plan)
    override_records = [
        {**queries.override_record(o), "by": o.created_by.display_name if o.created_by else None}
        for o in plan.overrides
    ]
    can_write = access.can_write(current_user, plan)
    edit_urls = {
        line.item.code: url_for("plans.edit_line", plan_id=plan.id, line_id=line.id)
        for line in plan.lines
        if can_write
    }
    return render_template(
        "plans/detail.html",
        plan=plan,
        records=[queries.line_record(line) for line in plan.lines],
        override_records=override_records,
        overrides_by_item=overrides_by_item(override_records),
        edit_urls=edit_urls,
        findings=found,
        open_findings=[f for f in found if f.key not in keys],
        overrides=plan.overrides,
        versions=list(reversed(plan.versions)),
        unpublished=queries.has_unpublished_changes(db.session, plan),
        missing=any(f.code == "coverage" for f in found),
        methods=item_queries.method_codes(db.session),
        regions=_regions(),
        can_write=can_write,
        default_filed_to=DEFAULT_FILED_TO,
        errors=errors or {},
        values=values or {},
        DRAFT=DRAFT,
        PUBLISHED=PUBLISHED,
    ), status


@bp.get("/plans/<plan_id>")
@roles_required(*ROLES)
def detail(plan_id):
    return _render_detail(_plan(plan_id))


@bp.get("/plans/<plan_id>/versions/<int:number>")
@roles_required(*ROLES)
def version(plan_id, number: int):
    plan = _plan(plan_id)
    version_ = queries.version(db.session, plan, number)
    if version_ is None:
        abort(404)
    return render_template(
        "plans/version.html",
        plan=plan,
        version=version_,
        methods=item_queries.method_codes(db.session),
        regions=_regions(),
        overrides_by_item=overrides_by_item(version_.snapshot.get("overrides", [])),
    )


@bp.get("/plans/<plan_id>/export.xlsx")
@roles_required(*ROLES)
def export(plan_id):
    plan = _plan(plan_id)
    title = f"{plan.department.name} {plan.year} 年度抽查工作计划"
    content = plan_workbook(
        plan,
        [queries.line_record(line) for line in plan.lines],
        [queries.override_record(o) for o in plan.overrides],
        methods=item_queries.method_codes(db.session),
        title=title,
    )
    return xlsx_response(content, f"{plan.year}年度抽查工作计划-{plan.department.code}.xlsx")


def _line_values(line) -> dict:
    filters = line.filters or {}
    return {
        "objects": line.objects,
        "content": line.content,
        "methods": list(line.methods or []),
        "ratio_percent": present.ratio(line.ratio_percent).rstrip("%"),
        "frequency_per_year": line.frequency_per_year,
        "window_start": line.window_start.isoformat(),
        "window_end": line.window_end.isoformat(),
        "notes": line.notes,
        "kinds": filters.get("kinds", []),
        "scales": filters.get("scales", []),
        "regions": filters.get("regions", []),
        "tags": "，".join(filters.get("tags", [])),
        "risk_flags": filters.get("risk_flags", []),
        "department_scope": filters.get("department_scope", False),
    }


@bp.route("/plans/<plan_id>/lines/<line_id>", methods=["GET", "POST"])
@roles_required(*access.WRITE_ROLES)
def edit_line(plan_id, line_id):
    plan = _writable(plan_id)
    line = next((li for li in plan.lines if str(li.id) == line_id), None)
    if line is None:
        abort(404)
    values, errors = _line_values(line), {}
    if request.method == "POST":
        values = form_input(request.form, LINE_LISTS)
        values["department_scope"] = "department_scope" in request.form
        try:
            args = LineArgs().load(values)
            operations.update_line(
                db.session, actor=current_actor(), plan=plan, line=line, data=args
            )
        except ValidationError as error:
            errors = flat_errors(error.messages)
        except PlanError as error:
            errors = {error.field or "_schema": [error.translated()]}
        else:
            flash(_("已保存 %(code)s 的计划", code=line.item.code), "success")
            return redirect(url_for("plans.detail", plan_id=plan.id, _anchor=f"line-{line.id}"))
    method_options = {
        code: row.name_zh for code, row in item_queries.method_codes(db.session).items()
    }
    return render_template(
        "plans/line_form.html",
        plan=plan,
        line=line,
        values=values,
        errors=errors,
        method_options=method_options,
        kind_options={k: str(v) for k, v in SUBJECT_KINDS.items()},
        scale_options={k: str(v) for k, v in SUBJECT_SCALES.items()},
        region_options=_regions(),
        flag_options={k: str(v) for k, v in RISK_FLAGS.items()},
        PUBLISHED=PUBLISHED,
    ), (422 if errors else 200)


def _action(plan_id, run, done: str, schema=None):
    """A POST on the detail page: run the operation, or show the detail with the error."""
    plan = _writable(plan_id)
    values = request.form.to_dict()
    try:
        args = schema().load(values) if schema else {}
        run(plan, args)
    except ValidationError as error:
        return _render_detail(plan, flat_errors(error.messages), 422, values)
    except PlanError as error:
        return _render_detail(
            plan, {error.field or "_schema": [error.translated()]}, error.status, values
        )
    flash(done, "success")
    return redirect(url_for("plans.detail", plan_id=plan.id))


@bp.post("/plans/<plan_id>/lines/add-missing")
@roles_required(*access.WRITE_ROLES)
def add_missing(plan_id):
    return _action(
        plan_id,
        lambda plan, a: operations.add_missing_lines(db.session, actor=current_actor(), plan=plan),
        _("已为未列入的事项添加计划行"),
    )


@bp.post("/plans/<plan_id>/overrides")
@roles_required(*access.WRITE_ROLES)
def override(plan_id):
    return _action(
        plan_id,
        lambda plan, a: operations.add_override(db.session, actor=current_actor(), plan=plan, **a),
        _("已记录突破规则的理由"),
        OverrideArgs,
    )


@bp.post("/plans/<plan_id>/file")
@roles_required(*access.WRITE_ROLES)
def file(plan_id):
    return _action(
        plan_id,
        lambda plan, a: operations.file_plan(db.session, actor=current_actor(), plan=plan, **a),
        _("计划已报备"),
        FileArgs,
    )


@bp.post("/plans/<plan_id>/publish")
@roles_required(*access.WRITE_ROLES)
def publish(plan_id):
    return _action(
        plan_id,
        lambda plan, a: operations.publish_plan(db.session, actor=current_actor(), plan=plan),
        _("计划已公开（第 1 版）"),
    )


@bp.post("/plans/<plan_id>/adjust")
@roles_required(*access.WRITE_ROLES)
def adjust(plan_id):
    return _action(
        plan_id,
        lambda plan, a: operations.adjust_plan(db.session, actor=current_actor(), plan=plan, **a),
        _("已公开调整后的计划（新版本）"),
        ReasonArgs,
    )


@bp.get("/plans/<plan_id>/progress")
@roles_required(*ROLES)
def progress(plan_id):
    """Execution of the plan: per item drawn and checked against the ratio; subjects over the
    yearly cap of checks."""
    plan = _plan(plan_id)
    return render_template(
        "plans/progress.html",
        plan=plan,
        progress=plan_progress.plan_progress(db.session, plan),
        max_checks=MAX_CHECKS_PER_SUBJECT,
    )


@bp.get("/plans/<plan_id>/progress.xlsx")
@roles_required(*ROLES)
def progress_export(plan_id):
    plan = _plan(plan_id)
    body = excel.plan_progress_workbook(
        plan_progress.plan_progress(db.session, plan),
        methods=item_queries.method_codes(db.session),
        bureau_name=current_app.config["BUREAU_NAME"],
    )
    return xlsx_response(body, f"{plan.year}年度抽查计划执行进度-{plan.department.code}.xlsx")
