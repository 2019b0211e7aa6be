"""`/api/v1/sync/pull` and `/push` (sync v1 "Pull", "Push"): the field app's sync endpoints."""

from __future__ import annotations

from flask import Response, jsonify
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint

from server.auth.bearer import current_identity, device_required
from server.credentials.service import credential_links
from server.extensions import api, db
from server.syncapi import pull, push
from server.syncapi.push_schemas import ARGS_SCHEMAS, PushArgs, PushSchema
from server.syncapi.schemas import PullArgs, PullSchema
from server.validation import translate_messages
from sync import changes

blp = Blueprint(
    "sync_api",
    __name__,
    url_prefix="/api/v1/sync",
    description="外勤应用同步（设备令牌：Authorization: Bearer <token>）",
)
api_blueprints = [blp]


@blp.route("/pull")
class Pull(MethodView):
    decorators = [device_required]

    @blp.arguments(PullArgs, location="query", as_kwargs=True)
    @blp.response(200, PullSchema)
    @blp.alt_response(401, description="设备未登录或令牌已吊销：重新登录（本机数据保留）")
    def get(self, cursor=None):
        """Changes since `cursor` in the inspector's scope, read from one consistent snapshot.

        Scope: planned visits of issued tasks on whose team the inspector is, with their tasks,
        pinned item versions, subjects, checklists, and the inspector's own credential.
        `reset: true` — discard the local server-owned copies and store this full pull.
        """
        identity = current_identity()
        links = credential_links()  # needs the request (base URL); pull() runs without one
        # A separate connection: the request's transaction has already read the device, and
        # REPEATABLE READ must be set before a transaction's first statement.
        with changes.snapshot(db.engine) as session:
            body = pull.pull(
                session,
                user_id=identity.user_id,
                device_id=identity.device_id,
                cursor_raw=cursor,
                links=links,
            )
        # Personal data of subjects and teams: never stored by a cache on the way.
        return Response(
            pull.encode(body),
            mimetype="application/json",
            headers={"Cache-Control": "no-store"},
        )


@blp.route("/push")
class Push(MethodView):
    decorators = [device_required]

    @blp.arguments(PushArgs)
    @blp.response(200, PushSchema)
    @blp.alt_response(401, description="设备未登录或令牌已吊销（推送中途吊销时已应用的部分保留）")
    @blp.alt_response(403, description="device_id 与令牌不符，或变更涉及不属于本人的检查")
    @blp.alt_response(409, description="序号不连续：{expected_seq}，从该序号起重新推送")
    @blp.alt_response(422, description="变更格式有误：{seq, errors}，该变更及其后均未写入")
    def post(self, body):
        """Apply the device's queued mutations in `seq` order, each exactly once.

        `seq ≤ last_mutation_seq` → `duplicate` (with the stored `result` and `error`);
        `seq = last + 1` → `applied`, or `rejected` with `{code, message}` (still advances the
        sequence). Each mutation is committed on its own, so progress survives a failure later
        in the batch. Argument schemas per type: the Push*Args components.
        """
        identity = current_identity()
        if body["device_id"] != identity.device_id:
            return _error(403, "device_mismatch", _("device_id 与登录设备不符"))
        try:
            # push() commits after every mutation itself (see server/syncapi/push.py): the
            # request-wide commit of server/transactions.py would lose a batch's progress on a
            # crash midway and hold the device lock for the whole batch.
            return push.push(
                db.session,
                device_id=identity.device_id,
                user=identity.user,
                actor=identity.actor,
                mutations=body["mutations"],
            )
        except push.Gap as gap:
            return _error(
                409,
                "seq_gap",
                _("变更序号不连续"),
                expected_seq=gap.expected_seq,
                results=gap.results,
            )
        except push.Revoked as revoked:
            return _error(
                401,
                "revoked",
                _("设备登录已失效，请重新登录（本机数据会保留）"),
                results=revoked.results,
            )
        except push.OutOfScope as outside:
            return _error(
                403, "out_of_scope", _("该检查不属于您"), seq=outside.seq, results=outside.results
            )
        except push.Malformed as bad:
            return _error(
                422,
                "invalid_args",
                _("提交的数据有误"),
                seq=bad.seq,
                errors={"args": translate_messages(bad.errors)},
                results=bad.results,
            )


def _error(status: int, code: str, message: str, **extra):
    # The request transaction is rolled back for these statuses (server/transactions.py); the
    # mutations push() applied before stopping are already committed.
    body = {"code": status, "reason": code, "message": message, **extra}
    return jsonify(body), status


@blp.record_once
def _document_args(state) -> None:
    """Document every mutation type's argument schema (components Push…Args)."""
    for schema in dict.fromkeys(ARGS_SCHEMAS.values()):
        name = schema.__name__.removesuffix("Schema")
        if name not in api.spec.components.schemas:
            api.spec.components.schema(name, schema=schema)
