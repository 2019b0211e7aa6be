"""Read-only JSON API of result sheets for signed-in console users (session auth).

Scoped like the console: admins and leaders read every department's results, a department head
or back-office user those of their department's tasks; anyone else gets an empty list and 404
for a sheet. Only current versions are listed; a sheet's detail carries its version history.
"""

from __future__ import annotations

from flask import abort
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from server.clock import SHANGHAI
from server.extensions import db
from server.pagination import page_body
from server.results import access, present, queries
from server.results.models import SHEET_STATES
from server.tasks.api import signed_in

blp = Blueprint(
    "results_api",
    __name__,
    url_prefix="/api/v1/results",
    description="检查结果（只读；需登录控制台，按科室范围）",
)

MAX_PAGE_SIZE = 200


def _local(value):
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


class ResultListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    task_id = fields.UUID(load_default=None, metadata={"description": "抽查任务 id"})
    state = fields.String(
        load_default=None,
        validate=validate.OneOf(SHEET_STATES),
        metadata={"description": "状态：" + " | ".join(SHEET_STATES)},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}


class FollowupSchema(Schema):
    code = fields.String(metadata={"description": "后续处置代码（codes 表 kind=followup）"})
    status = fields.String(metadata={"description": "open（未办结）| closed（已办结）"})
    closed_on = fields.String(allow_none=True, metadata={"description": "办结日期"})


class LineSchema(Schema):
    item_id = fields.UUID()
    item_code = fields.Function(lambda line: present.item_code(line))
    result_codes = fields.List(fields.String(), metadata={"description": "检查结果代码"})
    method_codes = fields.List(fields.String(), metadata={"description": "核查方式代码"})
    followups = fields.List(fields.Nested(FollowupSchema))
    note = fields.String(allow_none=True)


class TaskRefSchema(Schema):
    id = fields.UUID()
    number = fields.String(allow_none=True)
    name = fields.String()
    department_id = fields.UUID()


class ResultSummarySchema(Schema):
    id = fields.UUID()
    visit_id = fields.UUID()
    task = fields.Nested(TaskRefSchema)
    version = fields.Integer()
    state = fields.String(metadata={"description": "draft | submitted | returned | approved"})
    state_label = fields.Function(lambda s: str(present.STATES[s.state]))
    updated_at = fields.Function(
        lambda s: _local(s.updated_at), metadata={"description": "北京时间"}
    )


class VersionSchema(Schema):
    id = fields.UUID()
    version = fields.Integer()
    state = fields.String()
    correction_reason = fields.String(allow_none=True)
    created_at = fields.Function(lambda s: _local(s.created_at))


class ResultDetailSchema(ResultSummarySchema):
    is_current = fields.Boolean()
    record_id = fields.UUID(allow_none=True, metadata={"description": "所依据的已审核检查记录"})
    no_record_reason = fields.String(allow_none=True, metadata={"description": "无检查记录的说明"})
    remarks = fields.String(allow_none=True)
    supersedes_id = fields.UUID(allow_none=True)
    correction_reason = fields.String(allow_none=True)
    review_comment = fields.String(allow_none=True)
    submitted_at = fields.Function(lambda s: _local(s.submitted_at))
    reviewed_at = fields.Function(lambda s: _local(s.reviewed_at))
    lines = fields.List(fields.Nested(LineSchema))
    versions = fields.Function(
        lambda s: VersionSchema(many=True).dump(
            queries.versions(db.session, s.visit_id, s.task_id)
        ),
        metadata={"description": "全部版本（新→旧）"},
    )


class ResultPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    pages = fields.Integer()
    items = fields.List(fields.Nested(ResultSummarySchema))


@blp.route("")
class Results(MethodView):
    decorators = [signed_in]

    @blp.arguments(ResultListArgs, location="query")
    @blp.response(200, ResultPageSchema)
    def get(self, args):
        """Current result sheets the user may read, filtered by task and state."""
        page, size = args.pop("page"), args.pop("page_size")
        return page_body(queries.list_sheets(current_user, **args), page, size)


@blp.route("/<sheet_id>")
class ResultById(MethodView):
    decorators = [signed_in]

    @blp.response(200, ResultDetailSchema)
    @blp.alt_response(404, description="没有该检查结果，或不在您的科室范围内")
    def get(self, sheet_id):
        """One result sheet (any version) with its lines and the section's version history."""
        sheet = queries.get_sheet(db.session, sheet_id)
        if sheet is None or not access.may_read(current_user, sheet.task):
            abort(404)
        return sheet
