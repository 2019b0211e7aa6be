"""Console pages of the two directories (两库), the conflict register and risk flags.

Views parse (schemas.py / args.py), check the object-level rule (access.py), call an operation
and render. A refused form re-renders with 422 and nothing is written (transactions.py).
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
from sqlalchemy import select

from server.auth.models import User
from server.auth.permissions import current_actor, roles_required
from server.clock import local_today
from server.credentials import photos
from server.directory import access, identifiers, operations, queries, vocab
from server.directory.api import blp as api_blp
from server.directory.args import (
    CREDENTIAL_STATES,
    ClearFlagArgs,
    ConflictListArgs,
    InspectorListArgs,
    ReasonArgs,
    SubjectListArgs,
)
from server.directory.models import Inspector
from server.directory.operations import DirectoryError
from server.directory.schemas import ConflictArgs, RiskFlagArgs, inspector_args, subject_args
from server.extensions import db
from server.uploads.views import storage
from server.validation import InputError, form_data, parse

bp = Blueprint("directory", __name__, template_folder="templates")
api_blueprints = [api_blp]

AUDIT_ACTIONS = {
    "subject.create": _l("新增"),
    "subject.update": _l("修改"),
    "subject.delete": _l("移出名录库"),
    "subject.restore": _l("恢复到名录库"),
    "subject.flag_set": _l("添加风险标记"),
    "subject.flag_clear": _l("清除风险标记"),
    "inspector.create": _l("新增"),
    "inspector.update": _l("修改"),
    "inspector.photo_set": _l("上传执法证照片"),
    "inspector.photo_remove": _l("删除执法证照片"),
    "conflict.register": _l("登记利害关系"),
    "conflict.end": _l("解除利害关系登记"),
}
FIELD_LABELS = {
    "uscc": _l("统一社会信用代码"),
    "name": _l("名称"),
    "kind": _l("类型"),
    "scale": _l("规模"),
    "region_code": _l("区域"),
    "address": _l("地址"),
    "legal_rep": _l("法定代表人"),
    "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"),
    "business_scope": _l("经营范围"),
    "established_on": _l("成立日期"),
    "status": _l("登记状态"),
    "is_deleted": _l("移出名录库"),
    "department_ids": _l("监管科室"),
    "tags": _l("业务标签"),
    "risk_flags": _l("风险标记"),
    "user_id": _l("关联账号"),
    "id_number": _l("身份证号码"),
    "phone": _l("电话"),
    "department_id": _l("所属科室"),
    "credential_no": _l("执法证号"),
    "credential_issuer": _l("发证机关"),
    "credential_valid_from": _l("有效期起"),
    "credential_valid_until": _l("有效期至"),
    "qualification": _l("执法资质"),
    "is_team_lead_qualified": _l("可任组长"),
    "is_active": _l("在岗"),
    "expertise": _l("业务专长"),
}
CREDENTIAL_LABELS = {
    "valid": _l("有效"),
    "expiring": _l("即将到期"),
    "expired": _l("执法证已过期"),
    "not_yet": _l("尚未生效"),
}


@bp.context_processor
def _vocabularies():
    return {
        "vocab": vocab,
        "audit_actions": AUDIT_ACTIONS,
        "field_labels": FIELD_LABELS,
        "credential_labels": CREDENTIAL_LABELS,
        # A vocabulary with its lazy labels turned into text once (long lists use it per row).
        "plain": lambda vocabulary: {k: str(v) for k, v in vocabulary.items()},
        "keeps_directory": access.keeps_directory(current_user)
        if current_user.is_authenticated
        else False,
    }


def _list_args(schema_class):
    """Parse a list's query args; invalid filters give (None, errors)."""
    try:
        return parse(schema_class(), request.args), {}
    except InputError as error:
        return None, error.errors


def _pager_args() -> dict:
    """The current filters, for the pager's links."""
    return {k: v for k, v in request.args.items() if k != "page" and v.strip()}


def _field_error(error: DirectoryError, default: str = "_form") -> dict:
    return {error.field or default: [str(error)]}


def _empty_page(size: int = 50) -> queries.Page:
    return queries.Page(items=[], total=0, page=1, page_size=size)


# ---- subjects -----------------------------------------------------------------------------------


@bp.get("/subjects")
@roles_required(*access.READERS)
def subjects():
    args, errors = _list_args(SubjectListArgs)
    page = queries.list_subjects(db.session, args) if args else _empty_page()
    return render_template(
        "directory/subjects.html",
        page=page,
        filters=request.args,
        pager_args=_pager_args(),
        errors=errors,
        regions=queries.regions(db.session),
        departments=queries.departments(db.session),
        tags={t: t for t in queries.subject_tags(db.session)},
        risk_options={"any": _("任一风险标记"), **vocab.RISK_FLAGS},
    ), (422 if errors else 200)


