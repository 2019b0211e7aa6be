"""tus 1.0 endpoints for evidence uploads (sync v1 "Uploads") at /api/v1/uploads/.

A plain blueprint rather than flask-smorest: tus needs raw bodies, its own headers and status
codes (204, 409, 412, 460). The protocol itself is in sync/uploads.py; this module maps headers
to arguments and errors to responses. Bearer device tokens only; no CSRF (no cookies involved).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from server.auth.bearer import device_required
from server.durability import relax_this_commit
from server.extensions import csrf, db
from server.i18n import N_
from server.uploads import openapi
from sync import uploads as tus
from sync.storage import Storage, StorageUnavailable, storage_from_config

bp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads")
csrf.exempt(bp)
bp.record_once(openapi.document)

OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
STORAGE_DOWN = N_("证据存储暂时不可用，请稍后自动重试")
STORAGE_RETRY_AFTER_SECONDS = 30


def settings() -> tus.Settings:
    return _backend()[0]


def storage() -> Storage:
    return _backend()[1]


def _backend() -> tuple[tus.Settings, Storage]:
    # Built once per app: a boto3 client is costly to make and safe to share between threads.
    cached = current_app.extensions.get("spotcheck_uploads")
    if cached is None:
        cached = (
            tus.Settings.from_config(current_app.config, current_app.instance_path),
            storage_from_config(current_app.config, current_app.instance_path),
        )
        current_app.extensions["spotcheck_uploads"] = cached
    return cached


@bp.before_request
def _require_tus_version():
    if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != tus.TUS_VERSION:
        error = tus.UploadError(
            412, "tus_version", N_("不支持的 tus 协议版本，需要 Tus-Resumable: 1.0.0")
        )
        response = _error(error)
        response.headers["Tus-Version"] = tus.TUS_VERSION
        return response
    return None


@bp.after_request
def _tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = tus.TUS_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(error: tus.UploadError) -> Response:
    response = jsonify(
        {
            "code": error.status,
            "reason": error.reason,
            "message": _(error.message) if error.message else "",
        }
    )
    response.status_code = error.status
    if error.offset is not None:
        response.headers["Upload-Offset"] = str(error.offset)
    return response


def _location(upload_id: uuid.UUID) -> str:
    return url_for("uploads.upload", upload_id=str(upload_id))


def _commit_then_discard(upload_id: uuid.UUID) -> None:
    """Commit now, then drop the partial file: the file may go only once the database agrees.

    This is the one place the uploads domain commits itself (transactions.py commits only
    below 400, and a 460 must still record that the upload failed).
    """
    db.session.commit()
    tus.discard_partial(settings(), upload_id)


@bp.route("/", methods=["OPTIONS"])
def options():
    """Capabilities and limits; no token needed (nothing here is private)."""
    config = settings()
    response = jsonify(
        {
            "max_size": config.max_size,
            "kinds": {
                kind: {
                    "max_bytes": config.max_bytes[kind],
                    "types": list(config.allowed_types.get(kind, ())),
                }
                for kind in config.max_bytes
            },
        }
    )
    response.headers["Tus-Version"] = tus.TUS_VERSION
    response.headers["Tus-Extension"] = ",".join(tus.TUS_EXTENSIONS)
    response.headers["Tus-Max-Size"] = str(config.max_size)
    return response


@bp.post("/")
@device_required
def create():
    identity = g.identity
    config = settings()
    try:
        if request.headers.get("Upload-Defer-Length"):
            raise tus.UploadError(400, "defer_length", N_("不支持延后声明文件大小"))
        length = tus.parse_int_header(request.headers.get("Upload-Length"), "Upload-Length")
        if length > config.max_size:
            raise tus.UploadError(413, "too_large", tus.FAILURE_MESSAGES["too_large"])
        metadata = tus.parse_metadata(request.headers.get("Upload-Metadata"))
        created = tus.create(
            db.session,
            user_id=identity.user_id,
            device_id=identity.device_id,
            actor=identity.actor,
            length=length,
            metadata=metadata,
            settings=config,
        )
    except tus.UploadError as error:
        return _error(error)
    if created.media is not None:
        # Already verified: the phone may delete its copy once it sees this.
        response = jsonify(created.media.as_json())
        response.status_code = 200
        response.headers["Upload-Offset"] = str(created.media.size)
        response.headers["Upload-Length"] = str(created.media.size)
        if created.upload is not None:
            response.headers["Location"] = _location(created.upload.id)
        return response
    upload = created.upload
    response = Response(status=201)
    response.headers["Location"] = _location(upload.id)
    response.headers["Upload-Offset"] = str(upload.offset)
    response.headers["Upload-Length"] = str(upload.length)
    return response


@bp.route("/<upload_id>", methods=["HEAD"])
@device_required
def upload(upload_id: str):
    try:
        upload = tus.get_upload(db.session, upload_id, user_id=g.identity.user_id)
        if upload.state == "failed":
            raise tus.UploadError(410, upload.failure or "failed", "")
    except tus.UploadError as error:
        response = _error(error)
        response.set_data(b"")  # HEAD: headers only
        return response
    response = Response(status=200)
    response.headers["Upload-Length"] = str(upload.length)
    if upload.state == "complete":
        response.headers["Upload-Offset"] = str(upload.length)
        response.headers["Upload-Verified-SHA256"] = upload.sha256
    else:
        response.headers["Upload-Offset"] = str(upload.offset)
    return response


@bp.patch("/<upload_id>")
@device_required
def append(upload_id: str):
    identity = g.identity
    config = settings()
    try:
        if (request.mimetype or "").lower() != OFFSET_CONTENT_TYPE:
            message = N_("PATCH 的 Content-Type 必须为 application/offset+octet-stream")
            raise tus.UploadError(415, "content_type", message)
        offset = tus.parse_int_header(request.headers.get("Upload-Offset"), "Upload-Offset")
        upload = tus.get_upload(db.session, upload_id, user_id=identity.user_id)
        # The body is copied to disk in 1 MiB pieces and never past the file's declared
        # length, so the app-wide MAX_CONTENT_LENGTH (meant for forms) does not apply here.
        # (None would not lift it: Flask then falls back to MAX_CONTENT_LENGTH.)
        request.max_content_length = settings().max_size + 1
        upload = tus.append(
            db.session,
            upload,
            offset=offset,
            body=request.stream,
            content_length=request.content_length,
            actor=identity.actor,
            settings=config,
            storage=storage(),
        )
    except tus.UploadFailed as failed:
        _commit_then_discard(failed.upload.id)
        return _error(failed)
    except tus.UploadError as error:
        return _error(error)
    except StorageUnavailable:
        # The evidence store is down (S3 outage): nothing is committed, the partial file keeps
        # the bytes; the phone retries after the pause instead of hammering the server.
        current_app.logger.warning("upload %s: evidence storage unavailable", upload_id)
        response = _error(tus.UploadError(503, "storage_unavailable", STORAGE_DOWN))
        response.headers["Retry-After"] = str(STORAGE_RETRY_AFTER_SECONDS)
        return response
    response = Response(status=204)
    response.headers["Upload-Offset"] = str(upload.offset)
    if upload.state == "complete":
        response.headers["Upload-Verified-SHA256"] = upload.sha256
        _commit_then_discard(upload.id)
    else:
        # Only the new offset: a commit lost to a power cut costs a resend, never evidence.
        relax_this_commit(db.session)
    return response


@bp.delete("/<upload_id>")
@device_required
def terminate(upload_id: str):
    try:
        upload = tus.get_upload(db.session, upload_id, user_id=g.identity.user_id)
        upload_key = upload.id
        tus.terminate(db.session, upload, actor=g.identity.actor)
    except tus.UploadError as error:
        return _error(error)
    _commit_then_discard(upload_key)
    return Response(status=204)
