"""Console review of one visit record's evidence, and the evidence files served to the console.

- GET  /visits/<visit_id>/records/<record_id>/review   the page (evidence.py re-checks integrity)
- POST /visits/<visit_id>/records/<record_id>/approve  submitted → approved (optional comment)
- POST /visits/<visit_id>/records/<record_id>/send-back  submitted → returned (comment required)
- GET  /media/<media_id>/<variant>                      thumb | preview | original

Anyone who may view the visit (access.may_view) reads the page; only a reviewer
(review.may_review: the section's team lead, the task department's head or back office) sees and
may use the actions. A refused action re-renders the page with 409/422 and writes nothing; 403
when the user is not a reviewer. A file is served only to users who may view a visit whose
record lists it; the storage key always comes from the database, never from the request.

A child blueprint of `visits` (registered in views.py), so its endpoints are `visits.review.*`.
"""

from __future__ import annotations

import mimetypes

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wsgi import wrap_file

from server.audit.labels import ACTIONS
from server.auth.permissions import current_actor, roles_required
from server.extensions import db
from server.tasks.models import Task
from server.uploads.views import storage
from server.validation import form_data
from server.visits import access, evidence, queries, review
from server.visits.lookup import record_or_abort
from sync.models import Media
from sync.storage import StorageError

bp = Blueprint("review", __name__, template_folder="templates")

RECORD_STATES = {
    "draft": _l("草稿"),
    "awaiting_media": _l("等待证据上传"),
    "submitted": _l("已提交"),
    "returned": _l("已退回补正"),
    "approved": _l("已审核通过"),
}
RECORD_BADGES = {
    "draft": "",
    "awaiting_media": "warn",
    "submitted": "ok",
    "returned": "danger",
    "approved": "ok",
}
ANSWERS = {"yes": _l("是"), "no": _l("否"), "na": _l("不适用")}
KINDS = {"photo": _l("照片"), "audio": _l("录音"), "video": _l("视频"), "document": _l("文件")}
FILE_STATUS = {
    evidence.OK: _l("一致"),
    evidence.MISMATCH: _l("不一致"),
    evidence.MISSING: _l("文件缺失"),
    evidence.SKIPPED: _l("未重新计算"),
    evidence.PENDING: _l("尚未上传"),
}
MOMENTS = {
    "visit.start": _l("到达现场，开始检查"),
    "credential.shown": _l("出示执法证"),
    "notice.delivered": _l("送达告知书"),
    "media.captured": _l("采集证据"),
    "record.finished": _l("签名确认（手机时间）"),
}
COMMENT_KINDS = {"return": _l("退回意见"), "note": _l("审核意见")}

VARIANTS = ("thumb", "preview", "original")
INLINE_KINDS = ("image/", "audio/", "video/", "application/pdf")
# Evidence never changes under its key; "private" keeps shared caches from holding it, and the
# short lifetime bounds how long a browser shows a file after its user lost access.
CACHE_CONTROL = "private, max-age=3600"


@bp.context_processor
def _vocabularies():
    return {
        "record_states": RECORD_STATES,
        "record_badges": RECORD_BADGES,
        "answer_labels": ANSWERS,
        "kind_labels": KINDS,
        "file_status": FILE_STATUS,
        "moment_labels": {**ACTIONS, **MOMENTS},
        "comment_kinds": COMMENT_KINDS,
        "verify_cap_mb": evidence.VERIFY_CAP // 1_000_000,
    }


# ---- the page ------------------------------------------------------------------------------------


@bp.get("/visits/<visit_id>/records/<record_id>/review")
@roles_required(*access.READERS)
def page(visit_id: str, record_id: str):
    visit, row = record_or_abort(visit_id, record_id)
    return _page(visit, row)


