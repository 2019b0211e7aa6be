"""Pages of objections (异议, Art. 26).

Public (no sign-in, CSRF-protected forms, rate-limited through server/objections/limits.py):
- GET/POST /public/objections/new?publication=<id>&uscc=<uscc>   file an objection
- GET/POST /public/objections/status                              reference + USCC → state, reply

Console (back office of the task's department handles; its head, admins and leaders read):
- GET  /objections                        list (overdue first, filter by state) + deadlines
- GET/POST /objections/new                a paper application (channel paper, received_on given)
- GET  /objections/<id>                   detail with attachments and the disputed results
- GET  /objections/<id>/attachments/<n>   download an attachment
- POST /objections/<id>/<start|maintain|correct_result|close_corrected|reply>

Refusals: 403 and 409 are the page's status (Chinese message); 422 re-renders with the message.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from server.audit.operations import PUBLIC
from server.auth.permissions import current_actor, roles_required
from server.calendar.deadlines import SOON_WORKDAYS
from server.clock import local_today
from server.errors import OperationError
from server.extensions import db
from server.i18n import N_
from server.items.schemas import flat_errors
from server.objections import access, limits, operations, present, published, queries
from server.objections.api import blp as api_blp
from server.objections.api import public_blp
from server.objections.models import PAPER, RECEIVED, STATES, UNDER_REVIEW
from server.objections.schemas import FilingArgs, FilterArgs, PaperArgs, StatusArgs, TextArgs
from server.public.views import PUBLIC_SECTIONS
from server.publication.models import Publication
from server.results import present as result_present
from server.tasks.models import Task
from server.uploads.views import storage

bp = Blueprint("objections", __name__, template_folder="templates")
api_blueprints = [api_blp, public_blp]
# The public header: where an applicant looks up an objection by its reference number.
PUBLIC_SECTIONS.append(("objections.public_status", _l("异议办理查询")))


@bp.context_processor
def _vocabularies():
    return {
        "objection_states": present.STATES,
        "objection_badges": present.STATE_BADGES,
        "objection_channels": present.CHANNELS,
        "objection_decisions": present.DECISIONS,
        "mask_contact": present.mask_contact,
        "mask_applicant": present.mask_applicant,
        "result_states": result_present.STATES,
    }


def _fail(error: OperationError):
    if error.status in (403, 409):
        abort(error.status, description=error.translated())


def _uploads() -> list[operations.Upload]:
    return [
        operations.Upload(f.filename or "", f.read())
        for f in request.files.getlist("attachments")
        if f and (f.filename or "")
    ]


def _limits():
    return limits.limits_from_config(current_app.config)


def _settings() -> dict:
    return {
        "max_files": current_app.config["OBJECTION_MAX_ATTACHMENTS"],
        "max_bytes": current_app.config["OBJECTION_ATTACHMENT_MAX_BYTES"],
    }


# ---------------------------------------------------------------- public


def _public_form(values, errors=None, status: int = 200):
    publication = published.get(db.session, values.get("publication") or "")
    return render_template(
        "objections/public_new.html",
        values=values,
        errors=errors or {},
        publication=publication,
        max_files=current_app.config["OBJECTION_MAX_ATTACHMENTS"],
        max_mb=current_app.config["OBJECTION_ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
    ), status


def _pick_publication(session, args):
    """The version named by the link, or the only newest version naming the USCC."""
    if args.get("publication") is not None:
        return published.get(session, args["publication"])
    uscc = operations.normalise_uscc(args["uscc"])
    found = published.latest_with_subject(session, uscc)
    if len(found) > 1:
        # Several tasks published this business: only the result page's link says which one.
        raise operations.ObjectionError(
            N_("该企业有多项公示的检查结果，请从要提出异议的公示结果页面进入"), "uscc"
        )
    return found[0] if found else None


@bp.route("/public/objections/new", methods=["GET", "POST"])
def public_new():
    if request.method == "GET":
        return _public_form(request.args.to_dict())
    raw = request.form.to_dict()
    try:
        args = FilingArgs().load(raw)
    except ValidationError as error:
        return _public_form(raw, flat_errors(error.messages), 422)
    rules = _limits()
    try:
        uscc = operations.normalise_uscc(args["uscc"])
        checks = [(rules["file_ip"], request.remote_addr or ""), (rules["file_uscc"], uscc)]
        if not limits.allow(db.session, checks):
            return _public_form(
                raw, {"_schema": [_("提交过于频繁，请稍后再试或联系承办科室")]}, 429
            )
        objection = operations.file(
            db.session,
            storage(),
            actor=PUBLIC,
            publication=_pick_publication(db.session, args),
            uscc=uscc,
            applicant_name=args["applicant_name"],
            contact=args["contact"],
            grounds=args["grounds"],
            files=_uploads(),
            **_settings(),
        )
    except OperationError as error:
        return _public_form(raw, {error.field or "_schema": [error.translated()]}, 422)
    return render_template("objections/public_filed.html", objection=objection)


@bp.route("/public/objections/status", methods=["GET", "POST"])
def public_status():
    if request.method == "GET":
        return render_template("objections/public_status.html", values={}, errors={})
    raw = request.form.to_dict()
    try:
        args = StatusArgs().load(raw)
        uscc = operations.normalise_uscc(args["uscc"])
    except ValidationError as error:
        return render_template(
            "objections/public_status.html", values=raw, errors=flat_errors(error.messages)
        ), 422
    except OperationError as error:
        errors = {error.field or "_schema": [error.translated()]}
        return render_template("objections/public_status.html", values=raw, errors=errors), 422
    if not limits.allow(db.session, [(_limits()["status_ip"], request.remote_addr or "")]):
        errors = {"_schema": [_("查询过于频繁，请稍后再试")]}
        return render_template("objections/public_status.html", values=raw, errors=errors), 429
    objection = queries.by_reference(db.session, args["reference"], uscc)
    # 200 either way: the lookup is counted by the limiter (a 4xx would roll it back).
    return render_template(
        "objections/public_status.html",
        values=raw,
        errors={},
        objection=objection,
        searched=True,
    )


# ---------------------------------------------------------------- console


def _objection(objection_id: str):
    objection = queries.get(db.session, objection_id)
    if objection is None or not access.may_read(current_user, objection):
        abort(404)
    return objection


@bp.get("/objections")
@roles_required(*access.READ_ROLES)
def index():
    try:
        args = FilterArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    today = local_today()
    page = args.pop("page")
    pagination = db.paginate(
        queries.list_objections(current_user, today=today, **args),
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "objections/index.html",
        page=pagination,
        args=args,
        query_args=request.args.to_dict(),
        state_options={k: str(present.STATES[k]) for k in STATES},
        board=queries.deadlines(db.session, current_user, today),
        soon_days=SOON_WORKDAYS,
        today=today,
        can_enter=current_user.has_role(*access.HANDLER_ROLES),
    )


def _publication_options() -> dict[str, str]:
    """The newest published version of each task the user may enter objections for."""
    if current_user.department_id is None:
        return {}
    rows = db.session.scalars(
        db.select(Publication)
        .join(Task, Task.id == Publication.task_id)
        .where(Publication.is_latest.is_(True), Task.department_id == current_user.department_id)
        .order_by(Publication.published_at.desc())
    )
    return {
        str(p.id): f"{p.task.number or '—'} {p.task.name}（{_('第 %(n)s 版', n=p.version_no)}）"
        for p in rows
    }


def _paper_form(values, errors=None, status: int = 200):
    return render_template(
        "objections/paper.html",
        values=values,
        errors=errors or {},
        publications=_publication_options(),
        max_files=current_app.config["OBJECTION_MAX_ATTACHMENTS"],
        today=local_today(),
    ), status


@bp.route("/objections/new", methods=["GET", "POST"])
@roles_required(*access.HANDLER_ROLES)
def paper_new():
    if request.method == "GET":
        return _paper_form({})
    raw = request.form.to_dict()
    try:
        args = PaperArgs().load(raw)
    except ValidationError as error:
        return _paper_form(raw, flat_errors(error.messages), 422)
    try:
        objection = operations.file(
            db.session,
            storage(),
            actor=current_actor(),
            user=current_user,
            channel=PAPER,
            publication=published.get(db.session, args["publication"]),
            uscc=args["uscc"],
            applicant_name=args["applicant_name"],
            contact=args["contact"],
            grounds=args["grounds"],
            received_on=args["received_on"],
            files=_uploads(),
            **_settings(),
        )
    except OperationError as error:
        _fail(error)
        return _paper_form(raw, {error.field or "_schema": [error.translated()]}, 422)
    flash(_("已登记异议申请，受理编号 %(ref)s", ref=objection.reference), "success")
    return redirect(url_for("objections.detail", objection_id=objection.id))


def _render_detail(objection, errors=None, status: int = 200):
    handler = access.may_handle(current_user, objection)
    return render_template(
        "objections/detail.html",
        objection=objection,
        sections=operations.sections(db.session, objection),
        correction=operations.correction_state(db.session, objection),
        can_handle=handler,
        can_start=handler and objection.state == RECEIVED,
        can_decide=handler and objection.state == UNDER_REVIEW,
        can_reply=handler and objection.state in ("corrected", "maintained"),
        errors=errors or {},
        today=local_today(),
    ), status


@bp.get("/objections/<objection_id>")
@roles_required(*access.READ_ROLES)
def detail(objection_id: str):
    return _render_detail(_objection(objection_id))


@bp.get("/objections/<objection_id>/attachments/<int:position>")
@roles_required(*access.READ_ROLES)
def attachment(objection_id: str, position: int):
    objection = _objection(objection_id)
    found = next((a for a in objection.attachments if a.position == position), None)
    if found is None:
        abort(404)
    data = storage().read(found.storage_key)
    response = Response(data, mimetype=found.content_type)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=objection-{objection.reference}-{position + 1}"
        + {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}[found.content_type]
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


ACTIONS = "any(start, maintain, correct_result, close_corrected, reply)"


@bp.post(f"/objections/<objection_id>/<{ACTIONS}:action>")
@roles_required(*access.READ_ROLES)
def act(objection_id: str, action: str):
    objection = _objection(objection_id)
    try:
        args = TextArgs().load(request.form.to_dict())
    except ValidationError as error:
        return _render_detail(objection, flat_errors(error.messages), 422)
    kw = {"actor": current_actor(), "user": current_user, "objection": objection}
    try:
        if action == "start":
            operations.start_review(db.session, **kw)
        elif action == "maintain":
            operations.maintain(db.session, text=args.get("text"), **kw)
        elif action == "close_corrected":
            operations.close_corrected(db.session, text=args.get("text"), **kw)
        elif action == "reply":
            operations.reply(db.session, text=args.get("text"), **kw)
        else:
            sheet = None
            if args.get("sheet_id") is not None:
                sheet = next(
                    (c for _d, c in operations.sections(db.session, objection)
                     if c is not None and c.id == args["sheet_id"]),
                    None,
                )  # fmt: skip
            if sheet is None:
                abort(404)
            new = operations.correct_result(db.session, sheet=sheet, text=args.get("text"), **kw)
    except OperationError as error:
        _fail(error)
        db.session.rollback()
        # Several forms share the field name "text": the message goes above them all.
        return _render_detail(_objection(objection_id), {"_schema": [error.translated()]}, 422)
    if action == "correct_result":
        flash(_("已生成更正版本，请修改后提交科室负责人审核"), "success")
        return redirect(url_for("results.visit_form", visit_id=new.visit_id) + f"#t-{new.task_id}")
    messages = {
        "start": _("已开始复核"),
        "maintain": _("复核决定：予以维持"),
        "close_corrected": _("复核决定：予以更正，已重新公示"),
        "reply": _("已答复申请人"),
    }
    flash(messages[action], "success")
    return redirect(url_for("objections.detail", objection_id=objection.id))
