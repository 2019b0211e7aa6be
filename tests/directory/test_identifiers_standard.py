"""USCC (GB 32100-2015) and resident ID (GB 11643-1999) check digits, exactly as domain.md says."""

import random

import pytest
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from server.directory import identifiers as ids


@pytest.mark.parametrize("code", ["91110000600037341L", "91110108551385082Q"])
def test_documented_uscc_examples_are_valid(code):
    assert ids.validate_uscc(code) == code


def test_uscc_with_a_wrong_check_character_names_the_right_one():
    with pytest.raises(ids.IdentifierError, match="第18位应为 Q"):
        ids.validate_uscc("91110108551385082R")


def test_uscc_with_a_wrong_organisation_code_check_is_refused():
    # Position 17 changed and position 18 recomputed, so only the GB 11714 check fails.
    first17 = "9111010855138508" + "3"
    code = first17 + ids.uscc_check_char(first17)
    with pytest.raises(ids.IdentifierError, match="组织机构代码"):
        ids.validate_uscc(code)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9111010855138508", "应为18位"),
        ("91110108551385082QQ", "应为18位"),
        ("9111010855138508IQ", "无效字符"),
        ("", "应为18位"),
    ],
)
def test_malformed_uscc_is_refused_with_a_chinese_reason(value, message):
    with pytest.raises(ids.IdentifierError, match=message):
        ids.validate_uscc(value)


def test_uscc_typed_with_full_width_characters_and_spaces_is_normalised():
    assert ids.validate_uscc(" ９１１１０１０８５５１３８５０８２ｑ ") == "91110108551385082Q"


def test_generated_usccs_agree_with_python_stdnum():
    rng = random.Random(7)
    for _ in range(500):
        org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
        first17 = "91371091" + org8 + ids.org_code_check_char(org8)
        if first17[16] not in ids.USCC_ALPHABET:
            continue
        code = first17 + ids.uscc_check_char(first17)
        assert ids.is_valid_uscc(code)
        assert stdnum_uscc.is_valid(code)
        broken = code[:17] + next(c for c in ids.USCC_ALPHABET if c != code[17])
        assert not ids.is_valid_uscc(broken)
        assert not stdnum_uscc.is_valid(broken)


def test_documented_resident_id_example_is_valid():
    assert ids.validate_resident_id("11010519491231002X") == "11010519491231002X"
    assert stdnum_ric.is_valid("11010519491231002X")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("110105194912310021", "第18位应为 X"),
        ("11010519491331002X", "出生日期无效"),
        ("1101051949123100", "应为18位"),
        ("11010519491231002A", "第18位为数字或 X"),
    ],
)
def test_bad_resident_ids_are_refused_with_a_chinese_reason(value, message):
    with pytest.raises(ids.IdentifierError, match=message):
        ids.validate_resident_id(value)


def test_lower_case_x_in_a_resident_id_is_accepted():
    assert ids.validate_resident_id("11010519491231002x") == "11010519491231002X"
