"""Input schemas of the directory lists (console and API) and of the small console forms.

The write schemas (subjects, inspectors, conflicts, flags) are in schemas.py; these only read
filters and reasons. Empty strings from a submitted filter form mean "no filter".
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, pre_load, validate

from server.directory import vocab
from server.validation import YesNo

MAX_PAGE_SIZE = 200


class _ListArgs(Schema):
    """Shared by the lists: a search text and paging; blank values are dropped."""

    class Meta:
        unknown = EXCLUDE  # other query args (lang, …) are not filters

    q = fields.String(load_default=None, validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE_SIZE))

    @pre_load
    def _drop_blanks(self, data, **kwargs):
        # A filter form submits every select; "" is the "all" option.
        return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}


class SubjectListArgs(_ListArgs):
    """Filters of the subject directory."""

    kind = fields.String(load_default=None, validate=validate.OneOf(list(vocab.SUBJECT_KINDS)))
    scale = fields.String(load_default=None, validate=validate.OneOf(list(vocab.SUBJECT_SCALES)))
    region = fields.String(load_default=None, validate=validate.Length(max=32))
    department = fields.UUID(load_default=None)
    risk = fields.String(load_default=None, validate=validate.OneOf(["any", *vocab.RISK_FLAGS]))
    tag = fields.String(load_default=None, validate=validate.Length(max=40))
    status = fields.String(load_default=None, validate=validate.OneOf(list(vocab.SUBJECT_STATUSES)))
    removed = YesNo(load_default=False)


CREDENTIAL_STATES = ("valid", "expiring", "expired")


class InspectorListArgs(_ListArgs):
    """Filters of the inspector directory."""

    department = fields.UUID(load_default=None)
    qualification = fields.String(
        load_default=None, validate=validate.OneOf(list(vocab.QUALIFICATIONS))
    )
    expertise = fields.String(load_default=None, validate=validate.Length(max=40))
    team_lead = YesNo(load_default=None, allow_none=True)
    credential = fields.String(load_default=None, validate=validate.OneOf(CREDENTIAL_STATES))
    active = YesNo(load_default=None, allow_none=True)


CONFLICT_STATES = ("active", "ended", "all")


class ConflictListArgs(_ListArgs):
    """Filters of the conflict register; the active registrations by default."""

    kind = fields.String(load_default=None, validate=validate.OneOf(list(vocab.CONFLICT_KINDS)))
    state = fields.String(load_default="active", validate=validate.OneOf(CONFLICT_STATES))
    inspector = fields.UUID(load_default=None)


class ReasonArgs(Schema):
    """Why an object leaves or returns to the directory, or why a registration ends."""

    reason = fields.String(required=True, validate=validate.Length(min=2, max=500))


class ClearFlagArgs(ReasonArgs):
    flag = fields.String(required=True, validate=validate.OneOf(list(vocab.RISK_FLAGS)))
