"""后台任务: the background jobs, dead ones first (the dead-letter view), with retry.

    GET  /system/jobs                 counts per state, the list filtered by state and kind
    POST /system/jobs/<id>/retry      a dead job goes back to the queue (admin)

The system administrator's page: jobs touch every department's data (thumbnails, letters), so
no department-scoped role sees them. Committed jobs are handed on after each request and each
CLI command (teardown).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from sqlalchemy import func, select

from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ADMIN
from server.extensions import db
from server.jobs import backend, queue, registry
from server.jobs.models import DEAD, DONE, QUEUED, RUNNING, STATES, BackgroundJob
from server.results.queries import get_uuid

bp = Blueprint("jobs", __name__, template_folder="templates")

STATE_LABELS = {
    DEAD: _l("失败停止"),
    QUEUED: _l("排队中"),
    RUNNING: _l("执行中"),
    DONE: _l("已完成"),
}
STATE_BADGES = {DEAD: "danger", QUEUED: "info", RUNNING: "warn", DONE: "ok"}


class JobListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(load_default=DEAD, validate=validate.OneOf((*STATES, "all")))
    kind = fields.String(load_default=None, validate=validate.Length(max=64))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}


@bp.teardown_app_request
def _hand_on_committed_jobs(exc):
    queue.drain_committed(db.session)


@bp.record_once
def _also_after_cli_commands(state) -> None:
    # A CLI command (seed-demo, imports) has no request: its jobs go when its app context ends.
    state.app.teardown_appcontext(lambda exc: queue.drain_committed(db.session))


@bp.get("/system/jobs")
@roles_required(ADMIN)
def index():
    try:
        args = JobListArgs().load(request.args.to_dict())
    except ValidationError:
        abort(400)
    stmt = select(BackgroundJob).order_by(BackgroundJob.updated_at.desc())
    if args["state"] != "all":
        stmt = stmt.where(BackgroundJob.state == args["state"])
    if args["kind"]:
        stmt = stmt.where(BackgroundJob.kind == args["kind"])
    page = db.paginate(
        stmt, page=args["page"], per_page=current_app.config["PAGE_SIZE"], error_out=False
    )
    counts = dict(
        db.session.execute(
            select(BackgroundJob.state, func.count()).group_by(BackgroundJob.state)
        ).all()
    )
    handlers = registry.all_handlers()
    return render_template(
        "jobs/index.html",
        page=page,
        args=args,
        query_args=request.args.to_dict(),
        counts=counts,
        states=STATE_LABELS,
        badges=STATE_BADGES,
        kinds={kind: _(h.label) for kind, h in handlers.items()},
        about=_about,
        runner=_("Redis 队列（RQ 工作进程）")
        if backend.uses_rq()
        else _("本进程（请求结束后执行）"),
    )


def _about(job: BackgroundJob) -> tuple[str, str | None]:
    """What the job works on, for people: the object and a link to it where there is a page."""
    payload = job.payload or {}
    if "transfer_id" in payload:
        return _("移交 %(id)s", id=payload["transfer_id"]), url_for(
            "followups.transfer", transfer_id=payload["transfer_id"]
        )
    if "media_id" in payload:
        return _("证据文件 %(id)s", id=payload["media_id"]), None
    return ", ".join(f"{k}: {v}" for k, v in payload.items()), None


@bp.post("/system/jobs/<job_id>/retry")
@roles_required(ADMIN)
def retry(job_id: str):
    key = get_uuid(job_id)
    job = db.session.get(BackgroundJob, key) if key else None
    if job is None:
        abort(404)
    try:
        queue.retry(db.session, actor=current_actor(), job=job)
    except queue.JobConflict:
        abort(409, description=_("只有失败停止的任务可以重试"))
    flash(_("已重新排队"), "success")
    return redirect(url_for("jobs.index"))
