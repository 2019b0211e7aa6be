"""Console pages of publication (公示, Art. 25–27).

- POST /results/tasks/<task_id>/publish          publish (or republish, with a reason)
- GET  /publication/jobs                         the outbox: deliveries and their states
- POST /publication/jobs/<job_id>/retry          a failed or dead delivery back into the queue
- GET  /publication/<publication_id>/export.<xlsx|json>   the national-system export

The task results page (server/results/views.py) shows the button, the versions and their
jobs. Jobs written by a request are sent right after its commit (outbox.py, teardown below).
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

from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ADMIN, BACK_OFFICE
from server.errors import OperationError
from server.extensions import db
from server.items.schemas import flat_errors
from server.publication import export, operations, outbox, queries
from server.publication.models import DEAD, FAILED, JOB_STATES, PENDING, SENT, PublicationJob
from server.publication.schemas import JobFilterArgs, PublishArgs
from server.results import access
from server.tasks import queries as task_queries

bp = Blueprint("publication", __name__, template_folder="templates")
JOB_ROLES = (BACK_OFFICE, ADMIN)

JOB_STATE_LABELS = {
    PENDING: _l("待发送"),
    SENT: _l("已发送"),
    FAILED: _l("发送失败，待重试"),
    DEAD: _l("已停止重试"),
}
JOB_BADGES = {PENDING: "warn", SENT: "ok", FAILED: "warn", DEAD: "danger"}
PUBLISHER_LABELS = {
    "file": _l("导出文件（国家企业信用信息公示系统）"),
    "http": _l("接口推送"),
}


@bp.app_context_processor
def _vocabularies():
    return {
        "job_states": JOB_STATE_LABELS,
        "job_badges": JOB_BADGES,
        "publisher_labels": PUBLISHER_LABELS,
    }


@bp.before_app_request
def _forget_earlier_commits():
    # Only jobs committed by this request are run at its end.
    outbox.forget_committed(db.session)


@bp.teardown_app_request
def _run_committed_jobs(exc):
    outbox.drain_committed(db.session)


def _task(task_id: str):
    task = task_queries.get_task(db.session, task_id)
    if task is None or not access.may_read(current_user, task):
        abort(404)
    return task


@bp.post("/results/tasks/<task_id>/publish")
@roles_required(*access.READ_ROLES)
def publish(task_id: str):
    from server.results.views import render_task  # the page this form sits on

    task = _task(task_id)
    try:
        args = PublishArgs().load(request.form.to_dict())
        publication = operations.publish(
            db.session,
            actor=current_actor(),
            user=current_user,
            task=task,
            reason=args.get("reason"),
        )
    except ValidationError as error:
        return render_task(task, publish_errors=flat_errors(error.messages), status=422)
    except OperationError as error:
        if error.status in (403, 409):
            abort(error.status, description=error.translated())
        errors = {error.field or "_schema": [error.translated()]}
        return render_task(task, publish_errors=errors, status=422)
    flash(_("检查结果已公示（第 %(n)s 版）", n=publication.version_no), "success")
    return redirect(url_for("results.task_detail", task_id=task.id) + "#publication")


@bp.get("/publication/jobs")
@roles_required(*JOB_ROLES)
def jobs():
    try:
        args = JobFilterArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    page = args.pop("page")
    pagination = db.paginate(
        queries.list_jobs(current_user, **args),
        page=page,
        per_page=current_app.config["PAGE_SIZE"],
        error_out=False,
    )
    return render_template(
        "publication/jobs.html",
        page=pagination,
        args=args,
        query_args=request.args.to_dict(),
        counts=queries.job_counts(db.session, current_user),
        state_options={k: str(JOB_STATE_LABELS[k]) for k in JOB_STATES},
        may_retry=lambda job: operations.may_retry(current_user, job.publication.task),
    )


@bp.post("/publication/jobs/<job_id>/retry")
@roles_required(*JOB_ROLES)
def retry(job_id: str):
    key = queries.get_uuid(job_id)
    job = db.session.get(PublicationJob, key) if key else None
    if job is None or not access.may_read(current_user, job.publication.task):
        abort(404)
    try:
        operations.retry(db.session, actor=current_actor(), user=current_user, job=job)
    except OperationError as error:
        abort(error.status, description=error.translated())
    flash(_("已重新加入发送队列"), "success")
    target = request.form.get("next")
    if target == "task":
        return redirect(
            url_for("results.task_detail", task_id=job.publication.task_id) + "#publication"
        )
    return redirect(url_for("publication.jobs"))


@bp.get("/publication/<publication_id>/export.<any(xlsx, json):kind>")
@roles_required(*access.READ_ROLES)
def export_file(publication_id: str, kind: str):
    publication = queries.get_publication(db.session, publication_id)
    if publication is None or not access.may_read(current_user, publication.task):
        abort(404)
    document = export.national_export(db.session, publication)
    stem = export.file_stem(document)
    if kind == "json":
        content, mimetype = export.export_json(document), "application/json"
    else:
        content = export.export_workbook(document)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        content,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename={stem}.{kind}"},
    )
