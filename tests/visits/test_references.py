"""References of the draw's bulk tables hold on both databases (server/references.py).

On SQLite they are foreign-key constraints; on PostgreSQL statement triggers. Either way a row
naming a missing subject, visit, inspector or task is refused with nothing written, and a
referenced row cannot disappear or change its id.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from server.auth.operations import actor_for
from server.bulk import insert_rows
from server.directory.models import Subject, SubjectScope
from server.draws.models import Draw, DrawAssignment, DrawSelection
from server.draws.persist import SELECTION_COLUMNS
from server.tasks import operations as task_ops
from server.tasks.models import Task
from server.tasks.schemas import TaskArgs
from server.visits.models import Visit, VisitTask

from .conftest import YEAR

subjects = Subject.__table__


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def drawn(scene, drawn_task, db):
    task = drawn_task(scene.a, "03-01", "03-31")
    return task, db.session.scalars(select(Draw).where(Draw.task_id == task.id)).one()


def test_a_draw_writes_selections_teams_visits_and_links_that_all_resolve(drawn, db):
    task, draw = drawn
    assert _count(db, DrawSelection) == 2
    assert _count(db, DrawAssignment) == 4
    assert _count(db, Visit) == 2
    links = db.session.scalars(select(VisitTask)).all()
    assert len(links) == 2
    for link in links:
        assert link.visit.subject_id == link.subject_id
        assert link.task.id == task.id


def test_bulk_rows_naming_a_missing_subject_are_refused_and_nothing_is_written(drawn, db):
    _, draw = drawn
    before = _count(db, DrawSelection)
    row = (uuid.uuid4(), draw.id, "91370000MA3C9999X1", uuid.uuid4(), "0" * 64, 99, True)
    with pytest.raises(IntegrityError):
        insert_rows(db.session, DrawSelection, SELECTION_COLUMNS, [row])
        db.session.flush()
    db.session.rollback()
    assert _count(db, DrawSelection) == before


def test_a_link_to_a_missing_visit_is_refused(drawn, db):
    task, draw = drawn
    link = db.session.scalars(select(VisitTask)).first()
    db.session.add(
        VisitTask(
            visit_id=uuid.uuid4(), task_id=task.id, draw_id=uuid.uuid4(),
            subject_id=link.subject_id, position=1,
        )
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert _count(db, VisitTask) == 2


def test_a_team_member_can_be_changed_only_to_an_inspector_who_exists(scene, drawn, db):
    _, draw = drawn
    member = db.session.scalars(select(DrawAssignment).order_by(DrawAssignment.position)).first()
    member_id = member.id
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(DrawAssignment)
            .where(DrawAssignment.id == member_id)
            .values(inspector_id=uuid.uuid4())
        )
        db.session.flush()
    db.session.rollback()
    other = next(i for i in scene.inspectors if i.id != member.inspector_id)
    db.session.execute(
        update(DrawAssignment).where(DrawAssignment.id == member_id).values(inspector_id=other.id)
    )
    db.session.commit()
    assert db.session.get(DrawAssignment, member_id).inspector_id == other.id


def test_a_subject_with_visits_cannot_be_deleted(drawn, db):
    visit = db.session.scalars(select(Visit)).first()
    with pytest.raises(IntegrityError):
        db.session.execute(delete(subjects).where(subjects.c.id == visit.subject_id))
    db.session.rollback()
    assert db.session.get(Subject, visit.subject_id) is not None


def test_a_referenced_id_cannot_change(drawn, db):
    _, draw = drawn
    draws = Draw.__table__
    with pytest.raises(IntegrityError):
        db.session.execute(update(draws).where(draws.c.id == draw.id).values(id=uuid.uuid4()))
    db.session.rollback()
    assert _count(db, DrawSelection) == 2


def test_a_drawn_task_cannot_be_deleted_but_a_draft_can(scene, drawn, db):
    task, _ = drawn
    tasks = Task.__table__
    with pytest.raises(IntegrityError):
        db.session.execute(delete(tasks).where(tasks.c.id == task.id))
    db.session.rollback()
    assert db.session.get(Task, task.id) is not None

    office = scene.a.office
    draft = task_ops.create_task(
        db.session,
        actor=actor_for(office),
        user=office,
        data=TaskArgs().load({
            "name": "草稿任务", "department_id": str(scene.a.department.id), "year": str(YEAR),
            "origin": "ad_hoc", "ad_hoc_reason": "试填", "item_ids": [str(scene.a.item.id)],
            "targeting": "untargeted", "team_size": "2", "pool_mode": "automatic",
            "window_start": f"{YEAR}-05-01", "window_end": f"{YEAR}-05-31",
            "sample_kind": "count", "sample_count": "1", "methods": ["onsite"],
        }),
    )  # fmt: skip
    db.session.commit()
    draft_id = draft.id
    task_ops.delete_draft(db.session, actor=actor_for(office), user=office, task=draft)
    db.session.commit()
    assert db.session.get(Task, draft_id) is None


def test_subjects_are_never_deleted_on_postgresql(scene, db):
    """PostgreSQL refuses deleting a subject at all (nothing references it here); that is what
    lets the draw's inserts skip row locks. SQLite's constraint allows an unreferenced one."""
    lonely_id = scene.subjects[0].id
    scopes = SubjectScope.__table__
    db.session.execute(delete(scopes).where(scopes.c.subject_id == lonely_id))
    statement = delete(subjects).where(subjects.c.id == lonely_id)
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(IntegrityError, match="kept for the record"):
            db.session.execute(statement)
        db.session.rollback()
        assert db.session.get(Subject, lonely_id) is not None
    else:
        db.session.execute(statement)
        db.session.commit()
        assert db.session.scalar(select(func.count()).where(subjects.c.id == lonely_id)) == 0
