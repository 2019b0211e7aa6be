"""Input (console forms) and output (public JSON) schemas of annual plans."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from server.i18n import N_
from server.items.schemas import clean_input

# Lists a line form posts as repeated fields.
LINE_LISTS = ("methods", "kinds", "scales", "regions", "tags", "risk_flags")
FILTER_KEYS = ("kinds", "scales", "regions", "tags", "risk_flags")
MIN_JUSTIFICATION = 10


def _msgs(required=None, invalid=None) -> dict:
    out = {"null": required or N_("不能为空"), "validator_failed": invalid or N_("取值无效")}
    if required:
        out["required"] = required
    if invalid:
        out.update(invalid=invalid, invalid_uuid=invalid, not_integer=invalid, special=invalid)
        out["too_large"] = invalid
    return out


class _Args(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class PlanCreateArgs(_Args):
    department_id = fields.UUID(
        required=True, error_messages=_msgs(N_("请选择科室"), N_("请选择有效的科室"))
    )
    year = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=2000, max=2100, error=N_("年度应在 2000–2100 之间")),
        error_messages=_msgs(N_("请填写年度"), N_("年度应为整数")),
    )


class LineArgs(_Args):
    """One plan line as edited in the console."""

    objects = fields.String(
        required=True,
        validate=validate.Length(max=2000, error=N_("不能超过 2000 个字符")),
        error_messages=_msgs(N_("请填写抽查对象")),
    )
    content = fields.String(
        required=True,
        validate=validate.Length(max=4000, error=N_("不能超过 4000 个字符")),
        error_messages=_msgs(N_("请填写抽查内容")),
    )
    methods = fields.List(
        fields.String(),
        required=True,
        validate=validate.Length(min=1, error=N_("请至少选择一种抽查方式")),
        error_messages=_msgs(N_("请至少选择一种抽查方式")),
    )
    ratio_percent = fields.Decimal(
        required=True,
        places=2,
        validate=validate.Range(min=0, max=100, error=N_("抽查比例应在 0–100 之间")),
        error_messages=_msgs(N_("请填写抽查比例"), N_("抽查比例应为数字")),
    )
    frequency_per_year = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=0, max=52, error=N_("抽查频次应在 0–52 之间")),
        error_messages=_msgs(N_("请填写抽查频次"), N_("抽查频次应为整数")),
    )
    window_start = fields.Date(
        required=True, error_messages=_msgs(N_("请填写开始日期"), N_("日期格式应为 YYYY-MM-DD"))
    )
    window_end = fields.Date(
        required=True, error_messages=_msgs(N_("请填写结束日期"), N_("日期格式应为 YYYY-MM-DD"))
    )
    notes = fields.String(
        load_default=None,
        validate=validate.Length(max=2000, error=N_("不能超过 2000 个字符")),
    )
    kinds = fields.List(fields.String(), load_default=list)
    scales = fields.List(fields.String(), load_default=list)
    regions = fields.List(fields.String(), load_default=list)
    tags = fields.List(fields.String(validate=validate.Length(max=40)), load_default=list)
    risk_flags = fields.List(fields.String(), load_default=list)
    department_scope = fields.Boolean(load_default=False)

    @pre_load
    def _split_tags(self, data, **kwargs) -> dict:
        # Tags are typed as one text ("加油站，预付卡"); split on commas of either width.
        tags = data.get("tags")
        if isinstance(tags, str):
            data["tags"] = [t.strip() for t in tags.replace("，", ",").split(",") if t.strip()]
        return data

    @validates_schema
    def _window(self, data, **kwargs) -> None:
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and start > end:
            raise ValidationError(N_("开始日期不能晚于结束日期"), "window_end")


class FileArgs(_Args):
    filed_to = fields.String(
        required=True,
        validate=validate.Length(max=120, error=N_("不能超过 120 个字符")),
        error_messages=_msgs(N_("请填写备案机关")),
    )


class ReasonArgs(_Args):
    reason = fields.String(
        required=True,
        validate=validate.Length(max=500, error=N_("调整原因不能超过 500 个字符")),
        error_messages=_msgs(N_("请填写调整原因")),
    )


class OverrideArgs(_Args):
    rule_code = fields.String(required=True, error_messages=_msgs(N_("请选择规则")))
    item_id = fields.UUID(load_default=None, error_messages=_msgs(invalid=N_("事项无效")))
    justification = fields.String(
        required=True,
        validate=validate.Length(
            min=MIN_JUSTIFICATION, max=2000, error=N_("请填写理由（10–2000 个字符）")
        ),
        error_messages=_msgs(N_("请填写突破规则的书面理由")),
    )


class PlanFilterArgs(_Args):
    year = fields.Integer(load_default=None, strict=False)
    department = fields.UUID(load_default=None)


# ---- output (public JSON) ------------------------------------------------------------------


class PublicFiltersSchema(Schema):
    kinds = fields.List(fields.String(), metadata={"description": "主体类型代码"})
    scales = fields.List(fields.String(), metadata={"description": "经营规模代码"})
    regions = fields.List(fields.String(), metadata={"description": "区域代码"})
    tags = fields.List(fields.String(), metadata={"description": "业务标签"})
    risk_flags = fields.List(fields.String(), metadata={"description": "风险标记代码"})
    department_scope = fields.Boolean(metadata={"description": "仅限本科室监管对象"})


class PublicPlanLineSchema(Schema):
    item_code = fields.String(metadata={"description": "事项编码"})
    item_name = fields.String(metadata={"description": "事项名称"})
    item_version_no = fields.Integer(metadata={"description": "计划所依据的事项版本"})
    objects = fields.String(metadata={"description": "抽查对象"})
    filters = fields.Nested(PublicFiltersSchema, metadata={"description": "抽查对象筛选条件"})
    content = fields.String(metadata={"description": "抽查内容"})
    methods = fields.List(fields.String(), metadata={"description": "抽查方式代码"})
    ratio_percent = fields.String(metadata={"description": "抽查比例（%）"})
    frequency_per_year = fields.Integer(metadata={"description": "每年抽查次数"})
    window_start = fields.String(metadata={"description": "抽查开始日期"})
    window_end = fields.String(metadata={"description": "抽查结束日期"})
    notes = fields.String(metadata={"description": "备注"})


class PublicOverrideSchema(Schema):
    rule_code = fields.String(metadata={"description": "规则代码"})
    rule_name = fields.String(metadata={"description": "规则名称"})
    item_code = fields.String(allow_none=True, metadata={"description": "事项编码"})
    justification = fields.String(metadata={"description": "突破规则的书面理由"})
    at = fields.String(metadata={"description": "记录时间（UTC）"})


class PublicPlanChangeSchema(Schema):
    version_no = fields.Integer(metadata={"description": "版本号（1 为首次公开）"})
    at = fields.DateTime(metadata={"description": "公开时间（UTC）"})
    reason = fields.String(metadata={"description": "调整原因"})


class PublicPlanSchema(Schema):
    """A published plan: its newest version and its change history."""

    id = fields.UUID()
    year = fields.Integer(metadata={"description": "年度"})
    department = fields.String(metadata={"description": "科室"})
    filed_to = fields.String(allow_none=True, metadata={"description": "备案机关"})
    version_no = fields.Integer(metadata={"description": "现行版本号"})
    published_at = fields.DateTime(metadata={"description": "现行版本公开时间（UTC）"})
    lines = fields.List(fields.Nested(PublicPlanLineSchema))
    overrides = fields.List(
        fields.Nested(PublicOverrideSchema), metadata={"description": "经说明理由的规则突破"}
    )
    history = fields.List(fields.Nested(PublicPlanChangeSchema))
