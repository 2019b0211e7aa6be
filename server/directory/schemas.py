"""Input and output schemas of the directories: one validation for console, import and API.

Reference fields (region, departments, linked user) are checked against lookup tables given to
the schema when it is made (see `subject_args()` / `inspector_args()`), so an import and a form
reject an unknown region with the same Chinese message.
"""

from __future__ import annotations

import re
import uuid

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import Department, User
from server.directory import identifiers, vocab
from server.directory.models import Region
from server.validation import LooseDate, TokenList, YesNo

PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
CREDENTIAL = re.compile(r"^[0-9A-Za-z\-]{4,40}$")


class _VocabField(fields.String):
    """A closed vocabulary value given as its code or its Chinese label; loads as the code."""

    def __init__(self, vocabulary: dict, **kwargs):
        super().__init__(**kwargs)
        self.vocabulary = vocabulary

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        code = vocab.code_for_label(self.vocabulary, text)
        if code is None:
            allowed = "、".join(vocab.zh(v) for v in self.vocabulary.values())
            raise ValidationError(f"“{text}”不是有效取值（可选：{allowed}）")
        return code


class _Lookup:
    """Resolves tokens (id, code or name) against a lookup table given at schema creation."""

    def __init__(self, table: dict[str, object], what: str):
        self.table, self.what = table, what

    def resolve(self, token: str):
        key = str(token).strip()
        if key in self.table:
            return self.table[key]
        raise ValidationError(f"未知的{self.what}：{key}")


class SubjectArgs(Schema):
    """A subject as entered in the console or a spreadsheet row."""

    uscc = fields.String(required=True)
    name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    kind = _VocabField(vocab.SUBJECT_KINDS, required=True)
    scale = _VocabField(vocab.SUBJECT_SCALES, load_default=None, allow_none=True)
    region = fields.String(required=True, data_key="region")
    address = fields.String(required=True, validate=validate.Length(min=2, max=300))
    legal_rep = fields.String(load_default=None, validate=validate.Length(max=60))
    contact_name = fields.String(load_default=None, validate=validate.Length(max=60))
    contact_phone = fields.String(load_default=None, validate=validate.Regexp(PHONE))
    business_scope = fields.String(load_default=None, validate=validate.Length(max=4000))
    established_on = LooseDate(load_default=None, allow_none=True)
    status = _VocabField(vocab.SUBJECT_STATUSES, load_default="active")
    departments = TokenList(load_default=list, max_length=120)
    tags = TokenList(load_default=list)
    risk_flags = TokenList(load_default=None, allow_none=True)

    def __init__(self, *, regions: dict[str, str], departments: dict[str, uuid.UUID], **kwargs):
        super().__init__(**kwargs)
        self.regions = _Lookup(regions, "区域")
        self.department_lookup = _Lookup(departments, "监管科室")

    @validates("uscc")
    def _uscc(self, value: str, **kwargs) -> None:
        try:
            identifiers.validate_uscc(value)
        except identifiers.IdentifierError as error:
            raise ValidationError(str(error)) from None

    @validates("region")
    def _region(self, value: str, **kwargs) -> None:
        self.regions.resolve(value)

    @validates("departments")
    def _departments(self, value: list[str], **kwargs) -> None:
        for token in value:
            self.department_lookup.resolve(token)

    @validates("risk_flags")
    def _risk_flags(self, value: list[str] | None, **kwargs) -> None:
        for token in value or []:
            if vocab.code_for_label(vocab.RISK_FLAGS, token) is None:
                raise ValidationError(f"未知的风险标记：{token}")

    @post_load
    def _normalise(self, data: dict, **kwargs) -> dict:
        data["uscc"] = identifiers.normalise(data["uscc"])
        data["region_code"] = self.regions.resolve(data.pop("region"))
        data["department_ids"] = sorted(
            {self.department_lookup.resolve(t) for t in data.pop("departments")}, key=str
        )
        if data.get("risk_flags") is not None:
            data["risk_flags"] = sorted(
                {vocab.code_for_label(vocab.RISK_FLAGS, t) for t in data["risk_flags"]}
            )
        for key in ("legal_rep", "contact_name", "contact_phone", "business_scope"):
            if data.get(key) is not None:
                data[key] = data[key].strip() or None
        data["name"], data["address"] = data["name"].strip(), data["address"].strip()
        return data


