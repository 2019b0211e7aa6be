"""The shared input parser turns marshmallow's English messages into Chinese."""

import datetime as dt

import pytest
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from server.validation import InputError, LooseDate, TokenList, YesNo, form_data, parse


class Sample(Schema):
    name = fields.String(required=True, validate=validate.Length(max=5))
    count = fields.Integer()
    day = LooseDate()
    flag = YesNo()
    tags = TokenList()


def test_missing_and_too_long_fields_give_chinese_messages():
    with pytest.raises(InputError) as info:
        parse(Sample(), {"count": "x"})
    assert info.value.errors == {"name": ["必填"], "count": ["应为整数"]}
    with pytest.raises(InputError) as info:
        parse(Sample(), {"name": "abcdefg"})
    assert info.value.errors == {"name": ["不能超过 5 个字符"]}


@pytest.mark.parametrize("text", ["2026-01-31", "2026/1/31", "2026年1月31日", "20260131"])
def test_loose_dates_accept_what_people_type(text):
    assert parse(Sample(), {"name": "a", "day": text})["day"] == dt.date(2026, 1, 31)


def test_yes_no_and_token_lists_understand_chinese_input():
    data = parse(Sample(), {"name": "a", "flag": "是", "tags": "加油站、 预付卡；加油站"})
    assert data["flag"] is True
    assert data["tags"] == ["加油站", "预付卡"]
    assert parse(Sample(), {"name": "a", "flag": "否"})["flag"] is False


def test_form_data_drops_empty_values_and_the_csrf_token():
    form = MultiDict(
        [("name", " x "), ("count", ""), ("csrf_token", "t"), ("tags", "a"), ("tags", "b")]
    )
    assert form_data(form, lists=("tags",)) == {"name": "x", "tags": ["a", "b"]}
