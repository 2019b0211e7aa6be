"""Input of the calendar pages: an override, and the due-date calculator."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, fields, validate

from server.calendar.service import MAX_WORKDAYS

REQUIRED = {"required": _l("必填"), "null": _l("必填")}
BAD_DATE = _l("日期格式应为 YYYY-MM-DD，例如 2026-09-25")


class FormArgs(Schema):
    """Loaded from `server.validation.form_data(...)`: trimmed strings, blanks already dropped."""

    class Meta:
        unknown = EXCLUDE


class OverrideArgs(FormArgs):
    """Declare a day a working day or a day off; the note says why (e.g. the notice)."""

    day = fields.Date(required=True, error_messages={**REQUIRED, "invalid": BAD_DATE})
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["workday", "dayoff"], error=_l("请选择工作日或休息日")),
        error_messages=REQUIRED,
    )
    note = fields.String(
        required=True,
        validate=validate.Length(max=200, error=_l("不能超过 {max} 个字")),
        error_messages=REQUIRED,
    )


class EditOverrideArgs(OverrideArgs):
    """Editing keeps the day (it is the row's key)."""

    day = fields.Date(load_default=None, error_messages={"invalid": BAD_DATE})


class CalculatorArgs(FormArgs):
    """The due-date calculator: the n-th working day after `start`."""

    start = fields.Date(required=True, error_messages={**REQUIRED, "invalid": BAD_DATE})
    n = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(
            min=0, max=MAX_WORKDAYS, error=_l("工作日数应在 {min} 到 {max} 之间")
        ),
        error_messages={**REQUIRED, "invalid": _l("请输入整数")},
    )


override_args = OverrideArgs()
edit_override_args = EditOverrideArgs()
calculator_args = CalculatorArgs()
