"""Input args and output schemas of publication (console forms, the public JSON API)."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from server.clock import SHANGHAI
from server.publication.models import JOB_STATES

MAX_PAGE_SIZE = 200


def local_iso(value):
    return value.astimezone(SHANGHAI).isoformat(timespec="seconds") if value else None


class _Args(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}


class PublishArgs(_Args):
    """The task page's "公示结果" form: a reason, required from the second version on."""

    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class JobFilterArgs(_Args):
    state = fields.String(load_default=None, validate=validate.OneOf(JOB_STATES))
    task_id = fields.UUID(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class PublicSearchArgs(_Args):
    """The public list page: a business name or USCC."""

    q = fields.String(load_default=None, validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class PublicResultListArgs(_Args):
    uscc = fields.String(
        load_default=None,
        validate=validate.Length(max=40),
        metadata={"description": "统一社会信用代码：只列出检查了该主体的任务"},
    )
    task = fields.UUID(load_default=None, metadata={"description": "抽查任务 id"})
    q = fields.String(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "主体名称（部分）或统一社会信用代码"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))


# ---------------------------------------------------------------- public output


class ResultCodeLabelSchema(Schema):
    code = fields.String(metadata={"description": "代码（codes 表）"})
    name = fields.String(metadata={"description": "中文名称（公示时）"})


class ResultFollowupLabelSchema(ResultCodeLabelSchema):
    status = fields.String(allow_none=True, metadata={"description": "open（未办结）| closed"})
    closed_on = fields.String(allow_none=True, metadata={"description": "办结日期"})


class PublishedLineSchema(Schema):
    item_code = fields.String(metadata={"description": "抽查事项编码"})
    item_name = fields.String(metadata={"description": "抽查事项"})
    results = fields.List(
        fields.Nested(ResultCodeLabelSchema), metadata={"description": "检查结果"}
    )
    methods = fields.List(
        fields.Nested(ResultCodeLabelSchema), metadata={"description": "核查方式"}
    )
    followups = fields.List(
        fields.Nested(ResultFollowupLabelSchema), metadata={"description": "后续处置"}
    )


class PublishedSubjectSchema(Schema):
    uscc = fields.String(metadata={"description": "统一社会信用代码"})
    name = fields.String(metadata={"description": "主体名称"})
    check_date = fields.String(allow_none=True, metadata={"description": "检查日期"})
    result_version = fields.Integer(metadata={"description": "该主体检查结果的版本"})
    correction_reason = fields.String(
        allow_none=True, metadata={"description": "检查结果更正原因（版本 ≥ 2）"}
    )
    items = fields.List(fields.Nested(PublishedLineSchema))


class PublishedItemSchema(Schema):
    code = fields.String()
    name = fields.String()
    checking_body = fields.String(metadata={"description": "事项的检查主体"})


class PublishedTaskSchema(Schema):
    id = fields.String()
    number = fields.String(metadata={"description": "任务编号"})
    name = fields.String(metadata={"description": "任务名称"})
    year = fields.Integer()
    targeted = fields.Boolean(metadata={"description": "是否定向抽取"})
    targeting = fields.String(metadata={"description": "定向抽取 | 不定向抽取"})


class PublishedPlanSchema(Schema):
    year = fields.Integer()
    title = fields.String(metadata={"description": "年度抽查工作计划"})


class PublishedCheckingBodySchema(Schema):
    bureau = fields.String(metadata={"description": "检查实施机关"})
    department = fields.String(metadata={"description": "责任科室"})


class PublishedVersionSchema(Schema):
    id = fields.UUID(metadata={"description": "公示版本 id（提出异议时引用）"})
    version_no = fields.Integer()
    published_at = fields.Function(
        lambda v: local_iso(v["published_at"]), metadata={"description": "公示时间（北京时间）"}
    )
    reason = fields.String(allow_none=True, metadata={"description": "重新公示的原因"})
    sha256 = fields.String(metadata={"description": "公示内容（RFC 8785 JSON）的 SHA-256"})


class PublicResultSummarySchema(Schema):
    """The newest published version of one task."""

    task_id = fields.Function(lambda p: str(p.task_id))
    publication_id = fields.Function(lambda p: str(p.id))
    version_no = fields.Integer()
    published_at = fields.Function(lambda p: local_iso(p.published_at))
    task = fields.Function(
        lambda p: PublishedTaskSchema().dump(p.snapshot["task"]), metadata={"description": "任务"}
    )
    checking_body = fields.Function(
        lambda p: PublishedCheckingBodySchema().dump(p.snapshot["checking_body"])
    )
    completed_on = fields.Function(lambda p: p.snapshot["completed_on"])
    subject_count = fields.Function(lambda p: len(p.snapshot["subjects"]))


class PublicResultPageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    pages = fields.Integer()
    items = fields.List(fields.Nested(PublicResultSummarySchema))


class PublicResultDetailSchema(Schema):
    """A task's published results (the newest version) and the history of its versions."""

    task_id = fields.String()
    publication_id = fields.String()
    version_no = fields.Integer()
    published_at = fields.String(metadata={"description": "北京时间"})
    reason = fields.String(allow_none=True)
    sha256 = fields.String()
    plan = fields.Nested(PublishedPlanSchema, allow_none=True)
    task = fields.Nested(PublishedTaskSchema)
    checking_body = fields.Nested(PublishedCheckingBodySchema)
    completed_on = fields.String(metadata={"description": "任务完成日期"})
    items = fields.List(fields.Nested(PublishedItemSchema))
    subjects = fields.List(fields.Nested(PublishedSubjectSchema))
    history = fields.List(fields.Nested(PublishedVersionSchema), metadata={"description": "新→旧"})
