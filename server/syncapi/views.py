"""`GET /api/v1/sync/pull` (sync v1 "Pull"): the device's inspector's data, by change cursor."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from server.auth.bearer import current_identity, device_required
from server.extensions import db
from server.syncapi import pull
from server.syncapi.schemas import PullArgs, PullSchema
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
        # A separate connection: the request's transaction has already read the device, and
        # REPEATABLE READ must be set before a transaction's first statement.
        with changes.snapshot(db.engine) as session:
            body = pull.pull(
                session,
                user_id=identity.user.id,
                device_id=identity.device.id,
                cursor_raw=cursor,
            )
        # Personal data of subjects and teams: never stored by a cache on the way.
        return Response(
            pull.encode(body),
            mimetype="application/json",
            headers={"Cache-Control": "no-store"},
        )
