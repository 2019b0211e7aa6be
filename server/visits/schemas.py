"""Input of the visit lists and merge decisions; output of the read-only visits API."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from server.visits.models import CANCELLED, MERGED, PLANNED

MAX_PAGE_SIZE = 200
VISIT_STATES = (PLANNED, MERGED, CANCELLED)


class VisitListArgs(Schema):
    """Filters of the visit list (console and API); blank values mean "no filter"."""

    class Meta:
        unknown = EXCLUDE  # other query args (lang, …) are not filters

    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    task = fields.UUID(load_default=None, metadata={"description": "只看携带该任务的检查"})
    state = fields.String(
        load_default=None,
        validate=validate.OneOf(VISIT_STATES),
        metadata={"description": "planned（待检查）| merged（已合并）| cancelled（已取消）"},
    )
    due_before = fields.Date(
        load_default=None, metadata={"description": "截止日期不晚于该日（含）"}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        # A filter form submits every select; "" is the "all" option.
        return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}


class DecisionArgs(Schema):
    """A department head's answer to a merge proposal (the rules are in merges.py)."""

    class Meta:
        unknown = EXCLUDE

    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


# ---- API output ----------------------------------------------------------------------------------


class SubjectRefSchema(Schema):
    id = fields.UUID()
    uscc = fields.String(metadata={"description": "统一社会信用代码"})
    name = fields.String()
    address = fields.String()
    legal_rep = fields.String(allow_none=True, metadata={"description": "法定代表人"})


class MemberSchema(Schema):
    name = fields.String()
    credential_no = fields.String(metadata={"description": "执法证号"})
    is_team_lead = fields.Boolean(metadata={"description": "是否为组长（由科室负责人指定）"})


class ItemLineSchema(Schema):
    code = fields.String()
    name = fields.String()
    content = fields.String(metadata={"description": "抽查内容"})
    methods = fields.List(fields.String(), metadata={"description": "检查方式代码"})


class SectionSchema(Schema):
    """One task the visit carries: a section of the notice and of the record."""

    task_id = fields.UUID()
    number = fields.String(allow_none=True, metadata={"description": "任务编号"})
    name = fields.String()
    department = fields.String(metadata={"description": "责任科室"})
    window_start = fields.Date()
    window_end = fields.Date()
    position = fields.Integer()
    checklist = fields.String(allow_none=True, metadata={"description": "检查表模板名称"})
    items = fields.List(fields.Nested(ItemLineSchema))
    team = fields.List(fields.Nested(MemberSchema))


class VisitSchema(Schema):
    id = fields.UUID()
    state = fields.String(metadata={"description": "planned | merged | cancelled"})
    year = fields.Integer()
    subject = fields.Nested(SubjectRefSchema)
    window_start = fields.Date(metadata={"description": "检查时间起（合并后为各任务的重叠期）"})
    window_end = fields.Date()
    due_date = fields.Date(metadata={"description": "截止日期（= window_end）"})
    merged_into_id = fields.UUID(allow_none=True, metadata={"description": "已合并至的检查"})
    sections = fields.List(fields.Nested(SectionSchema))


class VisitDetailSchema(VisitSchema):
    end_reason = fields.String(allow_none=True)
    merged_from = fields.List(fields.UUID(), metadata={"description": "并入本检查的原检查"})


class VisitPageSchema(Schema):
    total = fields.Integer(metadata={"description": "符合条件的总条数"})
    page = fields.Integer()
    page_size = fields.Integer()
    pages = fields.Integer()
    items = fields.List(fields.Nested(VisitSchema))
