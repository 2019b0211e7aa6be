"""JSON API of objections.

- GET /api/v1/objections                         console users (session): the objections of
  their department (admins and leaders: all), paginated, filter by state; contact masked.
- GET /api/v1/public/objections/<reference>?uscc= the applicant's status lookup: state, due
  date, reply — nothing else (404 unless reference and USCC match).
"""

from __future__ import annotations

import flask_smorest
from flask.views import MethodView
from flask_login import current_user
from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from server.clock import SHANGHAI, local_today
from server.directory.identifiers import IdentifierError, validate_uscc
from server.extensions import db
from server.objections import present, queries
from server.objections.models import STATES
from server.pagination import page_body
from server.tasks.api import signed_in

blp = flask_smorest.Blueprint(
    "objections_api",
    __name__,
    url_prefix="/api/v1/objections",
    description="异议（只读；需登录控制台，按科室范围；联系方式已遮蔽）",
)
public_blp = flask_smorest.Blueprint(
    "public_objections_api",
    __name__,
    url_prefix="/api/v1/public/objections",
    description="异议办理进度查询（公开；需受理编号和统一社会信用代码）",
)

MAX_PAGE_SIZE = 200


def _local(value):
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


class ObjectionListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    state = fields.String(
        load_default=None,
        validate=validate.OneOf(STATES),
        metadata={"description": "状态：" + " | ".join(STATES)},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}


class ObjectionTaskRefSchema(Schema):
    id = fields.UUID()
    number = fields.String(allow_none=True)
    name = fields.String()


class ObjectionSummarySchema(Schema):
    id = fields.UUID()
    reference = fields.String(metadata={"description": "受理编号，如 YY2026-000123"})
    task = fields.Nested(ObjectionTaskRefSchema)
    department_id = fields.UUID()
    publication_id = fields.UUID(allow_none=True, metadata={"description": "所异议的公示版本"})
    publication_version = fields.Integer(allow_none=True)
    uscc = fields.String()
    subject_name = fields.String()
    channel = fields.String(metadata={"description": "online（网上）| paper（书面）"})
    applicant_name = fields.Function(lambda o: present.mask_applicant(o.applicant_name))
    contact = fields.Function(
        lambda o: present.mask_contact(o.contact), metadata={"description": "已遮蔽"}
    )
    received_on = fields.Date()
    due_on = fields.Date(metadata={"description": "复核期限（收到之日起 20 个工作日）"})
    due_provisional = fields.Boolean(metadata={"description": "期限按仅扣除周末推算（暂定）"})
    overdue = fields.Function(lambda o: o.is_overdue(local_today()))
    state = fields.String(metadata={"description": " | ".join(STATES)})
    state_label = fields.Function(lambda o: str(present.STATES[o.state]))
    decision = fields.String(allow_none=True)
    decision_text = fields.String(allow_none=True)
    reply_text = fields.String(allow_none=True)
    replied_at = fields.Function(lambda o: _local(o.replied_at))
    attachments = fields.Function(lambda o: len(o.attachments))
    created_at = fields.Function(
        lambda o: _local(o.created_at), metadata={"description": "北京时间"}
    )


class ObjectionPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    pages = fields.Integer()
    items = fields.List(fields.Nested(ObjectionSummarySchema))


class StatusQueryArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    uscc = fields.String(required=True, metadata={"description": "统一社会信用代码"})


class PublicStatusSchema(Schema):
    reference = fields.String()
    state = fields.String(metadata={"description": " | ".join(STATES)})
    state_label = fields.Function(lambda o: str(present.STATES[o.state]))
    received_on = fields.Date()
    due_on = fields.Date()
    due_provisional = fields.Boolean()
    reply_text = fields.Function(
        lambda o: o.reply_text if o.replied_at else None,
        metadata={"description": "答复内容（答复后才有）"},
    )
    replied_at = fields.Function(lambda o: _local(o.replied_at))


@blp.route("")
class Objections(MethodView):
    decorators = [signed_in]

    @blp.arguments(ObjectionListArgs, location="query")
    @blp.response(200, ObjectionPageSchema)
    def get(self, args):
        """Objections the user may read: overdue first, then by due date."""
        page, size = args.pop("page"), args.pop("page_size")
        statement = queries.list_objections(current_user, today=local_today(), **args)
        return page_body(statement, page, size)


@public_blp.route("/<reference>")
class ObjectionStatus(MethodView):
    @public_blp.arguments(StatusQueryArgs, location="query")
    @public_blp.response(200, PublicStatusSchema)
    @public_blp.alt_response(404, description="受理编号与统一社会信用代码不匹配")
    def get(self, args, reference):
        """The state of one objection, for its applicant (reference number + USCC)."""
        try:
            uscc = validate_uscc(args["uscc"])
        except IdentifierError:
            flask_smorest.abort(404, message="未找到该异议申请")
        objection = queries.by_reference(db.session, reference, uscc)
        if objection is None:
            flask_smorest.abort(404, message="未找到该异议申请")
        return objection