class InspectorArgs(Schema):
    """An inspector as entered in the console or a spreadsheet row."""

    name = fields.String(required=True, validate=validate.Length(min=2, max=60))
    id_number = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, validate=validate.Regexp(PHONE))
    department = fields.String(required=True)
    credential_no = fields.String(required=True, validate=validate.Regexp(CREDENTIAL))
    credential_issuer = fields.String(required=True, validate=validate.Length(min=2, max=120))
    credential_valid_from = LooseDate(load_default=None, allow_none=True)
    credential_valid_until = LooseDate(required=True)
    qualification = _VocabField(vocab.QUALIFICATIONS, required=True)
    is_team_lead_qualified = YesNo(load_default=False)
    is_active = YesNo(load_default=True)
    expertise = TokenList(load_default=list)
    username = fields.String(load_default=None, allow_none=True)

    def __init__(self, *, departments: dict[str, uuid.UUID], users: dict[str, uuid.UUID], **kwargs):
        super().__init__(**kwargs)
        self.department_lookup = _Lookup(departments, "监管科室")
        self.user_lookup = _Lookup(users, "用户名")

    @validates("id_number")
    def _id_number(self, value: str | None, **kwargs) -> None:
        if value:
            try:
                identifiers.validate_resident_id(value)
            except identifiers.IdentifierError as error:
                raise ValidationError(str(error)) from None

    @validates("department")
    def _department(self, value: str, **kwargs) -> None:
        self.department_lookup.resolve(value)

    @validates("username")
    def _username(self, value: str | None, **kwargs) -> None:
        if value:
            self.user_lookup.resolve(value)

    @validates_schema
    def _validity(self, data: dict, **kwargs) -> None:
        start, end = data.get("credential_valid_from"), data.get("credential_valid_until")
        if start and end and start > end:
            raise ValidationError("有效期截止日期不能早于起始日期", "credential_valid_until")

    @post_load
    def _normalise(self, data: dict, **kwargs) -> dict:
        data["department_id"] = self.department_lookup.resolve(data.pop("department"))
        username = data.pop("username", None)
        data["user_id"] = self.user_lookup.resolve(username) if username else None
        if data.get("id_number"):
            data["id_number"] = identifiers.normalise(data["id_number"])
        else:
            data["id_number"] = None
        data["credential_no"] = data["credential_no"].strip().upper()
        data["name"] = data["name"].strip()
        return data


class ConflictArgs(Schema):
    inspector_id = fields.UUID(required=True)
    subject_uscc = fields.String(required=True)
    kind = _VocabField(vocab.CONFLICT_KINDS, required=True)
    note = fields.String(load_default=None, validate=validate.Length(max=1000))

    @validates("subject_uscc")
    def _uscc(self, value: str, **kwargs) -> None:
        try:
            identifiers.validate_uscc(value)
        except identifiers.IdentifierError as error:
            raise ValidationError(str(error)) from None


class RegionArgs(Schema):
    """A region of the zone as entered by an admin (the code is fixed once created)."""

    code = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9A-Za-z_-]{1,32}$", error="代码只能包含字母、数字、- 或 _"),
    )
    name = fields.String(required=True, validate=validate.Length(min=2, max=60))
    sort = fields.Integer(load_default=0, validate=validate.Range(min=0, max=9999))
    is_active = YesNo(load_default=True)

    @post_load
    def _normalise(self, data: dict, **kwargs) -> dict:
        data["code"], data["name"] = data["code"].strip().upper(), data["name"].strip()
        return data


class RiskFlagArgs(Schema):
    flag = _VocabField(vocab.RISK_FLAGS, required=True)
    note = fields.String(load_default=None, validate=validate.Length(max=1000))
    source = fields.String(load_default=None, validate=validate.Length(max=120))


def _department_lookup(session: Session) -> dict[str, uuid.UUID]:
    table: dict[str, uuid.UUID] = {}
    for dept in session.scalars(select(Department).where(Department.is_active.is_(True))):
        table[str(dept.id)] = table[dept.code] = table[dept.name] = dept.id
    return table


def subject_args(session: Session, **kwargs) -> SubjectArgs:
    """A SubjectArgs that knows the current regions and departments."""
    regions: dict[str, str] = {}
    for region in session.scalars(select(Region).where(Region.is_active.is_(True))):
        regions[region.code] = regions[region.name] = region.code
    return SubjectArgs(regions=regions, departments=_department_lookup(session), **kwargs)


def inspector_args(session: Session, **kwargs) -> InspectorArgs:
    """An InspectorArgs that knows the current departments and user accounts."""
    users = {u.username: u.id for u in session.scalars(select(User))}
    return InspectorArgs(departments=_department_lookup(session), users=users, **kwargs)


# ---- output ---------------------------------------------------------------------------------


class RiskFlagSchema(Schema):
    flag = fields.String()
    note = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    created_at = fields.DateTime()


class SubjectSchema(Schema):
    id = fields.UUID()
    uscc = fields.String()
    name = fields.String()
    kind = fields.String()
    scale = fields.String(allow_none=True)
    region_code = fields.String()
    address = fields.String()
    legal_rep = fields.String(allow_none=True)
    status = fields.String()
    tags = fields.List(fields.String())
    department_ids = fields.List(fields.UUID())
    risk_flags = fields.List(fields.Nested(RiskFlagSchema))
    updated_at = fields.DateTime()


class InspectorSchema(Schema):
    id = fields.UUID()
    name = fields.String()
    department_id = fields.UUID()
    credential_no = fields.String()
    credential_issuer = fields.String()
    credential_valid_from = fields.Date(allow_none=True)
    credential_valid_until = fields.Date()
    qualification = fields.String()
    is_team_lead_qualified = fields.Boolean()
    is_active = fields.Boolean()
    expertise = fields.List(fields.String())
