"""One way to parse input everywhere (console forms, imports, API): marshmallow, Chinese errors.

marshmallow's built-in messages are English; people using the console and reading import
reports get Chinese. Programs get the same structure (field → list of messages).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields
from werkzeug.datastructures import MultiDict

_EXACT = {
    "Missing data for required field.": "必填",
    "Field may not be null.": "不能为空",
    "Not a valid string.": "应为文本",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid boolean.": "应为“是”或“否”",
    "Not a valid date.": "日期格式不正确（例如 2026-01-31）",
    "Not a valid datetime.": "时间格式不正确",
    "Not a valid UUID.": "标识格式不正确",
    "Not a valid list.": "应为列表",
    "Unknown field.": "未知字段",
    "Invalid input type.": "输入类型不正确",
    "Invalid value.": "取值无效",
    "Shorter than minimum length 1.": "不能为空",
}
_PATTERNS = [
    (re.compile(r"^Must be one of: (.*)\.$"), "取值无效"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "长度应在 {0} 到 {1} 个字符之间"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "不能超过 {0} 个字符"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "至少 {0} 个字符"),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        "应在 {0} 到 {1} 之间",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "不能小于 {0}"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "不能大于 {0}"),
    (re.compile(r"^Must be greater than (\S+)\.$"), "应大于 {0}"),
    (re.compile(r"^String does not match expected pattern\.$"), "格式不正确"),
]


def to_chinese(message: str) -> str:
    if message in _EXACT:
        return _EXACT[message]
    for pattern, template in _PATTERNS:
        match = pattern.match(message)
        if match:
            return template.format(*match.groups())
    return message


def translate_messages(messages: Any) -> Any:
    """marshmallow messages (nested dicts/lists of strings) in Chinese."""
    if isinstance(messages, dict):
        return {key: translate_messages(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate_messages(m) for m in messages]
    if isinstance(messages, str):
        return to_chinese(messages)
    return messages


class InputError(Exception):
    """Invalid input: `errors` maps field names to lists of Chinese messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors

    def summary(self) -> str:
        parts = []
        for field, msgs in self.errors.items():
            text = "；".join(msgs) if isinstance(msgs, list) else str(msgs)
            parts.append(f"{field}：{text}")
        return "；".join(parts)


def parse(schema: Schema, data: Mapping[str, Any]) -> dict:
    """Load `data` with `schema`; raise InputError with Chinese messages when invalid."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise InputError(translate_messages(error.normalized_messages())) from None


def form_data(form: MultiDict, lists: tuple[str, ...] = ()) -> dict:
    """A submitted form as a dict: empty strings dropped, `lists` fields as lists."""
    data: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        if key in lists:
            data[key] = [v for v in form.getlist(key) if v.strip()]
        else:
            value = form.get(key, "").strip()
            if value != "":
                data[key] = value
    for key in lists:
        data.setdefault(key, [])
    return data


# ---- fields that accept what people type into Excel and forms ----------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class LooseDate(fields.Date):
    """A date from a date cell, or text like 2026-01-31, 2026/1/31, 2026年1月31日."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise ValidationError("日期格式不正确（例如 2026-01-31）")


class YesNo(fields.Boolean):
    """A boolean that also understands 是/否, 有/无, 1/0 and form checkboxes ("on")."""

    truthy = {*fields.Boolean.truthy, "是", "有", "Y", "y", "yes", "on", "√"}
    falsy = {*fields.Boolean.falsy, "否", "无", "N", "n", "no", "off", ""}


_SPLIT = re.compile(r"[;；,，、\n]+")


class TokenList(fields.Field):
    """A list of short strings, given as a list or as text separated by ；，、 or newlines."""

    def __init__(self, *, max_length: int = 40, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        items = value if isinstance(value, list | tuple) else _SPLIT.split(str(value))
        tokens = []
        for item in items:
            token = str(item).strip()
            if not token:
                continue
            if len(token) > self.max_length:
                raise ValidationError(f"“{token[:20]}…”超过 {self.max_length} 个字符")
            if token not in tokens:
                tokens.append(token)
        return tokens

    def _serialize(self, value, attr, obj, **kwargs):
        return list(value or [])