def _subject_or_404(subject_id: str):
    subject = queries.subject_by_id(db.session, subject_id)
    if subject is None:
        abort(404)
    return subject


def _subject_page(subject, *, flag_form=None, errors=None, status=200):
    conflicts = queries.conflicts_of(db.session, subject_id=subject.id)
    events = queries.audit_events(db.session, "subject", subject.id)
    creators = {f.created_by_id for f in subject.risk_flags}
    creators |= {c.created_by_id for c in conflicts} | {e.actor_id for e in events}
    return render_template(
        "directory/subject_detail.html",
        subject=subject,
        conflicts=conflicts,
        events=events,
        users=queries.user_names(db.session, creators),
        departments=queries.departments(db.session),
        may_flag=access.may_flag(current_user, subject),
        may_end=lambda c: access.may_end_conflict(current_user, c),
        flag_form=flag_form or {},
        errors=errors or {},
    ), status


@bp.get("/subjects/<subject_id>")
@roles_required(*access.READERS)
def subjects_detail(subject_id: str):
    return _subject_page(_subject_or_404(subject_id))


def _subject_form(subject, form: dict, errors: dict, status: int = 200):
    return render_template(
        "directory/subject_form.html",
        subject=subject,
        form=form,
        errors=errors,
        regions=queries.regions(db.session),
        departments=queries.departments(db.session),
    ), status


def _subject_initial(subject) -> dict:
    return {
        "uscc": subject.uscc,
        "name": subject.name,
        "kind": subject.kind,
        "scale": subject.scale,
        "region": subject.region_code,
        "address": subject.address,
        "legal_rep": subject.legal_rep,
        "contact_name": subject.contact_name,
        "contact_phone": subject.contact_phone,
        "business_scope": subject.business_scope,
        "established_on": subject.established_on.isoformat() if subject.established_on else "",
        "status": subject.status,
        "departments": [str(d) for d in subject.department_ids],
        "tags": "；".join(subject.tags),
    }


def _save_subject(subject):
    """Create (subject None) or update from the submitted form; 422 with field errors."""
    form = form_data(request.form, lists=("departments",))
    try:
        data = parse(subject_args(db.session), form)
        if subject is None:
            subject = operations.create_subject(db.session, actor=current_actor(), data=data)
            flash(_("已新增检查对象：%(name)s", name=subject.name), "success")
        elif operations.update_subject(
            db.session, actor=current_actor(), subject=subject, data=data
        ):
            flash(_("已保存修改"), "success")
        else:
            flash(_("没有修改任何内容"), "info")
    except InputError as error:
        return _subject_form(subject, form, error.errors, 422)
    except DirectoryError as error:
        return _subject_form(subject, form, _field_error(error), 422)
    return redirect(url_for("directory.subjects_detail", subject_id=subject.id))


@bp.route("/subjects/new", methods=["GET", "POST"])
@roles_required(*access.KEEPERS)
def subjects_new():
    if request.method == "POST":
        return _save_subject(None)
    return _subject_form(None, {"status": "active", "departments": []}, {})


@bp.route("/subjects/<subject_id>/edit", methods=["GET", "POST"])
@roles_required(*access.KEEPERS)
def subjects_edit(subject_id: str):
    subject = _subject_or_404(subject_id)
    if request.method == "POST":
        return _save_subject(subject)
    return _subject_form(subject, _subject_initial(subject), {})


@bp.post("/subjects/<subject_id>/remove")
@roles_required(*access.KEEPERS)
def subjects_remove(subject_id: str):
    subject = _subject_or_404(subject_id)
    try:
        args = parse(ReasonArgs(), form_data(request.form))
        operations.delete_subject(
            db.session, actor=current_actor(), subject=subject, reason=args["reason"]
        )
    except InputError as error:
        return _subject_page(subject, errors={"remove_" + k: v for k, v in error.errors.items()},
                             status=422)  # fmt: skip
    except DirectoryError as error:
        return _subject_page(subject, errors={"remove_reason": [str(error)]}, status=422)
    flash(_("已将 %(name)s 移出名录库", name=subject.name), "success")
    return redirect(url_for("directory.subjects_detail", subject_id=subject.id))


