"""The field app's sign-in API (sync v1 "Identity"): register a device, check it, sign it out.

`POST /api/v1/auth/device` takes a username and password (the console's check, lockout
included) and returns the device's bearer token once. `GET` and `DELETE` authenticate with
that token (server.auth.bearer). Console sessions play no part here, so there is no CSRF.
"""

from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from werkzeug.http import HTTP_STATUS_CODES

from server import ratelimits
from server.auth import devices
from server.auth.bearer import current_identity, device_required
from server.auth.device_schemas import DeviceSignInArgs, DeviceSignInSchema, DeviceStatusSchema
from server.extensions import api, db
from server.orm import utcnow
from server.web import ERROR_MESSAGES, local_time

SECURITY_SCHEME = "deviceToken"

blp = Blueprint(
    "device_api",
    __name__,
    url_prefix="/api/v1/auth",
    description="外勤应用设备登录（Bearer 令牌，每台设备一个，可单独注销）",
)

# How each refused sign-in answers: a wrong password is 401 (sign in again), the rest 403.
_REFUSAL_STATUS = {
    devices.INVALID: 401,
    devices.LOCKED: 403,
    devices.INACTIVE: 403,
    devices.NOT_INSPECTOR: 403,
}


@blp.record_once
def _declare_security_scheme(state) -> None:
    # The spec is rebuilt for every app; other bearer-token blueprints may declare it too.
    schemes = api.spec.components.security_schemes
    if SECURITY_SCHEME not in schemes:
        api.spec.components.security_scheme(
            SECURITY_SCHEME,
            {
                "type": "http",
                "scheme": "bearer",
                "description": "POST /api/v1/auth/device 返回的设备令牌",
            },
        )


def _refusal(refused: devices.SignInRefused):
    """The JSON error of server.web, plus a `reason` code the app can branch on."""
    status = _REFUSAL_STATUS[refused.reason]
    detail = str(refused.message)
    if refused.reason == devices.LOCKED and refused.locked_until is not None:
        detail = _(
            "错误次数过多，账号已锁定至 %(time)s（北京时间）；请到时再试或联系系统管理员解锁",
            time=local_time(refused.locked_until),
        )
    body = {
        "code": status,
        "status": HTTP_STATUS_CODES[status],
        "message": ERROR_MESSAGES[status],
        "detail": detail,
        "reason": refused.reason,
    }
    return jsonify(body), status


@blp.route("/device")
class DeviceSession(MethodView):
    decorators = [ratelimits.sign_in]  # sign-in attempts (POST) per address

    @blp.arguments(DeviceSignInArgs)
    @blp.response(201, DeviceSignInSchema)
    @blp.alt_response(401, description="用户名或密码错误（reason=invalid）")
    @blp.alt_response(
        403,
        description="账号已锁定（locked）、已停用（inactive）或不是执法检查人员（not_inspector）",
    )
    @blp.alt_response(422, description="输入有误（字段 → 中文说明；公钥错误指明 JWK 成员）")
    def post(self, args):
        """Sign a phone in: returns its device id and bearer token (shown only this once).

        The password is checked exactly as at the console sign-in: five failures in a row lock
        the account (console and app alike) for 15 minutes. Only inspectors may register a
        device. `device_public_key` is the phone's ECDSA P-256 public key (JWK) that verifies
        its record signatures (see sync/integrity.py).
        """
        try:
            device, token = devices.register_device(
                db.session,
                username=args["username"],
                password=args["password"],
                device_name=args["device_name"],
                public_key=args["device_public_key"],
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"],
            )
        except devices.SignInRefused as refused:
            # The failure count, the lock and their audit events must outlive this refusal (the
            # console's sign-in answers 200 for the same reason); a 4xx rolls back, so commit
            # them here. Nothing else was written in this request.
            db.session.commit()
            return _refusal(refused)
        return {
            "device_id": device.id,
            "token": token,
            "user": devices.profile(db.session, device.user),
            "server_time": utcnow(),
        }

    @blp.doc(security=[{SECURITY_SCHEME: []}])
    @blp.response(200, DeviceStatusSchema)
    @blp.alt_response(401, description="令牌无效或设备已注销：请重新登录（本机数据保留）")
    @device_required
    def get(self):
        """This device and its user: lets the app check that its token still works."""
        identity = current_identity()
        return {
            "device": identity.device,
            "user": devices.profile(db.session, identity.user),
            "server_time": utcnow(),
        }

    @blp.doc(security=[{SECURITY_SCHEME: []}])
    @blp.response(204)
    @blp.alt_response(401, description="令牌无效或设备已注销")
    @device_required
    def delete(self):
        """Sign this device out: its token stops working at once (the app keeps unsent data)."""
        identity = current_identity()
        devices.revoke_device(db.session, actor=identity.actor, device=identity.device, by="self")
        return None
