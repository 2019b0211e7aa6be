"""Input (`*Args`) of tasks, checklists and commissions. Messages are Chinese msgids."""

from __future__ import annotations

import decimal

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates,
    validates_schema,
)

from server.directory.vocab import QUALIFICATIONS, RISK_FLAGS, SUBJECT_KINDS, SUBJECT_SCALES
from server.i18n import N_
from server.items.schemas import _messages, _text, clean_input
from server.tasks.vocab import (
    ANSWER_TYPES,
    COMMISSION_SCOPES,
    ORIGINS,
    POOL_MODES,
    SAMPLE_KINDS,
    TARGETINGS,
)

# Form fields that arrive as repeated values (checkboxes).
LIST_FIELDS = (
    "item_ids",
    "methods",
    "target_kinds",
    "target_scales",
    "target_regions",
    "target_risk_flags",
    "pool_qualifications",
)
TARGET_KEYS = {
    "target_kinds": "kinds",
    "target_scales": "scales",
    "target_regions": "regions",
    "target_risk_flags": "risk_flags",
    "target_tags": "tags",
}
POOL_KEYS = {"pool_qualifications": "qualifications", "pool_expertise": "expertise"}


def form_input(form) -> dict:
    """A submitted task form (MultiDict) as a dict, list fields as lists."""
    data = {key: form.get(key) for key in form if key != "csrf_token"}
    for key in LIST_FIELDS:
        data[key] = form.getlist(key)
    return data


def _choice(options: dict, required_msg: str, *, default=None) -> fields.String:
    kwargs = {"load_default": default} if default is not None else {"required": True}
    return fields.String(
        validate=validate.OneOf(list(options), error=N_("请从列表中选择")),
        error_messages=_messages(required=required_msg, invalid=N_("请从列表中选择")),
        **kwargs,
    )


def _codes(options: dict | None = None) -> fields.List:
    inner = (
        fields.String(validate=validate.OneOf(list(options), error=N_("未知的选项")))
        if options
        else fields.String(validate=validate.Length(max=40, error=N_("不能超过 40 个字符")))
    )
    return fields.List(inner, load_default=list, error_messages=_messages(invalid=N_("应为列表")))


def _tags(value) -> list[str]:
    """Free tags typed as "加油站，预付卡" (Chinese or Latin commas, spaces)."""
    if not value:
        return []
    text = str(value)
    for sep in ("，", "、", ";", "；", "\n"):
        text = text.replace(sep, ",")
    return sorted({t.strip() for t in text.split(",") if t.strip()})


