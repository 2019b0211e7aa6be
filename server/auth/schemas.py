"""Input schemas (`*Args`) of the auth pages: users, departments, passwords, the user list filter.

They check the shape of what a person typed (lengths, characters, choices) with Chinese messages;
rules that need the database (unique names, existing departments, "not yourself") live in
operations.py so the CLI and the seed data get them too.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import MultiDict

from server.auth.passwords import MAX_LENGTH as PASSWORD_MAX
from server.auth.passwords import MIN_LENGTH as PASSWORD_MIN
from server.auth.roles import DEPT_HEAD, ROLE_LABELS, ROLES

# Anchored: marshmallow's Regexp only anchors at the start.
USERNAME_PATTERN = re.compile(r"\A[A-Za-z0-9_.\-]{3,64}\Z")
DEPARTMENT_CODE_PATTERN = re.compile(r"\A[A-Za-z0-9_\-]{1,32}\Z")
PHONE_PATTERN = re.compile(r"\A[0-9+\-() ]{3,32}\Z")
USER_STATES = ("active", "inactive", "locked")

REQUIRED = _l("此项为必填项")


class Text(fields.String):
    """A form text value: trimmed; an empty value is missing (error if required, else None)."""

    default_error_messages = {"required": REQUIRED, "invalid": _l("格式不正确")}

    def __init__(self, *, max_length: int | None, pattern=None, pattern_error=None, **kwargs):
        validators = []
        if max_length is not None:
            validators.append(validate.Length(max=max_length, error=_l("不能超过 {max} 个字符")))
        if pattern is not None:
            validators.append(validate.Regexp(pattern, error=pattern_error or _l("格式不正确")))
        if not kwargs.get("required", False):
            kwargs.setdefault("allow_none", True)
            kwargs.setdefault("load_default", None)
        super().__init__(validate=validators, **kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        # A blank optional value becomes None before the validators see it.
        if isinstance(value, str) and not value.strip() and not self.required:
            return None
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:  # only a required field gets here blank
            raise self.make_error("required")
        return text


class Password(fields.String):
    """A password exactly as typed (never trimmed): 10 to 256 characters."""

    default_error_messages = {"required": REQUIRED, "invalid": _l("格式不正确")}

    def __init__(self, **kwargs):
        super().__init__(
            required=True,
            validate=validate.Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                error=_l("密码长度须为 {min} 至 {max} 个字符"),
            ),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text:
            raise self.make_error("required")
        return text


class OptionalUUID(fields.UUID):
    """A select of ids with a blank choice: "" is None."""

    default_error_messages = {"invalid_uuid": _l("选项无效")}

    def __init__(self, **kwargs):
        super().__init__(allow_none=True, load_default=None, **kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return super().deserialize(value, attr, data, **kwargs)


def _roles_field():
    return fields.List(
        fields.String(
            validate=validate.OneOf(ROLES, error=_l("未知的角色")),
            error_messages={"invalid": _l("未知的角色")},
        ),
        load_default=list,
        validate=validate.Length(min=1, error=_l("请至少选择一个角色")),
        error_messages={"invalid": _l("角色选择无效")},
    )


class FormArgs(Schema):
    """Base of console form schemas: extra fields (csrf_token, buttons) are ignored."""

    class Meta:
        unknown = EXCLUDE


class _UserFields(FormArgs):
    display_name = Text(required=True, max_length=120)
    department_id = OptionalUUID()
    roles = _roles_field()
    phone = Text(
        max_length=32, pattern=PHONE_PATTERN, pattern_error=_l("电话号码只能包含数字、+、- 和空格")
    )

    @validates_schema(skip_on_field_errors=False)
    def _dept_head_has_department(self, data, **kwargs):
        # A department head without a department would own nothing.
        if DEPT_HEAD in (data.get("roles") or []) and not data.get("department_id"):
            raise ValidationError(
                _l("%(role)s必须属于一个科室", role=ROLE_LABELS[DEPT_HEAD]),
                field_name="department_id",
            )


class UserCreateArgs(_UserFields):
    username = Text(
        required=True,
        max_length=None,  # the pattern bounds the length, with one clear message
        pattern=USERNAME_PATTERN,
        pattern_error=_l("用户名须为 3 至 64 位字母、数字或 _ . -"),
    )
    password = Password()
    password_confirm = fields.String(load_default="")

    @validates_schema(skip_on_field_errors=False)
    def _passwords_match(self, data, **kwargs):
        if "password" in data and data["password"] != data.get("password_confirm"):
            raise ValidationError(_l("两次输入的密码不一致"), field_name="password_confirm")


class UserUpdateArgs(_UserFields):
    # An unticked checkbox is simply absent from the form.
    is_active = fields.Boolean(load_default=False)


class PasswordResetArgs(FormArgs):
    password = Password()
    password_confirm = fields.String(load_default="")

    @validates_schema(skip_on_field_errors=False)
    def _passwords_match(self, data, **kwargs):
        if "password" in data and data["password"] != data.get("password_confirm"):
            raise ValidationError(_l("两次输入的密码不一致"), field_name="password_confirm")


class PasswordChangeArgs(FormArgs):
    current_password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=PASSWORD_MAX, error=_l("请输入当前密码")),
        error_messages={"required": _l("请输入当前密码")},
    )
    new_password = Password()
    new_password_confirm = fields.String(load_default="")

    @validates_schema(skip_on_field_errors=False)
    def _passwords_match(self, data, **kwargs):
        if "new_password" in data and data["new_password"] != data.get("new_password_confirm"):
            raise ValidationError(_l("两次输入的密码不一致"), field_name="new_password_confirm")


class DepartmentArgs(FormArgs):
    code = Text(
        required=True,
        max_length=32,
        pattern=DEPARTMENT_CODE_PATTERN,
        pattern_error=_l("代码只能包含字母、数字、_ 和 -"),
    )
    name = Text(required=True, max_length=120)
    name_en = Text(max_length=120)


class UserFilterArgs(FormArgs):
    """Query of the user list; a bad value is ignored rather than refused (it is a filter)."""

    q = Text(max_length=100)
    role = fields.String(load_default=None)
    department_id = OptionalUUID()
    state = fields.String(load_default=None)
    page = fields.Integer(load_default=1)

    def load_lenient(self, args: MultiDict) -> dict:
        """Parse the query string, dropping each value that does not parse."""
        raw = {k: v for k, v in args.items() if k in self.fields}
        try:
            data = self.load(raw)
        except ValidationError as error:
            for name in error.messages:
                raw.pop(name, None)
            data = self.load(raw)
        if data.get("role") not in ROLES:
            data["role"] = None
        if data.get("state") not in USER_STATES:
            data["state"] = None
        data["page"] = max(1, min(data.get("page") or 1, 100_000))
        return data


def form_input(schema: Schema, form: MultiDict) -> dict:
    """A dict for `schema.load`: list fields take every value, the others the first."""
    data = {}
    for name, field in schema.fields.items():
        if isinstance(field, fields.List):
            data[name] = form.getlist(name)
        elif name in form:
            data[name] = form.get(name)
    return data


def flat_errors(messages: dict | list | str) -> dict[str, list[str]]:
    """marshmallow's nested messages as {field: [text, …]} for the templates."""
    flat: dict[str, list[str]] = {}
    for name, value in messages.items() if isinstance(messages, dict) else [("_form", messages)]:
        flat[name] = list(_texts(value))
    return flat


def _texts(value):
    if isinstance(value, dict):
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _texts(inner)
    else:
        yield str(value)


def parse_form(schema: Schema, form: MultiDict) -> tuple[dict | None, dict[str, list[str]]]:
    """Load a console form: (data, {}) when valid, (None, errors) when not."""
    try:
        return schema.load(form_input(schema, form)), {}
    except ValidationError as error:
        return None, flat_errors(error.messages)


user_create_args = UserCreateArgs()
user_update_args = UserUpdateArgs()
password_reset_args = PasswordResetArgs()
password_change_args = PasswordChangeArgs()
department_args = DepartmentArgs()
user_filter_args = UserFilterArgs()
