"""Factories of the task tests: a department with a head, an owner, an item, task forms."""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest

from server.audit.operations import SYSTEM
from server.auth.operations import actor_for as actor_of

YEAR = 2026


@dataclasses.dataclass
class Bureau:
    department: object
    other_department: object
    head: object  # dept_head of `department`
    owner: object  # back_office of `department`, sets tasks up
    other_head: object  # dept_head of `other_department`
    item: object


@pytest.fixture
def bureau(make_department, make_user, make_item) -> Bureau:
    department = make_department("商贸流通科", "SMLT")
    other = make_department("市场运行科", "SCYX")
    return Bureau(
        department=department,
        other_department=other,
        head=make_user("head1", "dept_head", department=department),
        owner=make_user("office1", "back_office", department=department),
        other_head=make_user("head2", "dept_head", department=other),
        item=make_item(department=department, code="SWJ-001"),
    )


@pytest.fixture
def task_form(bureau):
    """A valid ad hoc task as a browser posts it: `task_form(team_size="1")`."""

    def build(**overrides) -> dict:
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
            "window_start": f"{YEAR}-03-01",
            "window_end": f"{YEAR}-04-30",
            "sample_kind": "ratio",
            "sample_percent": "5",
            "methods": ["onsite"],
            "workflow_notes": "出示证件，送达告知书，逐项检查",
            "materials": "营业执照、备案材料",
        }
        form.update(overrides)
        return {k: v for k, v in form.items() if v is not None}

    return build


@pytest.fixture
def make_task(db, bureau, task_form):
    """Create a task through the operation (owner: bureau.owner) and commit."""
    from server.tasks import operations
    from server.tasks.schemas import TaskArgs

    def factory(owner=None, **overrides):
        owner = owner or bureau.owner
        args = TaskArgs().load(task_form(**overrides))
        task = operations.create_task(db.session, actor=actor_of(owner), user=owner, data=args)
        db.session.commit()
        return task

    return factory


# The path through the states, with who makes each step (None: the draw code).
PATH = [
    ("submit", "owner"),
    ("approve", "head"),
    ("announce", None),
    ("mark_drawn", None),
    ("mark_matched", None),
    ("issue", None),
    ("start", None),
    ("complete", None),
]


@pytest.fixture
def advance(db, bureau):
    """`advance(task, "issued")`: make the legal steps up to that state and commit."""
    from server.tasks import operations, workflow

    def go(task, state: str):
        for action, who in PATH:
            if task.state == state:
                break
            user = getattr(bureau, who) if who else None
            actor = actor_of(user) if user else SYSTEM
            operations.transition(db.session, task, action, actor=actor, user=user)
            db.session.commit()
        assert task.state == state, workflow.STATES[task.state]
        return task

    return go


@pytest.fixture
def browser(signed_in_as):
    """A browser signed in as `username`: `browser("head1")`."""
    return signed_in_as


def page_text(response) -> str:
    """The page's visible text, tags dropped and whitespace collapsed."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def task_id_of(response) -> uuid.UUID:
    match = re.search(r"/tasks/([0-9a-f-]{36})", response.headers.get("Location", ""))
    assert match, page_text(response)[:2000]
    return uuid.UUID(match.group(1))


__all__ = ["SYSTEM", "YEAR", "actor_of", "page_text", "task_id_of"]