class TaskArgs(Schema):
    """A task's content as set up by its owner (the state and number are not input)."""

    class Meta:
        unknown = EXCLUDE

    name = _text(N_("请填写任务名称"), max_length=200)
    department_id = fields.UUID(
        required=True,
        error_messages=_messages(required=N_("请选择责任科室"), invalid=N_("请选择责任科室")),
    )
    year = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=2000, max=2100, error=N_("年度无效")),
        error_messages=_messages(required=N_("请填写年度"), invalid=N_("年度应为四位数字")),
    )
    origin = _choice(ORIGINS, N_("请选择任务来源"))
    ad_hoc_reason = _text(None, max_length=2000, required=False)
    item_ids = fields.List(
        fields.UUID(error_messages=_messages(invalid=N_("抽查事项无效"))),
        required=True,
        validate=validate.Length(min=1, error=N_("请至少选择一个抽查事项")),
        error_messages=_messages(required=N_("请至少选择一个抽查事项")),
    )
    targeting = _choice(TARGETINGS, N_("请选择抽取方式"))
    target_kinds = _codes(SUBJECT_KINDS)
    target_scales = _codes(SUBJECT_SCALES)
    target_regions = _codes()
    target_risk_flags = _codes(RISK_FLAGS)
    target_tags = fields.String(load_default=None, validate=validate.Length(max=500))
    team_size = fields.Integer(
        required=True,
        strict=False,
        error_messages=_messages(
            required=N_("请填写每户检查人数"), invalid=N_("每户检查人数应为整数")
        ),
    )
    pool_mode = _choice(POOL_MODES, N_("请选择人员匹配方式"))
    pool_qualifications = _codes(QUALIFICATIONS)
    pool_expertise = fields.String(load_default=None, validate=validate.Length(max=500))
    window_start = fields.Date(
        required=True,
        error_messages=_messages(
            required=N_("请填写开始日期"), invalid=N_("日期格式应为 年-月-日")
        ),
    )
    window_end = fields.Date(
        required=True,
        error_messages=_messages(
            required=N_("请填写结束日期"), invalid=N_("日期格式应为 年-月-日")
        ),
    )
    sample_kind = _choice(SAMPLE_KINDS, N_("请选择抽取数量方式"))
    sample_count = fields.Integer(
        load_default=None, strict=False, error_messages=_messages(invalid=N_("户数应为整数"))
    )
    sample_percent = fields.Decimal(
        load_default=None,
        error_messages=_messages(invalid=N_("抽取比例应为数字，例如 5 或 12.5")),
    )
    methods = fields.List(
        fields.String(),
        required=True,
        validate=validate.Length(min=1, error=N_("请至少选择一种检查方式")),
        error_messages=_messages(required=N_("请至少选择一种检查方式")),
    )
    checklist_template_id = fields.UUID(
        load_default=None, error_messages=_messages(invalid=N_("检查表无效"))
    )
    workflow_notes = _text(None, max_length=4000, required=False)
    materials = _text(None, max_length=4000, required=False)

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)

    @validates("team_size")
    def _team(self, value: int, **kwargs) -> None:
        if value < 2:
            raise ValidationError(N_("每个检查对象至少抽取 2 名检查人员"))
        if value > 20:
            raise ValidationError(N_("每户检查人数不能超过 20"))

    @validates_schema(skip_on_field_errors=False)
    def _rules(self, data: dict, **kwargs) -> None:
        errors: dict[str, list[str]] = {}
        start, end, year = data.get("window_start"), data.get("window_end"), data.get("year")
        if start and end and end < start:
            errors["window_end"] = [N_("结束日期不能早于开始日期")]
        elif start and end and year and (start.year != year or end.year != year):
            errors["window_end"] = [N_("检查时间应在任务年度之内")]
        if data.get("origin") == "ad_hoc" and not data.get("ad_hoc_reason"):
            errors["ad_hoc_reason"] = [N_("计划外任务请填写设立理由")]
        if (
            data.get("targeting") == "targeted"
            and not any(data.get(k) for k in TARGET_KEYS if k != "target_tags")
            and not _tags(data.get("target_tags"))
        ):
            errors["targeting"] = [N_("定向抽取请至少设置一个条件")]
        if data.get("pool_mode") == "manual" and not (
            data.get("pool_qualifications") or _tags(data.get("pool_expertise"))
        ):
            errors["pool_mode"] = [N_("手动匹配请至少设置执法资质或业务专长条件")]
        if data.get("sample_kind") == "count":
            count = data.get("sample_count")
            if count is None:
                errors["sample_count"] = [N_("请填写抽取户数")]
            elif count < 1:
                errors["sample_count"] = [N_("抽取户数至少为 1")]
        elif data.get("sample_kind") == "ratio":
            percent = data.get("sample_percent")
            if percent is None:
                errors["sample_percent"] = [N_("请填写抽取比例")]
            elif not percent.is_finite() or percent <= 0 or percent > 100:
                errors["sample_percent"] = [N_("抽取比例应大于 0 且不超过 100")]
            elif percent.as_tuple().exponent < -2:
                errors["sample_percent"] = [N_("抽取比例最多保留两位小数")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _shape(self, data: dict, **kwargs) -> dict:
        """Filters as the JSON the draw reads; the ratio as an exact decimal fraction."""
        targeted = data["targeting"] == "targeted"
        filters = {}
        for field, key in TARGET_KEYS.items():
            value = data.pop(field, None)
            value = _tags(value) if field == "target_tags" else sorted(set(value or []))
            if targeted and value:
                filters[key] = value
        data["target_filters"] = filters
        manual = data["pool_mode"] == "manual"
        pool = {}
        for field, key in POOL_KEYS.items():
            value = data.pop(field, None)
            value = _tags(value) if field == "pool_expertise" else sorted(set(value or []))
            if manual and value:
                pool[key] = value
        data["pool_filters"] = pool
        percent = data.pop("sample_percent", None)
        if data["sample_kind"] == "ratio":
            data["sample_ratio"] = ratio_from_percent(percent)
            data["sample_count"] = None
        else:
            data["sample_ratio"] = None
        if data["origin"] != "ad_hoc":
            data["ad_hoc_reason"] = None
        data["item_ids"] = list(dict.fromkeys(data["item_ids"]))
        return data


def ratio_from_percent(percent: decimal.Decimal) -> str:
    """5 → "0.05", 12.5 → "0.125": exact, as DSR-v1 states ratios."""
    fraction = (percent / decimal.Decimal(100)).normalize()
    return format(fraction, "f")


def percent_from_ratio(ratio: str | None) -> str:
    """The fraction as a percentage for forms and pages: "0.05" → "5"."""
    if not ratio:
        return ""
    return format((decimal.Decimal(ratio) * 100).normalize(), "f")


class CommentArgs(Schema):
    """The comments of a review decision."""

    class Meta:
        unknown = EXCLUDE

    comment = _text(None, max_length=2000, required=False)

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class TaskFilterArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    department = fields.UUID(load_default=None)
    state = fields.String(load_default=None, validate=validate.Length(max=20))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class CommissionArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    agency = _text(N_("请填写受托机构名称"), max_length=200)
    scope = _choice(COMMISSION_SCOPES, N_("请选择委托内容"))
    contract_ref = fields.String(load_default=None, validate=validate.Length(max=100))
    report_due = fields.Date(
        load_default=None, error_messages=_messages(invalid=N_("日期格式应为 年-月-日"))
    )
    note = _text(None, max_length=2000, required=False)

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class ChecklistArgs(Schema):
    """A checklist template's own fields."""

    class Meta:
        unknown = EXCLUDE

    name = _text(N_("请填写检查表名称"), max_length=200)
    department_id = fields.UUID(
        required=True,
        error_messages=_messages(required=N_("请选择责任科室"), invalid=N_("请选择责任科室")),
    )
    description = _text(None, max_length=2000, required=False)

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class QuestionArgs(Schema):
    """One question of a checklist."""

    class Meta:
        unknown = EXCLUDE

    text = _text(N_("请填写检查内容"), max_length=500)
    help = _text(None, max_length=2000, required=False)
    answer_type = _choice(ANSWER_TYPES, N_("请选择回答方式"))
    required = fields.Boolean(load_default=False)
    item_code = fields.String(load_default=None, validate=validate.Length(max=40))

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)
