"""The credential check anyone can do (`/c/<token>`, its JSON twin) and the phone's photo.

`/c/<token>` is what the QR code of the e-credential opens: no sign-in, Chinese, big text. A
genuine, unexpired token shows ✅ or ❌ with the facts (server/credentials/checks.py); an altered
or unknown token is answered 404, an expired one 410 — never a 500. Every scan is logged.
"""

from __future__ import annotations

import flask_smorest
from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from server import ratelimits
from server.auth.bearer import current_identity, device_required
from server.clock import local_today
from server.credentials import checks, models, photos, service
from server.credentials.schemas import PublicCredentialSchema
from server.credentials.tokens import BadToken, Claim, ExpiredToken, ip_digest
from server.directory.models import Inspector
from server.extensions import db
from server.uploads.views import storage
from server.visits.models import Visit

bp = Blueprint(
    "credentials",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/credentials/static",
)

device_api = flask_smorest.Blueprint(
    "credential_api",
    __name__,
    url_prefix="/api/v1/credential",
    description="外勤应用：本人电子执法证（设备令牌：Authorization: Bearer <token>）",
)
public_api = flask_smorest.Blueprint(
    "credential_public_api",
    __name__,
    url_prefix="/api/v1/public/credentials",
    description="公开：核验电子执法证二维码（无需登录）",
)
api_blueprints = [device_api, public_api]

# Headlines of the page for each outcome (the details below say why).
HEADLINES = {
    models.VALID: _l("核验通过"),
    models.CREDENTIAL_INVALID: _l("执法证无效"),
    models.VISIT_CLOSED: _l("该检查已取消或已合并"),
    models.NOT_ASSIGNED: _l("该人员不是本次检查的检查人员"),
    models.OUTSIDE_WINDOW: _l("今天不在本次检查的时间内"),
}
REFUSALS = {
    models.INVALID: _l("无法验证该二维码：二维码不完整、被改动或不是本平台签发的。"),
    models.EXPIRED: _l("二维码已过期：请检查人员打开外勤应用同步后重新出示。"),
}
PHOTO_CACHE = "private, max-age=86400"
# The page shows the current facts: a cache (or the back button) must not replay old ones.
PAGE_CACHE = "no-store"


def _scan(token: str, via: str):
    """(claim, facts, refusal): refusal is (status, outcome) when there is nothing to show."""
    today = local_today()
    claim: Claim | None = None
    try:
        claim = service.signer().verify(token, today)
    except ExpiredToken as expired:
        claim = expired.claim
        _log(claim, _known(claim), models.EXPIRED, via)
        return claim, None, (410, models.EXPIRED)
    except BadToken:
        _log(None, False, models.INVALID, via)
        return None, None, (404, models.INVALID)
    facts = checks.facts(db.session, claim, today)
    if facts is None:  # genuine, but names nobody here (e.g. a database restored from backup)
        _log(claim, False, models.INVALID, via)
        return claim, None, (404, models.INVALID)
    facts.scans = _log(claim, True, facts.outcome, via)
    return claim, facts, None


def _known(claim: Claim) -> bool:
    """Whether the claim's inspector (and visit) exist: only then are they logged by id."""
    if db.session.get(Inspector, claim.inspector_id) is None:
        return False
    return claim.visit_id is None or db.session.get(Visit, claim.visit_id) is not None


def _log(claim, known: bool, outcome: str, via: str) -> int:
    return checks.log_scan(
        db.engine,
        claim=claim,
        known=known,
        outcome=outcome,
        via=via,
        ip_hash=ip_digest(current_app.config["SECRET_KEY"], request.remote_addr),
        user_agent=request.headers.get("User-Agent"),
    )


@bp.get("/c/<token>")
@ratelimits.credential_check
def check(token: str):
    _claim, facts, refusal = _scan(token, "page")
    if refusal is not None:
        status, outcome = refusal
        body = render_template("credentials/refused.html", outcome=outcome, bureau=service.bureau())
        return Response(body, status=status, headers={"Cache-Control": PAGE_CACHE})
    body = render_template(
        "credentials/check.html",
        facts=facts,
        token=token,
        headline=HEADLINES[facts.outcome],
        bureau=service.bureau(),
    )
    return Response(body, headers={"Cache-Control": PAGE_CACHE})


@bp.get("/c/<token>/photo")
def check_photo(token: str):
    """The photo, only behind a genuine unexpired token (not logged: the page was)."""
    try:
        claim = service.signer().verify(token, local_today())
    except (BadToken, ExpiredToken):
        abort(404)
    inspector = db.session.get(Inspector, claim.inspector_id)
    data = photos.shown_bytes(storage(), inspector) if inspector else None
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=300"})


@public_api.route("/<token>")
class PublicCredential(MethodView):
    @public_api.response(200, PublicCredentialSchema)
    @public_api.alt_response(404, description="二维码无效（被改动、格式错误或查无此人）")
    @public_api.alt_response(410, description="二维码已过期（请检查人员同步外勤应用后重新出示）")
    def get(self, token: str):
        """Check an e-credential QR token: the same facts as the page /c/<token>"""
        _claim, facts, refusal = _scan(token, "api")
        if refusal is not None:
            status, outcome = refusal
            abort(status, description=str(REFUSALS[outcome]))
        return facts.as_dict()


@device_api.route("/photo")
class DevicePhoto(MethodView):
    decorators = [device_required]

    @device_api.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="image/jpeg",
        description="证件照（不超过 600 像素，已去除 EXIF）",
    )
    @device_api.alt_response(401, description="设备未登录或令牌已吊销")
    @device_api.alt_response(404, description="未上传证件照，或该账号不是执法人员")
    def get(self):
        """The signed-in inspector's credential photo (for the e-credential, kept offline)"""
        user = current_identity().user
        inspector = db.session.scalars(
            select(Inspector).where(Inspector.user_id == user.id)
        ).first()
        data = photos.shown_bytes(storage(), inspector) if inspector else None
        if data is None:
            abort(404, description=_("未上传证件照"))
        return Response(data, mimetype="image/jpeg", headers={"Cache-Control": PHOTO_CACHE})
