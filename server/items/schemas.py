"""Input (`*Args`) and output (`*Schema`) of the item list. One validation for forms and seeders.

Messages are Chinese msgids (lazy_gettext): people read them in the console, programs get the
same structure (field → list of messages).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable

from flask import has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
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

from server.i18n import N_

# The fields that make up one version's content, in the order people read them.
CONTENT_FIELDS = (
    "name",
    "legal_basis",
    "checking_body",
    "object_scope",
    "content",
    "methods",
    "ratio_percent",
    "ratio_is_statutory",
    "frequency_per_year",
    "frequency_is_statutory",
    "inspector_requirements",
    "department_id",
)

LABELS = {
    "code": _l("事项编码"),
    "name": _l("事项名称"),
    "legal_basis": _l("抽查依据"),
    "checking_body": _l("检查主体"),
    "object_scope": _l("抽查对象"),
    "content": _l("抽查内容"),
    "methods": _l("抽查方式"),
    "ratio_percent": _l("抽查比例"),
    "ratio_is_statutory": _l("比例为法定要求"),
    "frequency_per_year": _l("抽查频次"),
    "frequency_is_statutory": _l("频次为法定要求"),
    "inspector_requirements": _l("执法检查人员要求"),
    "department_id": _l("责任科室"),
    "reason": _l("调整原因"),
}

# The default rule of Art. 6 when the law sets no ratio or frequency of its own.
DEFAULT_MIN_RATIO = decimal.Decimal(5)
DEFAULT_MIN_FREQUENCY = 1

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
# Paths under /items/ that a code must not shadow.
RESERVED_CODES = frozenset({"new", "export"})


TOO_LONG = {
    200: N_("不能超过 200 个字符"),
    500: N_("不能超过 500 个字符"),
    2000: N_("不能超过 2000 个字符"),
    4000: N_("不能超过 4000 个字符"),
}


def _messages(required=None, invalid=None) -> dict:
    """Chinese replacements for marshmallow's English messages of one field."""
    out = {"null": required or N_("不能为空"), "validator_failed": invalid or N_("取值无效")}
    if required is not None:
        out["required"] = required
    if invalid is not None:
        out.update(invalid=invalid, invalid_uuid=invalid, not_integer=invalid, special=invalid)
        out["too_large"] = invalid
    return out


def _text(label_required, *, max_length: int, required: bool = True) -> fields.String:
    too_long = TOO_LONG[max_length]
    if required:
        return fields.String(
            required=True,
            validate=validate.Length(max=max_length, error=too_long),
            error_messages=_messages(required=label_required, invalid=N_("应为文本")),
        )
    return fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=max_length, error=too_long),
        error_messages=_messages(invalid=N_("应为文本")),
    )


class _Flag(fields.Boolean):
    """A checkbox: present ("1", "on", "y") is true, absent is false."""

    def __init__(self, **kwargs):
        super().__init__(
            load_default=False, error_messages=_messages(invalid=N_("应为“是”或“否”")), **kwargs
        )


def clean_input(data) -> dict:
    """Strip text and drop empty values, so "" reads as "not given" (a form's empty input)."""
    out = {}
    for key, value in dict(data).items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        elif isinstance(value, list | tuple):
            value = [v.strip() if isinstance(v, str) else v for v in value]
            value = [v for v in value if v != ""]
        out[key] = value
    return out


def form_input(form, lists: Iterable[str] = ("methods",)) -> dict:
    """A submitted form (MultiDict) as a dict with `lists` fields as lists."""
    data = {key: form.get(key) for key in form if key != "csrf_token"}
    for key in lists:
        data[key] = form.getlist(key)
    return data


