"""Documents of the console: the notice and record PDFs of a visit, and Excel exports of lists.

    GET /visits/<visit_id>/notice.pdf                     抽查告知书
    GET /visits/<visit_id>/records/<record_id>/record.pdf 抽查检查记录表
    GET /tasks/export.xlsx                                the task list, with its filters
    GET /visits/export.xlsx                               the visit list, filters and scope

A PDF is shown to whoever may view the visit (server.visits.access.may_view); the exports
hold exactly the rows of their list page. The plan export is server/plans (/plans/<id>/export.xlsx).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user
from marshmallow import ValidationError

from server.auth.permissions import roles_required
from server.auth.roles import ROLES
from server.directory import access as directory_access
from server.documents import content, excel
from server.documents.pdf import render_pdf
from server.extensions import db
from server.items.export import xlsx_response
from server.tasks import queries as task_queries
from server.tasks.schemas import TaskFilterArgs
from server.validation import InputError, parse
from server.visits import access
from server.visits.lookup import record_or_abort, visit_or_abort
from server.visits.schemas import VisitListArgs

bp = Blueprint("documents", __name__, template_folder="templates")


def pdf_response(body: bytes, filename: str) -> Response:
    """Shown in the browser; the Chinese file name travels as RFC 5987 filename*."""
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    # Personal data and signatures: never kept by a shared cache.
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/visits/<visit_id>/notice.pdf")
@roles_required(*access.READERS)
def notice_pdf(visit_id: str):
    visit = visit_or_abort(visit_id)
    data = content.notice(db.session, visit, current_app.config)
    body = render_pdf("documents/notice.html", **data)
    return pdf_response(body, f"抽查告知书-{visit.subject.name}-{visit.uscc}.pdf")


@bp.get("/visits/<visit_id>/records/<record_id>/record.pdf")
@roles_required(*access.READERS)
def record_pdf(visit_id: str, record_id: str):
    visit, row = record_or_abort(visit_id, record_id)
    data = content.record(
        db.session,
        visit,
        row,
        current_app.config,
        full_contacts=directory_access.keeps_directory(current_user),
    )
    body = render_pdf("documents/record.html", **data)
    return pdf_response(body, f"抽查检查记录表-{visit.subject.name}-第{row.version}版.pdf")


@bp.get("/tasks/export.xlsx")
@roles_required(*ROLES)
def tasks_export():
    try:
        args = TaskFilterArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    args.pop("page", None)
    tasks = db.session.scalars(task_queries.list_tasks(**args))
    body = excel.tasks_workbook(db.session, tasks, bureau_name=current_app.config["BUREAU_NAME"])
    return xlsx_response(body, "抽查任务")


@bp.get("/visits/export.xlsx")
@roles_required(*access.READERS)
def visits_export():
    try:
        args = parse(VisitListArgs(), request.args)
    except InputError:
        abort(400)
    body = excel.visits_workbook(
        db.session, current_user, args, bureau_name=current_app.config["BUREAU_NAME"]
    )
    return xlsx_response(body, "抽查检查")
