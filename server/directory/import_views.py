"""Console: import the directories from an uploaded spreadsheet, and download the templates.

Two steps: "检查文件" reads and validates the upload and shows the report (nothing written; the
file is kept under a token), then "确认导入" imports it in one transaction and redirects to the
result. The routes live on the `directory` blueprint (endpoints directory.imports, …).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.models import User
from server.auth.permissions import current_actor, roles_required
from server.auth.roles import ADMIN, BACK_OFFICE
from server.directory import importer, vocab
from server.directory.import_reader import Limits
from server.directory.import_stash import TOKEN, UploadStash
from server.directory.import_template import build_template
from server.extensions import db
from server.validation import InputError, YesNo, form_data, parse

IMPORTERS = (BACK_OFFICE, ADMIN)
KINDS = {"subjects": _l("检查对象"), "inspectors": _l("执法人员")}
RECENT = 10
SHOWN_ISSUES = 500
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportArgs(Schema):
    """The upload form (check) and the confirm form."""

    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    valid_only = YesNo(load_default=False)
    action = fields.String(load_default="check", validate=validate.OneOf(["check", "confirm"]))
    token = fields.String(load_default=None, validate=validate.Regexp(TOKEN))
    sha256 = fields.String(load_default=None, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


def _stash() -> UploadStash:
    return UploadStash(Path(current_app.instance_path) / "imports")


def _limits() -> Limits:
    return Limits.from_config(current_app.config)


def _recent() -> tuple[list[AuditEvent], dict]:
    """The latest import summaries from the audit log, and the names of who ran them."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "directory.import")
        .order_by(AuditEvent.seq.desc())
        .limit(RECENT)
    ).all()
    ids = {e.actor_id for e in events if e.actor_id}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    names = {row.id: row.display_name for row in rows}
    return events, names


def _upload_page(*, form=None, errors=None, refused=None, status=200):
    recent, actors = _recent()
    return (
        render_template(
            "directory/imports.html",
            kinds=KINDS,
            form=form or {"kind": request.args.get("kind", "subjects")},
            errors=errors or {},
            refused=refused,
            recent=recent,
            actors=actors,
        ),
        status,
    )


def _check_page(report: importer.Report, *, token=None, status=200):
    return (
        render_template(
            "directory/import_check.html",
            kinds=KINDS,
            report=report,
            token=token,
            shown=SHOWN_ISSUES,
        ),
        status,
    )


def imports():
    """GET: the upload page. POST: check an upload, or confirm a checked one."""
    _stash().sweep()
    if request.method == "GET":
        return _upload_page()
    try:
        args = parse(ImportArgs(), form_data(request.form))
    except InputError as error:
        return _upload_page(form=request.form, errors=error.errors, status=422)
    if args["action"] == "confirm":
        return _confirm(args)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _upload_page(form=args, errors={"file": [_("请选择要导入的文件")]}, status=422)
    limits = _limits()
    data = upload.stream.read(limits.max_bytes + 1)
    report, _rows = importer.check(
        db.session,
        kind=args["kind"],
        data=data,
        filename=upload.filename,
        limits=limits,
        valid_only=args["valid_only"],
    )
    if report.refused:
        return _upload_page(form=args, refused=report.refused, status=422)
    token = None
    if report.valid:
        token, _digest = _stash().put(
            data,
            {"owner": str(current_user.id), "kind": args["kind"], "filename": report.filename},
        )
    return _check_page(report, token=token)


def _confirm(args: dict):
    stash = _stash()
    kept = None
    if args["token"] and args["sha256"]:
        kept = stash.get(args["token"], sha256=args["sha256"], owner=str(current_user.id))
    if kept is None or kept[1].get("kind") != args["kind"]:
        return _upload_page(
            form=args,
            refused=_("上传的文件已经导入或已过期（保留 1 小时），请重新选择文件。"),
            status=422,
        )
    data, meta = kept
    try:
        report = importer.run_import(
            db.session,
            actor=current_actor(),
            kind=args["kind"],
            data=data,
            filename=meta["filename"],
            limits=_limits(),
            valid_only=args["valid_only"],
        )
    except importer.ImportAborted as aborted:
        # 422: the request's transaction rolls back whatever the import had flushed.
        return _check_page(aborted.report, token=args["token"], status=422)
    if report.failed or not report.applied:
        # The directory changed since the check (e.g. a region was retired): show why.
        return _check_page(report, token=args["token"], status=422)
    stash.discard(args["token"])
    stash.put_result(args["token"], {"owner": str(current_user.id), **report.to_dict()})
    return redirect(url_for("directory.imports_result", token=args["token"]))


def imports_result(token: str):
    result = _stash().get_result(token, owner=str(current_user.id))
    if result is None:
        abort(404)
    result.pop("owner", None)
    report = importer.Report.from_dict(result)
    return render_template(
        "directory/import_result.html", kinds=KINDS, report=report, shown=SHOWN_ISSUES
    )


def import_template(kind: str):
    if kind not in KINDS:
        abort(404)
    body = build_template(db.session, kind)
    filename = f"{vocab.zh(KINDS[kind])}导入模板.xlsx"
    response = Response(body, mimetype=XLSX)
    # RFC 6266 / 5987: an ASCII fallback plus the UTF-8 Chinese name.
    response.headers["Content-Disposition"] = (
        f"attachment; filename={kind}-template.xlsx; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def register(bp: Blueprint) -> None:
    """Add the import pages to the directory blueprint."""
    guard = roles_required(*IMPORTERS)
    bp.add_url_rule("/imports", "imports", guard(imports), methods=["GET", "POST"])
    bp.add_url_rule("/imports/result/<token>", "imports_result", guard(imports_result))
    bp.add_url_rule("/imports/template/<kind>.xlsx", "import_template", guard(import_template))
