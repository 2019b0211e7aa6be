"""Read-only JSON API of tasks for signed-in console users (session auth, like /api/v1/directory).

Visibility is the console task list's: every signed-in console user sees every task (tasks are
the bureau's public work plan; who may *act* is decided per transition, not here).
"""

from __future__ import annotations

import functools

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate
from sqlalchemy import select

from server.auth.roles import ROLES
from server.clock import SHANGHAI
from server.draws.models import Draw
from server.draws.operations import pool_text
from server.extensions import db
from server.pagination import page_body
from server.tasks import present, queries, workflow

blp = Blueprint(
    "tasks_api",
    __name__,
    url_prefix="/api/v1/tasks",
    description="抽查任务（只读；需登录控制台）",
)

MAX_PAGE_SIZE = 200


def signed_in(view):
    """A console session with a role; an API caller gets 401/403 JSON, not a redirect."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        if not current_user.has_role(*ROLES):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _local(value):
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


# ---------------------------------------------------------------- schemas


class TaskListArgs(Schema):
    """Filters of the task list (as on /tasks) and paging."""

    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    department = fields.UUID(load_default=None, metadata={"description": "责任科室 id"})
    state = fields.String(
        load_default=None,
        validate=validate.OneOf(list(workflow.STATES)),
        metadata={"description": "状态：" + " | ".join(workflow.STATES)},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}


class DepartmentRefSchema(Schema):
    id = fields.UUID()
    name = fields.String()


class TaskSummarySchema(Schema):
    id = fields.UUID()
    number = fields.String(allow_none=True, metadata={"description": "任务编号（提交审核时编号）"})
    name = fields.String()
    year = fields.Integer()
    department = fields.Nested(DepartmentRefSchema)
    state = fields.String(metadata={"description": "状态代码（server/tasks/workflow.py）"})
    state_label = fields.Function(lambda t: str(workflow.STATES[t.state]))
    window_start = fields.Date(metadata={"description": "检查开始日期"})
    window_end = fields.Date(metadata={"description": "检查结束日期"})


class TaskPageSchema(Schema):
    total = fields.Integer(metadata={"description": "符合条件的总条数"})
    page = fields.Integer()
    page_size = fields.Integer()
    pages = fields.Integer()
    items = fields.List(fields.Nested(TaskSummarySchema))


class TaskItemSchema(Schema):
    item_id = fields.UUID()
    code = fields.Function(lambda ti: ti.item.code)
    name = fields.Function(lambda ti: ti.item_version.name, metadata={"description": "所用版本"})
    version_no = fields.Function(lambda ti: ti.item_version.version_no)


class TaskEventSchema(Schema):
    action = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    at = fields.Function(lambda e: _local(e.at), metadata={"description": "北京时间"})
    actor = fields.Function(lambda e: e.actor.display_name if e.actor else e.actor_label)
    comment = fields.String(allow_none=True)


class TaskDetailSchema(TaskSummarySchema):
    origin = fields.String(metadata={"description": "plan（年度计划）| ad_hoc（计划外）"})
    ad_hoc_reason = fields.String(allow_none=True)
    items = fields.List(fields.Nested(TaskItemSchema))
    window = fields.Function(
        lambda t: {"start": t.window_start.isoformat(), "end": t.window_end.isoformat()}
    )
    targeting = fields.String(metadata={"description": "untargeted | targeted"})
    target_filters = fields.Dict(metadata={"description": "定向条件（kinds、scales、regions …）"})
    sample = fields.Function(
        lambda t: {
            "kind": t.sample_kind,
            "count": t.sample_count,
            "ratio": t.sample_ratio,
            "text": present.sample_text(t),
        },
        metadata={"description": "抽取数量：按户数（count）或按比例（ratio，十进制字符串）"},
    )
    team_size = fields.Integer()
    pool = fields.Function(
        lambda t: {"mode": t.pool_mode, "filters": t.pool_filters or {}, "rule": pool_text(t)},
        metadata={"description": "人员库规则：模式、筛选条件、公告所用的文字规则"},
    )
    methods = fields.List(fields.String())
    checklist_template_id = fields.UUID(allow_none=True)
    events = fields.List(fields.Nested(TaskEventSchema), metadata={"description": "办理过程"})
    draw_id = fields.Function(
        lambda t: _draw_id(t), metadata={"description": "抽取编号（已发布抽取公告时）"}
    )


def _draw_id(task) -> str | None:
    draw_id = db.session.scalar(select(Draw.id).where(Draw.task_id == task.id))
    return str(draw_id) if draw_id else None


# ---------------------------------------------------------------- endpoints


@blp.route("")
class Tasks(MethodView):
    decorators = [signed_in]

    @blp.arguments(TaskListArgs, location="query")
    @blp.response(200, TaskPageSchema)
    def get(self, args):
        """Tasks, newest first, filtered by year, department and state (page_size ≤ 200)."""
        page, size = args.pop("page"), args.pop("page_size")
        return page_body(queries.list_tasks(**args), page, size)


@blp.route("/<task_id>")
class TaskById(MethodView):
    decorators = [signed_in]

    @blp.response(200, TaskDetailSchema)
    @blp.alt_response(404, description="没有该任务")
    def get(self, task_id):
        """One task with its items, window, sample, pool rule, state, events and draw id."""
        task = queries.get_task(db.session, task_id)
        if task is None:
            abort(404)
        return task
