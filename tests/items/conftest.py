"""Factories for the item list's tests."""

from __future__ import annotations

import pytest

from server.audit.operations import SYSTEM
from server.items import operations


def _item_data(**overrides) -> dict:
    """Valid content of one item (单用途商业预付卡), with `overrides` applied."""
    data = {
        "name": "单用途商业预付卡发卡企业监督检查",
        "legal_basis": "《单用途商业预付卡管理办法（试行）》第三十四条",
        "checking_body": "经开区商务局",
        "object_scope": "在经开区登记注册的单用途商业预付卡发卡企业",
        "content": "备案情况、资金存管、发卡限额、购卡实名登记",
        "methods": ["onsite", "documentary"],
        "ratio_percent": None,
        "ratio_is_statutory": False,
        "frequency_per_year": None,
        "frequency_is_statutory": False,
        "inspector_requirements": "具有行政执法资格",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_item(db, make_department):
    """Create an item (version 1) through the operation and commit."""

    def factory(department=None, code: str | None = None, **overrides):
        item = operations.create_item(
            db.session,
            actor=SYSTEM,
            code=code,
            department_id=(department or make_department()).id,
            data=_item_data(**overrides),
        )
        db.session.commit()
        return item

    return factory


def _form_of(data: dict, **extra) -> dict:
    """Item content as a browser would post it (lists repeated, flags as "1", None as "")."""
    form: dict = {}
    for key, value in {**data, **extra}.items():
        if isinstance(value, bool):
            if value:
                form[key] = "1"
        elif value is None:
            form[key] = ""
        else:
            form[key] = value if isinstance(value, list) else str(value)
    return form


@pytest.fixture
def item_data():
    """The valid-content builder: `item_data(ratio_percent=10)`."""
    return _item_data


@pytest.fixture
def item_form():
    """The form builder: `item_form(item_data(), reason="…")`."""
    return _form_of


@pytest.fixture
def console(signed_in):
    """The shared `signed_in` (kept as `console` for the item tests' readability)."""
    return signed_in
