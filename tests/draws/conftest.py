"""Fixtures for DSR-v1 tests: the algorithm's bundle, and a bureau with subjects, inspectors, tasks.

The directory and task factories are minimal copies of tests/directory/conftest.py and
tests/tasks/conftest.py (fixtures there are visible only under their own folders).
"""

from __future__ import annotations

import dataclasses

import pytest

from server.auth.operations import actor_for as actor_of
from tests.draws.support import drawn_bundle

YEAR = 2026


@pytest.fixture
def bundle() -> dict:
    """A fresh internal bundle per test (tests tamper with it)."""
    return drawn_bundle()


# ---- directory -----------------------------------------------------------------------------------


# ---- tasks ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Bureau:
    department: object
    head: object  # dept_head of `department`
    office: object  # back_office of `department`, owns the tasks
    other_head: object  # dept_head of another department
    inspector_user: object
    admin: object
    item: object


@pytest.fixture
def bureau(make_department, make_user, make_item) -> Bureau:
    department = make_department("商贸流通科", "SMLT")
    other = make_department("市场运行科", "SCYX")
    return Bureau(
        department=department,
        head=make_user("head1", "dept_head", department=department),
        office=make_user("office1", "back_office", department=department),
        other_head=make_user("head2", "dept_head", department=other),
        inspector_user=make_user("insp1", "inspector", department=department),
        admin=make_user("admin1", "admin", department=other),
        item=make_item(department=department, code="SWJ-001"),
    )


@pytest.fixture
def approved_task(db, bureau):
    """`approved_task(**form)`: a task created, submitted and approved (committed)."""
    from server.tasks import operations
    from server.tasks.schemas import TaskArgs

    def factory(**overrides):
        form = {
            "name": "预付卡发卡企业专项抽查",
            "department_id": str(bureau.department.id),
            "year": str(YEAR),
            "origin": "ad_hoc",
            "ad_hoc_reason": "投诉举报集中",
            "item_ids": [str(bureau.item.id)],
            "targeting": "untargeted",
            "team_size": "2",
            "pool_mode": "automatic",
            "window_start": f"{YEAR}-12-01",
            "window_end": f"{YEAR}-12-31",
            "sample_kind": "count",
            "sample_count": "3",
            "methods": ["onsite"],
            "workflow_notes": "出示证件，送达告知书，逐项检查",
        }
        form.update(overrides)
        args = TaskArgs().load({k: v for k, v in form.items() if v is not None})
        office = bureau.office
        task = operations.create_task(db.session, actor=actor_of(office), user=office, data=args)
        operations.submit(db.session, task, actor=actor_of(office), user=office)
        operations.approve(db.session, task, actor=actor_of(bureau.head), user=bureau.head)
        db.session.commit()
        return task

    return factory


@pytest.fixture
def browser(signed_in_as):
    """A browser signed in as `username`: `browser("head1")`."""
    return signed_in_as


@pytest.fixture
def scene(bureau, make_subject, make_inspector):
    """Eight subjects in the department's scope and five valid inspectors."""
    subjects = [make_subject(departments=[bureau.department]) for _ in range(8)]
    inspectors = [make_inspector(department=bureau.department) for _ in range(5)]
    return subjects, inspectors
