"""The input schemas: usernames, phones, passwords, and how form data reaches them."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from server.auth.schemas import parse_form, user_create_args, user_filter_args


@pytest.fixture(autouse=True)
def request_ctx(app):
    """Messages are translated for the request's language, so parse inside a request."""
    with app.test_request_context("/"):
        yield


def create_form(**overrides) -> MultiDict:
    base = {
        "username": "li.si",
        "display_name": " 李四 ",
        "password": "long-enough-pw",
        "password_confirm": "long-enough-pw",
        "phone": "",
        "department_id": "",
        "csrf_token": "ignored",
    }
    base.update(overrides)
    form = MultiDict(base)
    form.add("roles", "inspector")
    form.add("roles", "leader")
    return form


def test_surrounding_blanks_are_trimmed_from_a_username():
    data, errors = parse_form(user_create_args, create_form(username=" abc\n"))
    assert errors == {} and data["username"] == "abc"


def test_a_valid_form_is_trimmed_and_blank_optionals_are_none():
    data, errors = parse_form(user_create_args, create_form())
    assert errors == {}
    assert data["display_name"] == "李四"
    assert data["phone"] is None and data["department_id"] is None
    assert data["roles"] == ["inspector", "leader"]


@pytest.mark.parametrize("name", ["ab", "a" * 65, "li si", "li\nsi", "李四", "a+b"])
def test_bad_usernames_are_refused_in_chinese(name):
    data, errors = parse_form(user_create_args, create_form(username=name))
    assert data is None
    assert errors["username"] == ["用户名须为 3 至 64 位字母、数字或 _ . -"]


@pytest.mark.parametrize("name", ["abc", "A.b-c_9", "x" * 64])
def test_good_usernames_pass(name):
    data, errors = parse_form(user_create_args, create_form(username=name))
    assert errors == {} and data["username"] == name


def test_passwords_are_taken_exactly_as_typed():
    data, _ = parse_form(
        user_create_args,
        create_form(password="  spaces count  ", password_confirm="  spaces count  "),
    )
    assert data["password"] == "  spaces count  "


def test_an_overlong_password_is_refused():
    data, errors = parse_form(
        user_create_args, create_form(password="x" * 257, password_confirm="x" * 257)
    )
    assert data is None and "password" in errors


def test_filter_args_drop_what_does_not_parse():
    filters = user_filter_args.load_lenient(
        MultiDict(
            {"q": "王", "role": "king", "department_id": "nope", "page": "x", "state": "locked"}
        )
    )
    assert filters == {
        "q": "王",
        "role": None,
        "department_id": None,
        "state": "locked",
        "page": 1,
    }
