"""Input (`*Args`) of result sheets and their review. Messages are Chinese msgids.

The shape is checked here (lists of codes, a closing date for a closed measure); what needs the
code tables or the sheet's state (unknown codes, exclusive codes, completeness on submit) is
checked by the operations.
"""

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
from server.items.schemas import _messages, _text, clean_input
from server.results.models import CLOSED, OPEN, SHEET_STATES

MAX_TEXT = 2000
NOT_ENTERED = "none"  # the list filter "not yet entered"
LIST_STATES = (NOT_ENTERED, *SHEET_STATES)


def _codes() -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        load_default=list,
        error_messages=_messages(invalid=N_("应为代码列表")),
    )


class FollowupArgs(Schema):
    """One follow-up measure: open, or closed on a date."""

    class Meta:
        unknown = EXCLUDE

    code = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        error_messages=_messages(required=N_("请选择后续处置措施")),
    )
    status = fields.String(
        load_default=OPEN,
        validate=validate.OneOf((OPEN, CLOSED), error=N_("取值无效")),
    )
    closed_on = fields.Date(
        load_default=None,
        allow_none=True,
        error_messages=_messages(invalid=N_("日期格式不正确（例如 2026-01-31）")),
    )

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)

    @validates_schema
    def _closing_date(self, data, **kwargs) -> None:
        if data.get("status") == CLOSED and data.get("closed_on") is None:
            raise ValidationError(N_("已办结的后续处置请填写办结日期"), "closed_on")
        if data.get("status") == OPEN:
            data["closed_on"] = None


class LineArgs(Schema):
    """The result of one item of the task."""

    class Meta:
        unknown = EXCLUDE

    item_id = fields.UUID(required=True, error_messages=_messages(required=N_("缺少抽查事项")))
    result_codes = _codes()
    method_codes = _codes()
    followups = fields.List(fields.Nested(FollowupArgs), load_default=list)
    note = _text(None, max_length=MAX_TEXT, required=False)

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class SheetArgs(Schema):
    """A result sheet as the entry form (or a client) sends it."""

    class Meta:
        unknown = EXCLUDE

    lines = fields.List(fields.Nested(LineArgs), load_default=list)
    no_record_reason = _text(None, max_length=MAX_TEXT, required=False)
    remarks = _text(None, max_length=MAX_TEXT, required=False)

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class CommentArgs(Schema):
    """The comment of a review decision (required to return a sheet: checked by the operation)."""

    class Meta:
        unknown = EXCLUDE

    comment = _text(None, max_length=MAX_TEXT, required=False)

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class CorrectionArgs(Schema):
    """Why an approved result is corrected (a new version)."""

    class Meta:
        unknown = EXCLUDE

    reason = _text(N_("请填写更正原因"), max_length=MAX_TEXT)

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


class ResultFilterArgs(Schema):
    """Filters of the result list (/results) and paging."""

    class Meta:
        unknown = EXCLUDE

    task_id = fields.UUID(load_default=None)
    state = fields.String(load_default=None, validate=validate.OneOf(LIST_STATES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))

    @pre_load
    def _clean(self, data, **kwargs) -> dict:
        return clean_input(data)


def sheet_input(form, items) -> dict:
    """The entry form (a MultiDict) as SheetArgs input: one line per item of the task.

    Per item `i` (its id): `results-i`, `methods-i`, `followups-i` (checkboxes), `closed-i-CODE`
    (a checkbox: the measure is closed) with `closed_on-i-CODE`, and `note-i`.
    """
    lines = []
    for item_id in items:
        key = str(item_id)
        followups = [
            {
                "code": code,
                "status": CLOSED if form.get(f"closed-{key}-{code}") else OPEN,
                "closed_on": form.get(f"closed_on-{key}-{code}", ""),
            }
            for code in form.getlist(f"followups-{key}")
        ]
        lines.append(
            {
                "item_id": key,
                "result_codes": form.getlist(f"results-{key}"),
                "method_codes": form.getlist(f"methods-{key}"),
                "followups": followups,
                "note": form.get(f"note-{key}", ""),
            }
        )
    return {
        "lines": lines,
        "no_record_reason": form.get("no_record_reason", ""),
        "remarks": form.get("remarks", ""),
    }
