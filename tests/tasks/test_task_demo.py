"""The demo tasks and checklists: written once, a second run adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.audit.operations import CLI
from server.seed.demo import seed_demo
from server.tasks.demo import seed_tasks
from server.tasks.models import ChecklistTemplate, Task


def test_seed_demo_creates_checklists_and_tasks_in_several_states_once(app, db):
    created = seed_demo(db.session, password="spotcheck-demo")
    db.session.commit()
    assert (created["checklists"], created["tasks"]) == (3, 3)
    states = sorted(db.session.scalars(select(Task.state)))
    assert states == ["approved", "returned", "submitted"]
    assert all(t.checklist.questions for t in db.session.scalars(select(Task)))
    assert all(t.number for t in db.session.scalars(select(Task)))
    targeted = db.session.scalars(select(Task).where(Task.targeting == "targeted")).one()
    assert targeted.target_filters["tags"] == ["加油站"]

    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert seed_tasks(db.session, CLI) == {}
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert db.session.scalar(select(func.count()).select_from(ChecklistTemplate)) == 3


def test_seed_tasks_without_the_demo_bureau_does_nothing(app, db):
    assert seed_tasks(db.session, CLI) == {}
