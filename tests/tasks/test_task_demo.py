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
    # Three tasks from tasks.demo, a fourth (drawn with the demo beacon) from draws.demo, a
    # fifth finished a month ago (results.demo).
    assert (created["checklists"], created["tasks"]) == (3, 5)
    states = sorted(db.session.scalars(select(Task.state)))
    assert states == ["completed", "issued", "issued", "returned", "submitted"]
    assert all(t.number for t in db.session.scalars(select(Task)))
    with_checklist = db.session.scalars(select(Task).where(Task.checklist_template_id.is_not(None)))
    assert all(t.checklist.questions for t in with_checklist)
    tags = sorted(
        t.target_filters["tags"][0]
        for t in db.session.scalars(select(Task).where(Task.targeting == "targeted"))
    )
    assert tags == ["加油站", "单用途商业预付卡"]

    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert seed_tasks(db.session, CLI) == {}
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert db.session.scalar(select(func.count()).select_from(ChecklistTemplate)) == 3


def test_seed_tasks_without_the_demo_bureau_does_nothing(app, db):
    assert seed_tasks(db.session, CLI) == {}