@bp.post("/subjects/<subject_id>/restore")
@roles_required(*access.KEEPERS)
def subjects_restore(subject_id: str):
    subject = _subject_or_404(subject_id)
    try:
        args = parse(ReasonArgs(), form_data(request.form))
        operations.restore_subject(
            db.session, actor=current_actor(), subject=subject, reason=args["reason"]
        )
    except InputError as error:
        return _subject_page(subject, errors={"remove_" + k: v for k, v in error.errors.items()},
                             status=422)  # fmt: skip
    except DirectoryError as error:
        return _subject_page(subject, errors={"remove_reason": [str(error)]}, status=422)
    flash(_("已将 %(name)s 恢复到名录库", name=subject.name), "success")
    return redirect(url_for("directory.subjects_detail", subject_id=subject.id))


@bp.post("/subjects/<subject_id>/flags")
@roles_required(*access.FLAGGERS)
def subjects_flag_set(subject_id: str):
    subject = _subject_or_404(subject_id)
    if not access.may_flag(current_user, subject):
        abort(403)
    form = form_data(request.form)
    try:
        args = parse(RiskFlagArgs(), form)
        operations.set_risk_flag(
            db.session, actor=current_actor(), subject=subject, flag=args["flag"],
            note=args["note"], source=args["source"],
        )  # fmt: skip
    except InputError as error:
        return _subject_page(subject, flag_form=form, errors=error.errors, status=422)
    except DirectoryError as error:
        return _subject_page(subject, flag_form=form, errors=_field_error(error, "flag"),
                             status=422)  # fmt: skip
    flash(_("已添加风险标记：%(flag)s", flag=vocab.RISK_FLAGS[args["flag"]]), "success")
    return redirect(url_for("directory.subjects_detail", subject_id=subject.id))


@bp.post("/subjects/<subject_id>/flags/clear")
@roles_required(*access.FLAGGERS)
def subjects_flag_clear(subject_id: str):
    subject = _subject_or_404(subject_id)
    if not access.may_flag(current_user, subject):
        abort(403)
    try:
        args = parse(ClearFlagArgs(), form_data(request.form))
        operations.clear_risk_flag(
            db.session, actor=current_actor(), subject=subject, flag=args["flag"],
            reason=args["reason"],
        )  # fmt: skip
    except InputError as error:
        errors = {"clear_" + k: v for k, v in error.errors.items()}
        return _subject_page(subject, errors=errors, status=422)
    except DirectoryError as error:
        return _subject_page(subject, errors={"clear_flag": [str(error)]}, status=422)
    flash(_("已清除风险标记：%(flag)s", flag=vocab.RISK_FLAGS[args["flag"]]), "success")
    return redirect(url_for("directory.subjects_detail", subject_id=subject.id))


# ---- inspectors ---------------------------------------------------------------------------------


@bp.get("/inspectors")
@roles_required(*access.READERS)
def inspectors():
    today = local_today()
    args, errors = _list_args(InspectorListArgs)
    page = queries.list_inspectors(db.session, args, today) if args else _empty_page()
    return render_template(
        "directory/inspectors.html",
        page=page,
        today=today,
        state_of=lambda i: queries.credential_state(i, today),
        filters=request.args,
        pager_args=_pager_args(),
        errors=errors,
        departments=queries.departments(db.session),
        expertise_options={t: t for t in queries.expertise_tags(db.session)},
        credential_options={k: CREDENTIAL_LABELS[k] for k in CREDENTIAL_STATES},
        yes_no={"1": _("是"), "0": _("否")},
    ), (422 if errors else 200)


def _inspector_or_404(inspector_id: str):
    inspector = queries.inspector_by_id(db.session, inspector_id)
    if inspector is None:
        abort(404)
    return inspector


@bp.get("/inspectors/<inspector_id>")
@roles_required(*access.READERS)
def inspectors_detail(inspector_id: str):
    inspector = _inspector_or_404(inspector_id)
    conflicts = queries.conflicts_of(db.session, inspector_id=inspector.id)
    events = queries.audit_events(db.session, "inspector", inspector.id)
    people = {c.created_by_id for c in conflicts} | {e.actor_id for e in events}
    return render_template(
        "directory/inspector_detail.html",
        inspector=inspector,
        state=queries.credential_state(inspector, local_today()),
        conflicts=conflicts,
        events=events,
        users=queries.user_names(db.session, people),
        may_end=lambda c: access.may_end_conflict(current_user, c),
        is_self=inspector.user_id is not None and inspector.user_id == current_user.id,
    )


