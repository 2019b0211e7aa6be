"""Input (`*Args`) of follow-ups and transfers. Messages are Chinese msgids."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from server.followups.models import FOLLOWUP_STATES, TRANSFER_KINDS, TRANSFER_STATES
from server.i18n import N_
from server.items.schemas import _messages, _text, clean_input

MAX_TEXT = 2000
BAD_DATE = N_("日期格式不正确（例如 2026-01-31）")


def _date(required_message=None) -> fields.Date:
    if required_message:
        return fields.Date(
            required=True, error_messages=_messages(required=required_message, invalid=BAD_DATE)
        )
    return fields.Date(
        load_default=None, allow_none=True, error_messages=_messages(invalid=BAD_DATE)
    )


class _Args(Schema):
    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class FollowUpFilterArgs(_Args):
    code = fields.String(load_default=None, validate=validate.Length(max=40))
    status = fields.String(load_default=None, validate=validate.OneOf(FOLLOWUP_STATES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class EntryArgs(_Args):
    happened_on = _date(N_("请填写日期"))
    text = _text(N_("请填写处置情况"), max_length=MAX_TEXT)


class DueArgs(_Args):
    due_on = _date()


class CloseArgs(_Args):
    closed_on = _date(N_("请填写办结日期"))
    note = _text(None, max_length=MAX_TEXT, required=False)


class TransferArgs(_Args):
    kind = fields.String(
        load_default=None, validate=validate.OneOf(TRANSFER_KINDS, error=N_("取值无效"))
    )
    recipient_name = _text(N_("请填写接收单位"), max_length=200)
    recipient_department_id = fields.UUID(
        load_default=None, allow_none=True, error_messages=_messages(invalid=N_("取值无效"))
    )
    clue_summary = _text(N_("请填写线索摘要"), max_length=MAX_TEXT)


class SendArgs(_Args):
    sent_on = _date(N_("请填写发出日期"))


class ReceiveArgs(_Args):
    received_on = _date(N_("请填写签收日期"))
    note = _text(None, max_length=MAX_TEXT, required=False)


class TransferCloseArgs(_Args):
    closed_on = _date(N_("请填写办结日期"))
    outcome = _text(N_("请填写办理结果"), max_length=MAX_TEXT)


class TransferFilterArgs(_Args):
    status = fields.String(load_default=None, validate=validate.OneOf(TRANSFER_STATES))
