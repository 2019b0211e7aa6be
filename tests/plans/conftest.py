"""Factories of the plan tests: a department with items, subjects in its directory, plans."""

from __future__ import annotations

import pytest

from server.audit.operations import SYSTEM


@pytest.fixture
def dept(make_department):
    return make_department("市场秩序科", "SC")


@pytest.fixture
def items(dept, make_item):
    """Two items of `dept` with the default rules (no statutory ratio/frequency)."""
    return [
        make_item(department=dept, code="SWJ-001"),
        make_item(department=dept, code="SWJ-002", name="成品油零售经营企业监督检查"),
    ]


@pytest.fixture
def head(dept, make_user):
    """The department head of `dept`."""
    return make_user("head", "dept_head", department=dept)


@pytest.fixture
def actor(head):
    from server.audit.operations import Actor

    return Actor(head.id, "user:head")


@pytest.fixture
def make_plan(db, dept, items):
    """Create a draft through the operation (items created first) and commit."""
    from server.plans import operations

    def factory(year: int = 2026, department=None):
        plan = operations.create_plan(
            db.session, actor=SYSTEM, department_id=(department or dept).id, year=year
        )
        db.session.commit()
        return plan

    return factory


@pytest.fixture
def line_data():
    """A valid line edit (what LineArgs loads), with `overrides` applied."""
    import datetime as dt
    import decimal

    def build(**overrides):
        data = {
            "objects": "辖区内单用途商业预付卡发卡企业",
            "content": "备案情况、资金存管",
            "methods": ["onsite"],
            "ratio_percent": decimal.Decimal("5"),
            "frequency_per_year": 1,
            "window_start": dt.date(2026, 3, 1),
            "window_end": dt.date(2026, 6, 30),
            "notes": None,
            "kinds": [],
            "scales": [],
            "regions": [],
            "tags": [],
            "risk_flags": [],
            "department_scope": True,
        }
        data.update(overrides)
        return data

    return build
