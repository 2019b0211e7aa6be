"""Console pages of follow-ups (后续处置) and transfers (移交 / 移送).

- GET  /followups                                  the department's list (filters: code, status)
- GET  /followups/<id>                             detail: the result, the log, transfers, forms
- POST /followups/<id>/<log|due|close>             a log entry, the deadline, closing
- POST /followups/<id>/transfers                   a draft transfer
- GET  /transfers/inbox                            transfers sent to my department
- GET  /transfers/<id>                             a transfer (sender or internal recipient)
- POST /transfers/<id>/documents                   attach a PDF/JPEG/PNG (draft only)
- GET  /transfers/<id>/documents/<doc_id>          download an attached document
- GET  /transfers/<id>/letter.pdf                  the letter as sent (a preview while a draft)
- POST /transfers/<id>/<send|receive|close>
- GET  /results/tasks/<task_id>/export.xlsx        a task's results as Excel (all sections)

Refusals: 403 and 409 are the page's status with the Chinese reason; 422 shows the page again
with the message.
"""

from __future__ import annotations

from urllib.parse import quote

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
from flask_login import current_user

from server.auth.permissions import current_actor, roles_required
from server.clock import local_today
from server.documents import excel
from server.documents.pdf import render_pdf
from server.documents.views import pdf_response
from server.errors import OperationError
from server.extensions import db
from server.followups import access, operations, present, queries
from server.followups.models import OPEN, T_DRAFT, T_RECEIVED, T_SENT
from server.followups.schemas import (
    CloseArgs,
    DueArgs,
    EntryArgs,
    FollowUpFilterArgs,
    ReceiveArgs,
    SendArgs,
    TransferArgs,
    TransferCloseArgs,
    TransferFilterArgs,
)
from server.items import queries as item_queries
from server.items.export import xlsx_response
from server.results import access as result_access
from server.tasks import queries as task_queries
from server.uploads.views import storage
from server.validation import InputError, parse

bp = Blueprint("followups", __name__, template_folder="templates")


@bp.context_processor
def _vocabularies():
    return {
        "followup_states": present.STATUS,
        "followup_badges": present.STATUS_BADGES,
        "transfer_kinds": present.KINDS,
        "transfer_states": present.TRANSFER_STATES,
        "transfer_badges": present.TRANSFER_BADGES,
    }


def _refused(error: OperationError) -> dict:
    """A refused write: 403/409 answer as such; anything else is rolled back and returned as the
    form's errors (the page is shown again with them, 422)."""
    if error.status in (403, 409):
        abort(error.status, description=error.translated())
    db.session.rollback()
    return {error.field or "_schema": [error.translated()]}


def _followup(followup_id: str):
    followup = queries.get_followup(db.session, followup_id)
    if followup is None or not access.may_handle(current_user, followup):
        abort(404)
    return followup


def _transfer(transfer_id: str):
    transfer = queries.get_transfer(db.session, transfer_id)
    if transfer is None or not access.may_read_transfer(current_user, transfer):
        abort(404)
    return transfer


def _code_names() -> dict[str, str]:
    return {c: row.name_zh for c, row in queries.followup_codes(db.session).items()}


# ---------------------------------------------------------------- follow-ups


