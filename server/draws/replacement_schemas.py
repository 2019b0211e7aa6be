"""Console form arguments of recusal / replacement requests, decisions and alternate uses.

The forms carry plain strings; the operations (server/draws/replacements.py) check the choices,
so the phone's sync path gets the same Chinese errors.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

_REQUIRED = {"required": "请填写此项", "null": "请填写此项"}
_LONG = validate.Length(max=2000, error="最多 2000 个字")


class _Form(Schema):
    class Meta:
        unknown = EXCLUDE


class RequestArgs(_Form):
    """One inspector of one subject's team asks to be changed (Art. 17–18)."""

    # "uscc|credential_no": one choice of the team place, as the form's select sends it.
    place = fields.String(required=True, error_messages=_REQUIRED)
    mode = fields.String(required=True, error_messages=_REQUIRED)
    reason = fields.String(required=True, error_messages=_REQUIRED)
    explanation = fields.String(required=True, validate=_LONG, error_messages=_REQUIRED)
    conflict_kind = fields.String(load_default=None)


class DecisionArgs(_Form):
    """A leader's (or dept head's) decision: a comment, required when refusing."""

    comment = fields.String(load_default="", validate=_LONG)


class AlternateArgs(_Form):
    """Use the next alternate in place of a selected subject (§2.4)."""

    uscc = fields.String(required=True, error_messages=_REQUIRED)
    reason = fields.String(required=True, error_messages=_REQUIRED)
    note = fields.String(load_default="", validate=_LONG)
