"""A small bureau for pull tests: two departments drawing the same directory, six inspectors.

Both departments' tasks draw all three subjects (k = 3, teams of 2), so overlapping windows make
merge proposals; six inspectors leave room for replacements. Each inspector has an account
(insp1 … insp6) and each account gets a device token through `device(user)`. The factories are
minimal copies of tests/visits/conftest.py (fixtures there are visible only under that folder).
"""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from server.auth.bearer import new_token
from server.auth.models import Device
from server.auth.operations import actor_for
from server.draws import operations as draw_ops
from server.draws.models import Draw
from server.tasks.models import ChecklistQuestion

YEAR = 2026
WITNESS = "3 6 1 5 2 / 王某 李某"


@dataclasses.dataclass
class Side:
    department: object
    head: object
    office: object
    item: object
    checklist: object


@dataclasses.dataclass
class Scene:
    a: Side
    b: Side
    leader: object
    subjects: list
    inspectors: list
    users: list  # inspectors[i].user_id == users[i].id

    def user_of(self, credential_no: str):
        index = next(i for i, p in enumerate(self.inspectors) if p.credential_no == credential_no)
        return self.users[index]


@pytest.fixture
def scene(db, make_department, make_user, make_item, make_subject, make_inspector) -> Scene:
    from server.tasks import operations as task_ops

    sides = []
    for n, (name, code, item_code) in enumerate(
        (("商贸流通科", "SMLT", "SWJ-001"), ("市场运行科", "SCYX", "SWJ-101")), start=1
    ):
        department = make_department(name, code)
        head = make_user(f"head{n}", "dept_head", department=department)
        item = make_item(
            department=department, code=item_code, name=f"{name}检查事项", content="台账"
        )
        checklist = task_ops.create_template(
            db.session,
            actor=actor_for(head),
            user=head,
            data={
                "name": f"{name}检查表",
                "description": None,
                "department_id": department.id,
                "questions": [
                    ChecklistQuestion(
                        position=0,
                        item_code=item_code,
                        text="是否建立台账？",
                        answer_type="yes_no_na",
                        required=True,
                    )
                ],
            },
        )
        db.session.commit()
        sides.append(
            Side(
                department=department,
                head=head,
                office=make_user(f"office{n}", "back_office", department=department),
                item=item,
                checklist=checklist,
            )
        )
    a, b = sides
    subjects = [
        make_subject(
            departments=[a.department, b.department],
            legal_rep=f"法人{n}",
            contact_name=f"联系人{n}",
            contact_phone=f"1380000000{n}",
        )
        for n in range(3)
    ]
    users, inspectors = [], []
    for n in range(1, 7):
        user = make_user(f"insp{n}", "inspector", department=a.department)
        users.append(user)
        inspectors.append(make_inspector(department=a.department, user=user, name=f"检查员{n}"))
    return Scene(
        a=a,
        b=b,
        leader=make_user("leader1", "leader", display_name="王局长"),
        subjects=subjects,
        inspectors=inspectors,
        users=users,
    )


@pytest.fixture
def drawn_task(db):
    """`drawn_task(side, start, end)`: a task approved, announced and drawn; committed."""
    from server.tasks import operations
    from server.tasks.schemas import TaskArgs

    def factory(side: Side, start: str = "12-01", end: str = "12-31", **overrides):
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
            "sample_count": "3",
            "methods": ["onsite"],
            "checklist_template_id": str(side.checklist.id),
            "workflow_notes": "出示证件，送达告知书，逐项检查",
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


def draw_of(db, task) -> Draw:
    return db.session.scalars(select(Draw).where(Draw.task_id == task.id)).one()


def issue(db, side: Side, task) -> Draw:
    """The head designates the first member of every team as lead and issues the task."""
    draw = draw_of(db, task)
    for uscc in sorted({a.uscc for a in draw.assignments}):
        first = min((a for a in draw.assignments if a.uscc == uscc), key=lambda a: a.position)
        draw_ops.designate_team_lead(
            db.session,
            actor=actor_for(side.head),
            draw=draw,
            uscc=uscc,
            credential_no=first.credential_no,
            user=side.head,
        )
    draw_ops.issue_task(db.session, actor=actor_for(side.head), draw=draw, user=side.head)
    db.session.commit()
    return draw


@pytest.fixture
def device(db):
    """`device(user)`: a signed-in phone of `user`; returns its bearer token."""

    def factory(user) -> str:
        token, digest = new_token()
        db.session.add(Device(user_id=user.id, name="测试手机", public_key={}, token_hash=digest))
        db.session.commit()
        return token

    return factory


@pytest.fixture
def pull(client):
    """`pull(token, cursor=None)`: GET /api/v1/sync/pull; returns the JSON body (asserts 200)."""

    def call(token: str, cursor=None, status: int = 200):
        query = "" if cursor is None else f"?cursor={cursor}"
        response = client.get(
            f"/api/v1/sync/pull{query}", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    return call


def ids(body: dict, collection: str, kind: str = "upserts") -> set[str]:
    rows = body["changes"][collection][kind]
    return {row["id"] if isinstance(row, dict) else row for row in rows}


def nothing_changed(body: dict) -> bool:
    return all(not c["upserts"] and not c["deletes"] for c in body["changes"].values())
