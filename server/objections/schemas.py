"""Input (`*Args`) of objections: the public form, the paper entry, the decisions, the filters.
Messages are Chinese msgids. What needs the database (the USCC in the published version, the
state) is checked by the operations."""

from __future__ import annotations

import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate, validates

from server.i18n import N_
from server.items.schemas import _messages, _text, clean_input
from server.objections.models import STATES

MAX_TEXT = 2000
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Cleaned(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class FilingArgs(_Cleaned):
    """The public form (and the base of the paper entry)."""

    publication = fields.UUID(
        load_default=None, error_messages=_messages(invalid=N_("公示结果链接无效"))
    )
    uscc = fields.String(
        required=True,
        validate=validate.Length(max=40, error=N_("统一社会信用代码应为18位")),
        error_messages=_messages(required=N_("请填写统一社会信用代码")),
    )
    applicant_name = fields.String(
        required=True,
        validate=validate.Length(max=100, error=N_("不能超过 100 个字符")),
        error_messages=_messages(required=N_("请填写申请人")),
    )
    contact = fields.String(
        required=True,
        validate=validate.Length(max=120, error=N_("不能超过 120 个字符")),
        error_messages=_messages(required=N_("请填写联系电话或电子邮箱")),
    )
    grounds = _text(N_("请填写异议理由"), max_length=MAX_TEXT)

    @validates("contact")
    def _contact(self, value, **kwargs) -> None:
        if not (_PHONE.match(value) or _EMAIL.match(value)):
            raise ValidationError(N_("请填写有效的联系电话或电子邮箱"))


class PaperArgs(FilingArgs):
    """A paper application entered by the back office: the day it arrived is given."""

    publication = fields.UUID(
        required=True,
        error_messages=_messages(required=N_("请选择公示结果"), invalid=N_("请选择公示结果")),
    )
    received_on = fields.Date(
        required=True,
        error_messages=_messages(
            required=N_("请填写收到申请的日期"), invalid=N_("日期格式不正确（例如 2026-01-31）")
        ),
    )


class StatusArgs(_Cleaned):
    """The applicant's lookup: reference number and USCC."""

    reference = fields.String(
        required=True,
        validate=validate.Length(max=20, error=N_("受理编号不正确")),
        error_messages=_messages(required=N_("请填写受理编号")),
    )
    uscc = fields.String(
        required=True,
        validate=validate.Length(max=40, error=N_("统一社会信用代码应为18位")),
        error_messages=_messages(required=N_("请填写统一社会信用代码")),
    )


class TextArgs(_Cleaned):
    """The text of a decision, a reply or a correction (required or not: the operation says)."""

    text = _text(None, max_length=MAX_TEXT, required=False)
    sheet_id = fields.UUID(load_default=None, error_messages=_messages(invalid=N_("取值无效")))


class FilterArgs(_Cleaned):
    state = fields.String(load_default=None, validate=validate.OneOf(STATES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
