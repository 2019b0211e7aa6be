"""Input of the audit console: the list's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

BAD_DATE = _l("日期格式应为 YYYY-MM-DD，例如 2026-09-25")


def _text(max_length: int) -> fields.String:
    return fields.String(
        load_default=None,
        validate=validate.Length(max=max_length, error=_l("不能超过 {max} 个字符")),
    )


class AuditFilterArgs(Schema):
    """Filters of /audit (all optional); dates are local (Asia/Shanghai) calendar days."""

    class Meta:
        unknown = EXCLUDE

    action = _text(80)  # a prefix: "calendar." finds every calendar action
    object_type = _text(60)
    object_id = _text(80)
    actor = _text(120)  # part of the label: "admin" finds "user:admin"
    date_from = fields.Date(load_default=None, error_messages={"invalid": BAD_DATE})
    date_to = fields.Date(load_default=None, error_messages={"invalid": BAD_DATE})
    page = fields.Integer(
        load_default=1,
        validate=validate.Range(min=1, error=_l("页码应为正整数")),
        error_messages={"invalid": _l("页码应为正整数")},
    )

    @validates_schema
    def _range_in_order(self, data, **kwargs):
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_l("结束日期不能早于开始日期"), field_name="date_to")


audit_filter_args = AuditFilterArgs()