@bp.get("/followups")
@roles_required(*access.ROLES)
def index():
    try:
        args = parse(FollowUpFilterArgs(), request.args)
    except InputError:
        abort(400)
    page = args.pop("page")
    pagination = db.paginate(
        queries.list_followups(current_user, **args),
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    names = _code_names()
    return render_template(
        "followups/index.html",
        page=pagination,
        args=args,
        query_args=request.args.to_dict(),
        today=local_today(),
        code_names=names,
        code_options={c: n for c, n in names.items() if c != "none"},
        status_options={k: str(v) for k, v in present.STATUS.items()},
        inbox_count=len(queries.inbox(db.session, current_user, status=T_SENT)),
    )


def _render_followup(followup, errors=None, values=None, status: int = 200):
    departments = [
        d for d in item_queries.departments(db.session) if d.id != followup.department_id
    ]
    return render_template(
        "followups/detail.html",
        followup=followup,
        facts=queries.context(db.session, followup),
        today=local_today(),
        code_names=_code_names(),
        department_options={str(d.id): d.name for d in departments},
        kind_options={k: str(v) for k, v in present.KINDS.items()},
        default_kind=operations.KIND_OF_CODE.get(followup.code),
        is_open=followup.status == OPEN,
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/followups/<followup_id>")
@roles_required(*access.ROLES)
def detail(followup_id: str):
    return _render_followup(_followup(followup_id))


@bp.post("/followups/<followup_id>/<any(log, due, close):action>")
@roles_required(*access.ROLES)
def act(followup_id: str, action: str):
    followup = _followup(followup_id)
    kw = {"actor": current_actor(), "user": current_user, "followup": followup}
    values = request.form.to_dict()
    try:
        if action == "log":
            operations.add_entry(db.session, **kw, **parse(EntryArgs(), request.form))
        elif action == "due":
            operations.set_due(db.session, **kw, **parse(DueArgs(), request.form))
        else:
            operations.close(db.session, **kw, **parse(CloseArgs(), request.form))
    except InputError as error:
        return _render_followup(followup, error.errors, values, 422)
    except OperationError as error:
        errors = _refused(error)
        return _render_followup(_followup(followup_id), errors, values, 422)
    done = {"log": _("已记录处置情况"), "due": _("已保存期限"), "close": _("后续处置已办结")}
    flash(done[action], "success")
    return redirect(url_for("followups.detail", followup_id=followup.id))


@bp.post("/followups/<followup_id>/transfers")
@roles_required(*access.ROLES)
def create_transfer(followup_id: str):
    followup = _followup(followup_id)
    values = request.form.to_dict()
    try:
        data = parse(TransferArgs(), request.form)
        transfer = operations.create_transfer(
            db.session, actor=current_actor(), user=current_user, followup=followup, data=data
        )
    except InputError as error:
        return _render_followup(followup, error.errors, values, 422)
    except OperationError as error:
        errors = _refused(error)
        return _render_followup(_followup(followup_id), errors, values, 422)
    flash(_("已新建移交草稿，可上传材料后发出"), "success")
    return redirect(url_for("followups.transfer", transfer_id=transfer.id))


# ---------------------------------------------------------------- transfers


@bp.get("/transfers/inbox")
@roles_required(*access.ROLES)
def inbox():
    try:
        args = parse(TransferFilterArgs(), request.args)
    except InputError:
        abort(400)
    return render_template(
        "followups/inbox.html",
        transfers=queries.inbox(db.session, current_user, **args),
        args=args,
        status_options={k: str(v) for k, v in present.TRANSFER_STATES.items() if k != T_DRAFT},
    )


def _render_transfer(transfer, errors=None, values=None, status: int = 200):
    sender = access.is_sender(current_user, transfer)
    return render_template(
        "followups/transfer.html",
        transfer=transfer,
        followup=transfer.followup,
        code_names=_code_names(),
        today=local_today(),
        is_sender=sender,
        can_upload=sender and transfer.status == T_DRAFT,
        can_send=sender and transfer.status == T_DRAFT,
        can_receive=transfer.status == T_SENT and operations.may_receive(current_user, transfer),
        can_close=transfer.status == T_RECEIVED,
        max_mb=current_app.config["TRANSFER_DOCUMENT_MAX_BYTES"] // (1024 * 1024),
        errors=errors or {},
        values=values or {},
    ), status


@bp.get("/transfers/<transfer_id>")
@roles_required(*access.ROLES)
def transfer(transfer_id: str):
    return _render_transfer(_transfer(transfer_id))


def _letter_bytes(transfer) -> bytes:
    data = queries.letter(db.session, transfer, current_app.config)
    return render_pdf("followups/letter.html", **data)


@bp.get("/transfers/<transfer_id>/letter.pdf")
@roles_required(*access.ROLES)
def letter(transfer_id: str):
    transfer = _transfer(transfer_id)
    title = present.LETTER_TITLES[transfer.kind]
    if transfer.letter_key:
        body = storage().read(transfer.letter_key)  # the letter exactly as sent
    else:
        # A draft, or a sent transfer whose letter job has not run yet (same content).
        body = _letter_bytes(transfer)
        if transfer.status == T_DRAFT:
            title += "（草稿）"
    return pdf_response(body, f"{title}-{transfer.followup.subject.name}.pdf")


@bp.get("/transfers/<transfer_id>/documents/<document_id>")
@roles_required(*access.ROLES)
def document(transfer_id: str, document_id: str):
    transfer = _transfer(transfer_id)
    row = queries.get_document(db.session, transfer, document_id)
    if row is None:
        abort(404)
    response = Response(storage().read(row.storage_key), mimetype=row.mime)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(row.filename)}"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/transfers/<transfer_id>/documents")
@roles_required(*access.ROLES)
def upload(transfer_id: str):
    transfer = _transfer(transfer_id)
    limit = current_app.config["TRANSFER_DOCUMENT_MAX_BYTES"]
    file = request.files.get("file")
    data = b""
    if file:
        with file.stream:  # a large upload is spooled to a temporary file: close it now
            data = file.stream.read(limit + 1)
    try:
        operations.add_document(
            db.session,
            storage(),
            actor=current_actor(),
            user=current_user,
            transfer=transfer,
            filename=file.filename if file else "",
            data=data,
            max_bytes=limit,
        )
    except OperationError as error:
        errors = _refused(error)
        return _render_transfer(_transfer(transfer_id), errors, None, 422)
    flash(_("已上传材料"), "success")
    return redirect(url_for("followups.transfer", transfer_id=transfer.id))


@bp.post("/transfers/<transfer_id>/<any(send, receive, close):action>")
@roles_required(*access.ROLES)
def transfer_act(transfer_id: str, action: str):
    transfer = _transfer(transfer_id)
    kw = {"actor": current_actor(), "user": current_user, "transfer": transfer}
    values = request.form.to_dict()
    try:
        if action == "send":
            args = parse(SendArgs(), request.form)
            operations.send(db.session, **kw, **args)
        elif action == "receive":
            operations.receive(db.session, **kw, **parse(ReceiveArgs(), request.form))
        else:
            operations.close_transfer(db.session, **kw, **parse(TransferCloseArgs(), request.form))
    except InputError as error:
        return _render_transfer(transfer, error.errors, values, 422)
    except OperationError as error:
        errors = _refused(error)
        return _render_transfer(_transfer(transfer_id), errors, values, 422)
    done = {"send": _("已发出"), "receive": _("已签收"), "close": _("移交已办结")}
    flash(done[action], "success")
    return redirect(url_for("followups.transfer", transfer_id=transfer.id))


# ---------------------------------------------------------------- results export


@bp.get("/results/tasks/<task_id>/export.xlsx")
@roles_required(*result_access.READ_ROLES)
def results_export(task_id: str):
    """Every section of a task with its current result (served here: server/results is
    another helper's; the lead may move this route to server/documents/views.py)."""
    task = task_queries.get_task(db.session, task_id)
    if task is None or not result_access.may_read(current_user, task):
        abort(404)
    body = excel.results_workbook(db.session, task, bureau_name=current_app.config["BUREAU_NAME"])
    return xlsx_response(body, f"检查结果-{task.number or task.name}")