class ItemArgs(Schema):
    """The content of one version of an item, as entered in the console or given by a seeder.

    `method_codes` are the valid method codes (kind "method" of the codes table); when not
    given they are read from the current database session at validation time.
    """

    class Meta:
        unknown = EXCLUDE

    name = _text(N_("请填写事项名称"), max_length=200)
    legal_basis = _text(N_("请填写抽查依据"), max_length=4000)
    checking_body = _text(N_("请填写检查主体"), max_length=200)
    object_scope = _text(N_("请填写抽查对象"), max_length=4000)
    content = _text(N_("请填写抽查内容"), max_length=4000)
    methods = fields.List(
        fields.String(error_messages=_messages(invalid=N_("抽查方式应为代码"))),
        required=True,
        validate=validate.Length(min=1, error=N_("请至少选择一种抽查方式")),
        error_messages=_messages(
            required=N_("请至少选择一种抽查方式"), invalid=N_("抽查方式应为列表")
        ),
    )
    ratio_percent = fields.Decimal(
        load_default=None,
        allow_none=True,
        error_messages=_messages(invalid=N_("抽查比例应为数字，例如 5 或 12.5")),
    )
    ratio_is_statutory = _Flag()
    frequency_per_year = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=False,
        error_messages=_messages(invalid=N_("抽查频次应为整数")),
    )
    frequency_is_statutory = _Flag()
    inspector_requirements = _text(None, max_length=2000, required=False)
    department_id = fields.UUID(
        load_default=None,
        allow_none=True,
        error_messages=_messages(invalid=N_("请选择责任科室")),
    )

    def __init__(self, *, method_codes: Iterable[str] | None = None, **kwargs):
        super().__init__(**kwargs)
        self._method_codes = None if method_codes is None else list(method_codes)

    def method_codes(self) -> list[str]:
        if self._method_codes is None:
            from server.extensions import db
            from server.items.queries import method_codes

            self._method_codes = list(method_codes(db.session, active_only=True))
        return self._method_codes

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)

    @validates("methods")
    def _known_methods(self, value: list[str], **kwargs) -> None:
        known = self.method_codes()
        unknown = [code for code in value if code not in known]
        if unknown:
            raise ValidationError(N_("未知的抽查方式") + "：" + "、".join(unknown))

    @validates("ratio_percent")
    def _ratio(self, value: decimal.Decimal | None, **kwargs) -> None:
        if value is None:
            return
        if not value.is_finite() or value <= 0 or value > 100:
            raise ValidationError(N_("抽查比例应大于 0 且不超过 100"))
        if value.as_tuple().exponent < -2:
            raise ValidationError(N_("抽查比例最多保留两位小数"))

    @validates("frequency_per_year")
    def _frequency(self, value: int | None, **kwargs) -> None:
        if value is not None and value < 1:
            raise ValidationError(N_("抽查频次每年至少 1 次"))

    @validates_schema(skip_on_field_errors=True)
    def _statutory(self, data: dict, **kwargs) -> None:
        """A statutory flag needs its value; without it the value may only be stricter (Art. 6)."""
        errors = {}
        ratio = data.get("ratio_percent")
        if data.get("ratio_is_statutory") and ratio is None:
            errors["ratio_percent"] = [N_("已勾选法定比例，请填写法律法规规定的抽查比例")]
        elif ratio is not None and not data.get("ratio_is_statutory") and ratio < DEFAULT_MIN_RATIO:
            errors["ratio_percent"] = [
                N_("非法定比例不得低于 5%；法律法规另有规定的，请勾选“比例为法定要求”")
            ]
        if data.get("frequency_is_statutory") and data.get("frequency_per_year") is None:
            errors["frequency_per_year"] = [N_("已勾选法定频次，请填写法律法规规定的抽查频次")]
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normalise(self, data: dict, **kwargs) -> dict:
        # Methods in the codes' own order, without duplicates, so versions compare equal.
        order = {code: n for n, code in enumerate(self.method_codes())}
        data["methods"] = sorted(set(data["methods"]), key=lambda c: order.get(c, len(order)))
        if data.get("ratio_percent") is not None:
            data["ratio_percent"] = data["ratio_percent"].quantize(decimal.Decimal("0.01"))
        return data


