"""Two departments whose tasks draw the same small directory: every subject is drawn by both.

The population is two subjects in both departments' scope and each task draws all of them
(k = 2), so overlapping windows always give one merge proposal per subject.
"""

from __future__ import annotations

import dataclasses

import pytest

from server.auth.operations import actor_for
from server.draws import operations as draw_ops

YEAR = 2026
WITNESS = "3 6 1 5 2 / 王某 李某"


@dataclasses.dataclass
class Side:
    """One department with its head, back office and item."""

    department: object
    head: object
    office: object
    item: object


@dataclasses.dataclass
class Scene:
    a: Side
    b: Side
    admin: object
    leader: object
    subjects: list
    inspectors: list  # each linked to a user account named insp1..insp4
    inspector_users: list


@pytest.fixture
def scene(make_department, make_user, make_item, make_subject, make_inspector) -> Scene:
    sides = []
    for n, (name, code, item_code) in enumerate(
        (("商贸流通科", "SMLT", "SWJ-001"), ("市场运行科", "SCYX", "SWJ-101")), start=1
    ):
        department = make_department(name, code)
        sides.append(
            Side(
                department=department,
                head=make_user(f"head{n}", "dept_head", department=department),
                office=make_user(f"office{n}", "back_office", department=department),
                item=make_item(
                    department=department, code=item_code, name=f"{name}检查事项", content="台账"
                ),
            )
        )
    a, b = sides
    subjects = [make_subject(departments=[a.department, b.department]) for _ in range(2)]
    users, inspectors = [], []
    for n in range(1, 5):
        user = make_user(f"insp{n}", "inspector", department=a.department)
        users.append(user)
        inspectors.append(make_inspector(department=a.department, user=user, name=f"检查员{n}"))
    return Scene(
        a=a,
        b=b,
        admin=make_user("admin1", "admin", department=a.department),
        leader=make_user("leader1", "leader", department=a.department),
        subjects=subjects,
        inspectors=inspectors,
        inspector_users=users,
    )


@pytest.fixture
def drawn_task(db):
    """`drawn_task(side, start, end)`: a task of `side` approved, announced, drawn; committed."""
    from server.tasks import operations
    from server.tasks.schemas import TaskArgs

    def factory(side: Side, start: str, end: str, **overrides):
        form = {
            "name": f"{side.department.name}专项抽查",
            "department_id": str(side.department.id),
            "year": str(YEAR),
            "origin": "ad_hoc",
            "ad_hoc_reason": "投诉举报集中",
            "item_ids": [str(side.item.id)],
            "targeting": "untargeted",
            "team_size": "2",
            "pool_mode": "automatic",
            "window_start": f"{YEAR}-{start}",
            "window_end": f"{YEAR}-{end}",
            "sample_kind": "count",
            "sample_count": "2",
            "methods": ["onsite"],
        }
        form.update(overrides)
        args = TaskArgs().load(form)
        office, head = side.office, side.head
        task = operations.create_task(db.session, actor=actor_for(office), user=office, data=args)
        operations.submit(db.session, task, actor=actor_for(office), user=office)
        operations.approve(db.session, task, actor=actor_for(head), user=head)
        draw = draw_ops.announce_draw(db.session, actor=actor_for(head), task=task, user=head)
        draw_ops.draw_objects(
            db.session, actor=actor_for(head), draw=draw, witness_input=WITNESS, user=head
        )
        db.session.commit()
        return task

    return factory
