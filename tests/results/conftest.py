"""A bureau with an issued task of department A (three subjects, teams of two) and helpers that
bring its sections to an approved inspection record through the real path: a phone signs and
pushes the record (tests/syncapi/test_push.py), the department head approves it
(server.visits.review.approve).

Run: .venv/bin/pytest -n0 -q tests/results   (add DATABASE_URL=postgresql+psycopg://… for PG)
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import select

from server.auth.operations import actor_for
from server.results import operations
from server.results.schemas import SheetArgs
from server.visits import review
from server.visits.models import Visit, VisitTask
from server.visits.record_models import VisitRecord
from tests.syncapi.conftest import drawn_task as drawn_task  # noqa: F401 - fixtures of that
from tests.syncapi.conftest import issue
from tests.syncapi.conftest import scene as scene  # noqa: F401 - folder, not this one's
from tests.syncapi.test_push import Phone, submission
from tests.syncapi.test_review import team_of


@dataclasses.dataclass
class Bench:
    db: object
    client: object
    scene: object
    task: object
    phones: dict = dataclasses.field(default_factory=dict)

    @property
    def side(self):
        return self.scene.a

    def visit_ids(self) -> list[str]:
        stmt = (
            select(VisitTask.visit_id)
            .where(VisitTask.task_id == self.task.id)
            .order_by(VisitTask.visit_id)
        )
        return [str(v) for v in self.db.session.scalars(stmt)]

    def visit(self, visit_id) -> Visit:
        return self.db.session.get(Visit, uuid.UUID(str(visit_id)))

    def phone_for(self, visit_id) -> Phone:
        """The phone of a member of the visit's team (one phone per inspector)."""
        inspector, _ = team_of(self.db, visit_id, str(self.task.id))[0]
        user_of = {p.id: u for p, u in zip(self.scene.inspectors, self.scene.users, strict=True)}
        user = user_of[inspector.id]
        if user.id not in self.phones:
            self.phones[user.id] = Phone(self.db, self.client, user)
        return self.phones[user.id]

    def submit_record(self, visit_id) -> VisitRecord:
        phone = self.phone_for(visit_id)
        record_id = uuid.uuid4()
        args = submission(phone, record_id, visit_id, str(self.task.id))
        body = phone.push([phone.next("record.submit", args)])
        assert body["results"][0]["status"] == "applied", body
        self.db.session.expire_all()
        return self.db.session.get(VisitRecord, record_id)

    def approve_record(self, row: VisitRecord) -> VisitRecord:
        head = self.side.head
        review.approve(self.db.session, actor_for(head), head, row)
        self.db.session.commit()
        return row

    def approved_section(self, visit_id) -> VisitRecord:
        return self.approve_record(self.submit_record(visit_id))

    def data(self, results=("no_problem",), methods=("onsite",), followups=None, **extra):
        """SheetArgs output: the same line for every item of the task."""
        followups = followups if followups is not None else [{"code": "none"}]
        lines = [
            {
                "item_id": str(ti.item_id),
                "result_codes": list(results),
                "method_codes": list(methods),
                "followups": followups,
            }
            for ti in self.task.items
        ]
        return SheetArgs().load({"lines": lines, **extra})

    def save(self, visit_id, user=None, **kwargs):
        user = user or self.side.office
        sheet = operations.save(
            self.db.session,
            actor=actor_for(user),
            user=user,
            visit=self.visit(visit_id),
            task=self.task,
            data=self.data(**kwargs),
        )
        self.db.session.commit()
        return sheet

    def submit(self, sheet, user=None):
        user = user or self.side.office
        operations.submit(self.db.session, actor=actor_for(user), user=user, sheet=sheet)
        self.db.session.commit()
        return sheet

    def approve(self, sheet, user=None, comment=None):
        user = user or self.side.head
        operations.approve(
            self.db.session, actor=actor_for(user), user=user, sheet=sheet, comment=comment
        )
        self.db.session.commit()
        return sheet

    def approved_result(self, visit_id):
        """Record approved, result entered, submitted and approved."""
        self.approved_section(visit_id)
        return self.approve(self.submit(self.save(visit_id)))


@pytest.fixture
def bench(db, client, scene, drawn_task) -> Bench:  # noqa: F811 - the fixtures imported above
    task = drawn_task(scene.a)
    issue(db, scene.a, task)
    return Bench(db=db, client=client, scene=scene, task=task)
