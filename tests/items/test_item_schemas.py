"""ItemArgs: one validation with Chinese messages for forms and seeders."""

from __future__ import annotations

import decimal

import pytest
from marshmallow import ValidationError

from server.items.schemas import ItemArgs


def _errors(item_data, **overrides) -> dict:
    with pytest.raises(ValidationError) as error:
        ItemArgs().load(item_data(**overrides))
    return {k: " ".join(map(str, v)) for k, v in error.value.messages.items()}


def test_valid_content_loads_with_defaults(app, item_data):
    data = ItemArgs().load(item_data())
    assert data["methods"] == ["onsite", "documentary"]
    assert data["ratio_percent"] is None and data["frequency_per_year"] is None


def test_methods_are_checked_against_the_method_codes(app, item_data):
    assert (
        "未知的抽查方式：teleport" in _errors(item_data, methods=["onsite", "teleport"])["methods"]
    )


def test_at_least_one_method_is_required(app, item_data):
    assert "请至少选择一种抽查方式" in _errors(item_data, methods=[])["methods"]


@pytest.mark.parametrize("ratio", ["0", "-1", "150", "100.01"])
def test_ratio_must_be_above_zero_and_at_most_100(app, item_data, ratio):
    errors = _errors(item_data, ratio_percent=ratio, ratio_is_statutory=True)
    assert "抽查比例应大于 0 且不超过 100" in errors["ratio_percent"]


def test_ratio_keeps_at_most_two_decimals(app, item_data):
    assert "两位小数" in _errors(item_data, ratio_percent="12.345")["ratio_percent"]
    loaded = ItemArgs().load(item_data(ratio_percent="12.5"))
    assert loaded["ratio_percent"] == decimal.Decimal("12.50")


def test_ratio_that_is_not_a_number_has_a_chinese_message(app, item_data):
    assert "抽查比例应为数字" in _errors(item_data, ratio_percent="五")["ratio_percent"]


def test_a_ratio_below_the_default_rule_needs_the_statutory_flag(app, item_data):
    assert "非法定比例不得低于 5%" in _errors(item_data, ratio_percent="3")["ratio_percent"]
    loaded = ItemArgs().load(item_data(ratio_percent="3", ratio_is_statutory=True))
    assert loaded["ratio_percent"] == decimal.Decimal("3.00")


def test_statutory_flags_require_their_values(app, item_data):
    errors = _errors(item_data, ratio_is_statutory=True, frequency_is_statutory=True)
    assert "请填写法律法规规定的抽查比例" in errors["ratio_percent"]
    assert "请填写法律法规规定的抽查频次" in errors["frequency_per_year"]


@pytest.mark.parametrize("frequency", ["0", "-2"])
def test_frequency_is_at_least_once_a_year(app, item_data, frequency):
    assert "至少 1 次" in _errors(item_data, frequency_per_year=frequency)["frequency_per_year"]


def test_required_text_fields_have_their_own_chinese_messages(app, item_data):
    errors = _errors(item_data, legal_basis="  ", name="", checking_body=None)
    assert errors["legal_basis"] == "请填写抽查依据"
    assert errors["name"] == "请填写事项名称"
    assert "checking_body" in errors