def _inspector_form(
    inspector, form: dict, errors: dict, status: int = 200, photo_errors: dict | None = None
):
    users = {
        u.username: f"{u.display_name}（{u.username}）"
        for u in db.session.scalars(select(User).where(User.is_active.is_(True)).order_by(
            User.username))
    }  # fmt: skip
    return render_template(
        "directory/inspector_form.html",
        inspector=inspector,
        form=form,
        errors=errors,
        departments=queries.departments(db.session),
        users=users,
        photo_errors=photo_errors or {},
        photo_max_mb=_photo_max_mb(),
    ), status


def _inspector_initial(inspector) -> dict:
    def iso(day):
        return day.isoformat() if day else ""

    return {
        "name": inspector.name,
        # Unmasked only here: the edit form is for back_office/admin, who keep the record.
        "id_number": inspector.id_number,
        "phone": inspector.phone,
        "department": str(inspector.department_id),
        "credential_no": inspector.credential_no,
        "credential_issuer": inspector.credential_issuer,
        "credential_valid_from": iso(inspector.credential_valid_from),
        "credential_valid_until": iso(inspector.credential_valid_until),
        "qualification": inspector.qualification,
        "is_team_lead_qualified": inspector.is_team_lead_qualified,
        "is_active": inspector.is_active,
        "expertise": "；".join(inspector.expertise),
        "username": inspector.user.username if inspector.user else "",
    }


def _save_inspector(inspector):
    form = form_data(request.form)
    # An unticked checkbox is absent from the form; absent must mean "no", not the default.
    for box in ("is_team_lead_qualified", "is_active"):
        form[box] = "on" if box in request.form else "off"
    try:
        data = parse(inspector_args(db.session), form)
        if inspector is None:
            inspector = operations.create_inspector(db.session, actor=current_actor(), data=data)
            flash(_("已新增执法人员：%(name)s", name=inspector.name), "success")
        elif operations.update_inspector(
            db.session, actor=current_actor(), inspector=inspector, data=data
        ):
            flash(_("已保存修改"), "success")
        else:
            flash(_("没有修改任何内容"), "info")
    except InputError as error:
        return _inspector_form(inspector, form, error.errors, 422)
    except DirectoryError as error:
        return _inspector_form(inspector, form, _field_error(error), 422)
    return redirect(url_for("directory.inspectors_detail", inspector_id=inspector.id))


@bp.route("/inspectors/new", methods=["GET", "POST"])
@roles_required(*access.KEEPERS)
def inspectors_new():
    if request.method == "POST":
        return _save_inspector(None)
    initial = {"is_active": True, "qualification": "law_enforcement"}
    return _inspector_form(None, initial, {})


@bp.route("/inspectors/<inspector_id>/edit", methods=["GET", "POST"])
@roles_required(*access.KEEPERS)
def inspectors_edit(inspector_id: str):
    inspector = _inspector_or_404(inspector_id)
    if request.method == "POST":
        return _save_inspector(inspector)
    return _inspector_form(inspector, _inspector_initial(inspector), {})


def _photo_max_mb() -> str:
    return f"{current_app.config['CREDENTIAL_PHOTO_MAX_BYTES'] / (1024 * 1024):g}"


@bp.post("/inspectors/<inspector_id>/photo")
@roles_required(*access.KEEPERS)
def inspectors_photo(inspector_id: str):
    """Upload (or remove) the credential photo: its own form, a file is not a field to diff."""
    inspector = _inspector_or_404(inspector_id)
    if request.form.get("remove"):
        if photos.remove_photo(db.session, actor=current_actor(), inspector=inspector):
            flash(_("已删除证件照"), "success")
        return redirect(url_for("directory.inspectors_edit", inspector_id=inspector.id))
    config = current_app.config
    upload = request.files.get("photo")
    # One byte more than allowed is enough to know it is too large.
    data = upload.stream.read(config["CREDENTIAL_PHOTO_MAX_BYTES"] + 1) if upload else b""
    try:
        photos.set_photo(
            db.session,
            storage(),
            actor=current_actor(),
            inspector=inspector,
            data=data,
            max_bytes=config["CREDENTIAL_PHOTO_MAX_BYTES"],
            max_pixels=config["UPLOAD_MAX_PIXELS"],
            box_px=config["CREDENTIAL_PHOTO_PX"],
        )
    except photos.PhotoRefused as refused:
        message = _(str(refused), mb=_photo_max_mb())
        return _inspector_form(
            inspector, _inspector_initial(inspector), {}, 422, photo_errors={"photo": [message]}
        )
    flash(_("已更新证件照"), "success")
    return redirect(url_for("directory.inspectors_edit", inspector_id=inspector.id))


