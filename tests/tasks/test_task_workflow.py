"""The state table: each legal step by the right person; illegal ones refused, nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.audit.operations import SYSTEM
from server.auth.operations import actor_for as actor_of
from server.tasks import operations, workflow
from server.tasks.models import Task, TaskEvent
from server.tasks.operations import TaskConflict, TaskForbidden
from tests.tasks.conftest import PATH


def _counts(db, task):
    events = db.session.scalar(select(func.count()).where(TaskEvent.task_id == task.id))
    audits = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return events, audits


@pytest.mark.parametrize("step", range(len(PATH)))
def test_each_legal_transition_by_its_role_moves_the_task_and_logs_it(
    db, bureau, make_task, advance, step
):
    task = make_task()
    action, who = PATH[step]
    transition = workflow.TRANSITIONS[action]
    advance(task, transition.source)
    user = getattr(bureau, who) if who else None
    operations.transition(
        db.session, task, action, actor=actor_of(user) if user else SYSTEM, user=user
    )
    db.session.commit()

    assert task.state == transition.target
    last = task.events[-1]
    assert (last.action, last.from_state, last.to_state) == (
        action,
        transition.source,
        transition.target,
    )
    audit = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert audit.action == f"task.{action}"
    assert audit.object_id == str(task.id)
    assert audit.details["from"] == transition.source


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("draft", "approve"),
        ("draft", "announce"),
        ("submitted", "submit"),
        ("approved", "approve"),
        ("approved", "return"),
        ("approved", "issue"),
        ("issued", "submit"),
        ("completed", "complete"),
        ("completed", "reopen"),
    ],
)
def test_an_illegal_transition_is_a_conflict_and_changes_nothing(
    db, bureau, make_task, advance, state, action
):
    task = make_task()
    advance(task, state)
    before = _counts(db, task)
    with pytest.raises(TaskConflict):
        operations.transition(db.session, task, action, actor=SYSTEM, user=bureau.head)
    db.session.rollback()
    assert db.session.get(Task, task.id).state == state
    assert _counts(db, task) == before


def test_only_the_department_head_may_approve(db, bureau, make_task, advance, make_user):
    task = advance(make_task(), "submitted")
    admin = make_user("root", "admin", department=bureau.department)
    for user in (bureau.owner, bureau.other_head, admin, None):
        with pytest.raises(TaskForbidden):
            operations.approve(db.session, task, actor=SYSTEM, user=user)
        db.session.rollback()
    assert db.session.get(Task, task.id).state == "submitted"


def test_only_the_owner_may_submit(db, bureau, make_task):
    task = make_task()
    with pytest.raises(TaskForbidden):
        operations.submit(db.session, task, actor=SYSTEM, user=bureau.head)
    db.session.rollback()
    assert db.session.get(Task, task.id).state == "draft"


def test_a_return_needs_comments(db, bureau, make_task, advance):
    task = advance(make_task(), "submitted")
    with pytest.raises(operations.TaskError) as raised:
        operations.return_task(db.session, task, actor=SYSTEM, user=bureau.head, comment=" ")
    assert raised.value.status == 422
    db.session.rollback()
    assert db.session.get(Task, task.id).state == "submitted"


def test_returned_task_edited_by_owner_goes_back_to_draft_and_resubmits(
    db, bureau, make_task, advance, task_form
):
    from server.tasks.schemas import TaskArgs

    task = advance(make_task(), "submitted")
    number = task.number
    operations.return_task(
        db.session, task, actor=actor_of(bureau.head), user=bureau.head, comment="补充工作流程"
    )
    db.session.commit()
    assert (task.state, task.review_comment) == ("returned", "补充工作流程")

    args = TaskArgs().load(task_form(workflow_notes="补充后的工作流程"))
    operations.update_task(
        db.session, actor=actor_of(bureau.owner), user=bureau.owner, task=task, data=args
    )
    db.session.commit()
    assert task.state == "draft"
    operations.submit(db.session, task, actor=actor_of(bureau.owner), user=bureau.owner)
    db.session.commit()

    assert task.state == "submitted"
    assert task.number == number  # a resubmission keeps its number
    assert [e.action for e in task.events] == ["create", "submit", "return", "reopen", "submit"]
    assert task.events[2].comment == "补充工作流程"


def test_a_submitted_task_cannot_be_edited(db, bureau, make_task, advance, task_form):
    from server.tasks.schemas import TaskArgs

    task = advance(make_task(), "submitted")
    with pytest.raises(TaskConflict):
        operations.update_task(
            db.session,
            actor=SYSTEM,
            user=bureau.owner,
            task=task,
            data=TaskArgs().load(task_form(name="改名")),
        )
    db.session.rollback()
    assert db.session.get(Task, task.id).name == "预付卡发卡企业专项抽查"


def test_someone_else_cannot_edit_a_draft(db, bureau, make_task, task_form, make_user):
    from server.tasks.schemas import TaskArgs

    task = make_task()
    colleague = make_user("office2", "back_office", department=bureau.department)
    with pytest.raises(TaskForbidden):
        operations.update_task(
            db.session,
            actor=SYSTEM,
            user=colleague,
            task=task,
            data=TaskArgs().load(task_form(name="改名")),
        )