def _page(visit, row, errors: dict | None = None, values: dict | None = None, status: int = 200):
    verify_all = request.args.get("verify") == "all"
    checks = evidence.integrity(db.session, storage(), row, verify_all=verify_all)
    task = db.session.get(Task, row.task_id)
    versions = evidence.versions(db.session, row)
    superseded = any(v.supersedes_id == row.id for v in versions)
    may_review = review.may_review(db.session, current_user, row)
    return render_template(
        "visits/review.html",
        visit=visit,
        row=row,
        task=task,
        checks=checks,
        verify_all=verify_all,
        answers=evidence.answers(task, row),
        findings=evidence.findings(row),
        finished_at=evidence.finished_at(row),
        signing=evidence.signing(row),
        timeline=evidence.timeline(db.session, row, checks.files),
        versions=versions,
        comments=evidence.comments(db.session, [v.id for v in versions]),
        superseded=superseded,
        may_review=may_review,
        can_act=may_review and row.state == "submitted" and not superseded,
        errors=errors or {},
        values=values or {},
    ), status


# ---- actions -------------------------------------------------------------------------------------


def _act(visit_id: str, record_id: str, action: str):
    visit, row = record_or_abort(visit_id, record_id)
    form = form_data(request.form)
    try:
        if action == "approve":
            _files_intact(row)
            review.approve(db.session, current_actor(), current_user, row, form.get("comment"))
        else:
            review.send_back(db.session, current_actor(), current_user, row, form.get("comment"))
    except review.ReviewError as error:
        if error.status == 403:
            abort(403, description=error.translated())
        db.session.rollback()  # nothing of the refused action may reach the page
        db.session.refresh(row)
        messages = {error.field or "_schema": [error.translated()]}
        return _page(visit, row, {action: messages}, {action: form}, error.status)
    if action == "approve":
        flash(_("已审核通过"), "success")
    else:
        flash(_("已退回，意见将在检查人员同步时送达"), "success")
    return redirect(url_for("visits.review.page", visit_id=visit.id, record_id=row.id))


def _files_intact(row) -> None:
    """An approval also needs every evidence file to hash as listed (files over the cap are not
    re-read here: the page showed them as not re-computed unless the reviewer asked)."""
    if not review.may_review(db.session, current_user, row):
        return  # review.approve answers 403
    files = evidence.check_files(db.session, storage(), row)
    if any(f.ok is False for f in files):
        raise review.ReviewError(
            _l("有证据文件缺失或与清单不符，不能审核通过，请退回补正"), status=409
        )


@bp.post("/visits/<visit_id>/records/<record_id>/approve")
@roles_required(*access.READERS)
def approve(visit_id: str, record_id: str):
    return _act(visit_id, record_id, "approve")


@bp.post("/visits/<visit_id>/records/<record_id>/send-back")
@roles_required(*access.READERS)
def send_back(visit_id: str, record_id: str):
    return _act(visit_id, record_id, "send_back")


# ---- evidence files ------------------------------------------------------------------------------


@bp.get("/media/<media_id>/<variant>")
@roles_required(*access.READERS)
def media(media_id: str, variant: str):
    if variant not in VARIANTS:
        abort(404)
    key = queries.parse_id(media_id)
    found = db.session.get(Media, key) if key else None
    if found is None:
        abort(404)
    records = evidence.records_with_media(db.session, found)
    visits = {queries.get_visit(db.session, r.visit_id) for r in records}
    if not any(v is not None and access.may_view(db.session, current_user, v) for v in visits):
        abort(403)
    storage_key = {
        "thumb": found.thumb_key,
        "preview": found.preview_key,
        "original": found.storage_key,
    }[variant]
    if not storage_key:
        abort(404)  # no derived copy (not an image, or one that could not be decoded)
    mime = found.mime if variant == "original" else "image/jpeg"
    return _stream(storage_key, mime, f"{found.sha256}-{variant}", f"{found.media_id}")


def _stream(key: str, mime: str, etag: str, name: str) -> Response:
    """The stored object, streamed, with Range and If-None-Match support."""
    store = storage()
    try:
        size = store.size(key)
        stream = store.open(key)
    except StorageError:
        abort(404)
    response = Response(wrap_file(request.environ, stream), mimetype=mime, direct_passthrough=True)
    response.content_length = size
    response.set_etag(etag)
    extension = mimetypes.guess_extension(mime) or ""
    inline = mime.startswith(INLINE_KINDS)
    response.headers.set(
        "Content-Disposition", "inline" if inline else "attachment", filename=name + extension
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = CACHE_CONTROL
    # Answers 206 for a Range (audio and video seeking) and 304 for a matching ETag.
    return response.make_conditional(request, accept_ranges=True, complete_length=size)