@bp.get("/inspectors/<inspector_id>/photo")
@roles_required(*access.READERS)
def inspectors_photo_image(inspector_id: str):
    """The credential photo as shown (600 px, no EXIF) for the console pages."""
    inspector = _inspector_or_404(inspector_id)
    data = photos.shown_bytes(storage(), inspector)
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, no-cache"})


# ---- conflicts ----------------------------------------------------------------------------------


def _registrable_inspectors() -> dict[str, str]:
    """Whom the current user may register a conflict for (an inspector: only themselves)."""
    if current_user.has_role(*access.FLAGGERS):  # keepers and department heads: anyone
        return queries.inspector_choices(db.session)
    own = queries.inspector_for_user(db.session, current_user.id)
    return {str(own.id): f"{own.name}（{own.credential_no}）"} if own else {}


def _conflicts_page(*, form=None, errors=None, status=200):
    args, list_errors = _list_args(ConflictListArgs)
    page = queries.list_conflicts(db.session, args) if args else _empty_page()
    users = queries.user_names(db.session, {c.created_by_id for c in page.items})
    initial = {"subject_uscc": request.args.get("uscc", "")}
    choices = (
        _registrable_inspectors() if current_user.has_role(*access.CONFLICT_REGISTRARS) else {}
    )
    if len(choices) == 1:
        initial["inspector_id"] = next(iter(choices))
    return render_template(
        "directory/conflicts.html",
        page=page,
        users=users,
        filters=request.args,
        pager_args=_pager_args(),
        list_errors=list_errors,
        form=form or initial,
        errors=errors or {},
        inspector_choices=choices,
        all_inspectors=queries.inspector_choices(db.session),
        state_options={"active": _("有效"), "ended": _("已解除"), "all": _("全部")},
        may_end=lambda c: access.may_end_conflict(current_user, c),
    ), (status if status != 200 else (422 if list_errors else 200))


@bp.get("/conflicts")
@roles_required(*access.READERS)
def conflicts():
    return _conflicts_page()


@bp.post("/conflicts")
@roles_required(*access.CONFLICT_REGISTRARS)
def conflicts_create():
    form = form_data(request.form)
    try:
        args = parse(ConflictArgs(), form)
    except InputError as error:
        return _conflicts_page(form=form, errors=error.errors, status=422)
    inspector = db.session.get(Inspector, args["inspector_id"])
    if inspector is None:
        return _conflicts_page(
            form=form, errors={"inspector_id": [_("未找到该执法人员")]}, status=422
        )
    subject = operations.subject_by_uscc(db.session, identifiers.normalise(args["subject_uscc"]))
    if subject is None or subject.is_deleted:
        errors = {"subject_uscc": [_("名录库中没有该统一社会信用代码")]}
        return _conflicts_page(form=form, errors=errors, status=422)
    if not access.may_register_conflict(current_user, inspector, subject):
        abort(403)
    try:
        operations.register_conflict(
            db.session, actor=current_actor(), inspector=inspector, subject=subject,
            kind=args["kind"], note=args["note"],
        )  # fmt: skip
    except DirectoryError as error:
        return _conflicts_page(form=form, errors=_field_error(error, "kind"), status=422)
    flash(
        _("已登记利害关系：%(inspector)s × %(subject)s", inspector=inspector.name,
          subject=subject.name),
        "success",
    )  # fmt: skip
    return redirect(url_for("directory.conflicts"))


@bp.post("/conflicts/<conflict_id>/end")
@roles_required(*access.FLAGGERS)
def conflicts_end(conflict_id: str):
    conflict = queries.conflict_by_id(db.session, conflict_id)
    if conflict is None:
        abort(404)
    if not access.may_end_conflict(current_user, conflict):
        abort(403)
    try:
        args = parse(ReasonArgs(), form_data(request.form))
        operations.end_conflict(
            db.session, actor=current_actor(), conflict=conflict, reason=args["reason"]
        )
    except InputError as error:
        flash(_("解除登记需填写原因：%(e)s", e=error.summary()), "error")
        return _conflicts_page(status=422)
    except DirectoryError as error:
        flash(str(error), "error")
        return _conflicts_page(status=422)
    flash(_("已解除利害关系登记"), "success")
    return redirect(url_for("directory.conflicts"))


# The import and region pages live in their own modules and add their routes to `bp`.
from server.directory import import_views, region_views  # noqa: E402

import_views.register(bp)
region_views.register(bp)