class ItemCreateArgs(ItemArgs):
    """A new item: its content plus an optional code (generated when empty)."""

    code = fields.String(
        load_default=None,
        validate=validate.Regexp(
            CODE_PATTERN, error=N_("事项编码只能包含字母、数字、“-”和“_”，不超过 40 个字符")
        ),
        error_messages=_messages(invalid=N_("应为文本")),
    )

    department_id = fields.UUID(
        required=True,
        error_messages=_messages(required=N_("请选择责任科室"), invalid=N_("请选择责任科室")),
    )

    @validates("code")
    def _not_reserved(self, value: str | None, **kwargs) -> None:
        if value and value.lower() in RESERVED_CODES:
            raise ValidationError(N_("该编码是保留字，不能用作事项编码"))


class ReasonArgs(Schema):
    """The reason of a revision, retirement or restoration (kept in the history)."""

    class Meta:
        unknown = EXCLUDE

    reason = fields.String(
        required=True,
        validate=validate.Length(max=500, error=N_("调整原因不能超过 500 个字符")),
        error_messages=_messages(required=N_("请填写调整原因"), invalid=N_("应为文本")),
    )

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class ItemReviseArgs(ItemArgs, ReasonArgs):
    """A revision: the full new content plus the reason for the change."""


class ItemFilterArgs(Schema):
    """The console list's filters (query string)."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default=None, validate=validate.Length(max=100))
    department = fields.UUID(load_default=None)
    method = fields.String(load_default=None, validate=validate.Length(max=40))
    retired = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


def flat_errors(messages) -> dict[str, list[str]]:
    """marshmallow's nested messages as field → flat list of strings, translated for the page."""
    translate = gettext if has_request_context() else str

    def flatten(value) -> list[str]:
        if isinstance(value, dict):
            return [m for v in value.values() for m in flatten(v)]
        if isinstance(value, list | tuple):
            return [m for v in value for m in flatten(v)]
        return [translate(str(value))]

    if not isinstance(messages, dict):
        return {"_schema": flatten(messages)}
    return {field: flatten(value) for field, value in messages.items()}


# ---- output ---------------------------------------------------------------------------------


class ItemMethodSchema(Schema):
    code = fields.String(metadata={"description": "核查方式代码（codes 表 kind=method）"})
    name_zh = fields.String(metadata={"description": "中文名称"})
    name_en = fields.String(metadata={"description": "English name"})


class ItemDepartmentSchema(Schema):
    id = fields.UUID()
    code = fields.String()
    name = fields.String(metadata={"description": "科室名称"})


class ItemSchema(Schema):
    """The current content of one item (built by `queries.item_record`)."""

    id = fields.UUID()
    code = fields.String(metadata={"description": "事项编码"})
    name = fields.String(metadata={"description": "事项名称"})
    legal_basis = fields.String(metadata={"description": "抽查依据"})
    checking_body = fields.String(metadata={"description": "检查主体"})
    object_scope = fields.String(metadata={"description": "抽查对象"})
    content = fields.String(metadata={"description": "抽查内容"})
    methods = fields.List(fields.Nested(ItemMethodSchema), metadata={"description": "抽查方式"})
    ratio_percent = fields.Decimal(
        as_string=True,
        allow_none=True,
        metadata={"description": "抽查比例（%）；null 表示默认规则：不低于 5%"},
    )
    ratio_is_statutory = fields.Boolean(metadata={"description": "比例为法律法规规定"})
    frequency_per_year = fields.Integer(
        allow_none=True,
        metadata={"description": "每年抽查次数；null 表示默认规则：每年不少于 1 次"},
    )
    frequency_is_statutory = fields.Boolean(metadata={"description": "频次为法律法规规定"})
    inspector_requirements = fields.String(
        allow_none=True, metadata={"description": "执法检查人员要求"}
    )
    department = fields.Nested(ItemDepartmentSchema, metadata={"description": "责任科室"})
    version_no = fields.Integer(metadata={"description": "现行版本号"})
    effective_at = fields.DateTime(metadata={"description": "现行版本生效时间（UTC）"})
    change_reason = fields.String(metadata={"description": "现行版本的调整原因"})
    is_retired = fields.Boolean(metadata={"description": "已停用（不在现行清单中）"})
    retired_at = fields.DateTime(allow_none=True)


ITEM_SCHEMA = ItemSchema()
ITEMS_SCHEMA = ItemSchema(many=True)
