"""Cancelling a task (dept_head or admin, with a reason) up to its draw; never after it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.audit.operations import SYSTEM
from server.draws import operations as draw_ops
from server.draws.models import Draw
from server.draws.operations import DrawError
from server.tasks import operations, workflow
from server.tasks.models import Task
from server.tasks.operations import TaskConflict, TaskError, TaskForbidden
from tests.tasks.conftest import actor_of, page_text


@pytest.fixture
def announced(db, bureau, advance, make_task, make_subject, make_inspector):
    """`announced()`: an approved task whose commit-reveal draw is announced (committed)."""

    def build():
        for _ in range(4):
            make_subject(departments=[bureau.department])
        for _ in range(3):
            make_inspector(department=bureau.department)
        task = advance(make_task(), "approved")
        draw = draw_ops.announce_draw(
            db.session, actor=actor_of(bureau.owner), task=task, user=bureau.owner
        )
        db.session.commit()
        return task, draw

    return build


@pytest.mark.parametrize("state", ["draft", "submitted", "approved", "returned"])
def test_the_head_cancels_a_task_before_its_draw_with_a_reason(
    db, bureau, make_task, advance, state
):
    task = make_task()
    if state == "returned":
        advance(task, "submitted")
        operations.return_task(db.session, task, actor=SYSTEM, user=bureau.head, comment="补充")
        db.session.commit()
    else:
        advance(task, state)
    operations.cancel(
        db.session, task, actor=actor_of(bureau.head), user=bureau.head, comment="上级通知暂停"
    )
    db.session.commit()
    assert task.state == "cancelled"
    last = task.events[-1]
    assert (last.action, last.from_state, last.to_state, last.comment) == (
        "cancel",
        state,
        "cancelled",
        "上级通知暂停",
    )
    audit = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert audit.action == "task.cancel" and audit.details["comment"] == "上级通知暂停"


def test_a_cancellation_needs_a_reason(db, bureau, make_task):
    task = make_task()
    with pytest.raises(TaskError, match="取消原因") as raised:
        operations.cancel(db.session, task, actor=SYSTEM, user=bureau.head, comment="  ")
    assert raised.value.status == 422
    db.session.rollback()
    assert db.session.get(Task, task.id).state == "draft"


def test_only_the_departments_head_or_an_admin_cancels(db, bureau, make_task, make_user):
    task = make_task()
    for user in (bureau.owner, bureau.other_head, None):
        with pytest.raises(TaskForbidden):
            operations.cancel(db.session, task, actor=SYSTEM, user=user, comment="不做了")
        db.session.rollback()
    assert db.session.get(Task, task.id).state == "draft"
    admin = make_user("root", "admin", department=bureau.other_department)
    operations.cancel(db.session, task, actor=actor_of(admin), user=admin, comment="重复设立")
    db.session.commit()
    assert task.state == "cancelled"


@pytest.mark.parametrize("state", ["drawn", "matched", "issued", "in_progress", "completed"])
def test_no_cancellation_after_the_draw(db, bureau, make_task, advance, state):
    task = advance(make_task(), state)
    with pytest.raises(TaskConflict):
        operations.cancel(db.session, task, actor=SYSTEM, user=bureau.head, comment="晚了")
    db.session.rollback()
    assert db.session.get(Task, task.id).state == state


def test_a_cancelled_task_goes_nowhere(db, bureau, make_task):
    task = make_task()
    operations.cancel(db.session, task, actor=SYSTEM, user=bureau.head, comment="取消")
    db.session.commit()
    assert workflow.actions_from("cancelled") == []
    for action in ("submit", "reopen", "announce", "cancel"):
        with pytest.raises(TaskConflict):
            operations.transition(db.session, task, action, actor=SYSTEM, user=bureau.head)
        db.session.rollback()


def test_cancelling_an_announced_task_cancels_its_draw_and_never_reveals_the_secret(
    db, client, bureau, announced
):
    task, draw = announced()
    secret = draw.secret_hex
    operations.cancel(
        db.session, task, actor=actor_of(bureau.head), user=bureau.head, comment="检查事项调整"
    )
    db.session.commit()
    assert (task.state, draw.state) == ("cancelled", "cancelled")
    assert draw.cancel_reason == "检查事项调整"
    assert draw.cancelled_at is not None
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(draw.id))
    ).all()
    assert actions == ["draw.announce", "draw.cancel"]

    page = client.get(f"/public/draws/{draw.id}")
    text = page_text(page)
    assert "已取消" in text and "检查事项调整" in text
    bundle = client.get(f"/api/v1/public/draws/{draw.id}/bundle").get_json()
    assert bundle["randomness"]["secret"] is None and bundle["seed"] is None
    for response in (page, client.get(f"/api/v1/public/draws/{draw.id}/bundle")):
        assert secret not in response.get_data(as_text=True)
    listed = client.get("/api/v1/public/draws").get_json()[0]
    assert (listed["state"], listed["cancel_reason"]) == ("cancelled", "检查事项调整")
    assert "已取消" in page_text(client.get("/public/draws"))

    with pytest.raises(DrawError, match="已随任务取消"):
        draw_ops.draw_objects(
            db.session, actor=SYSTEM, draw=draw, witness_input="1 2 3", user=bureau.head
        )


def test_the_head_sees_a_cancel_form_and_cancels_on_the_console(db, browser, bureau, make_task):
    task = make_task()
    office = browser("office1")
    assert "确认取消任务" not in office.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert office.post_form(f"/tasks/{task.id}/cancel", {"comment": "x"}).status_code == 403
    head = browser("head1")
    page = head.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "确认取消任务" in page and 'id="f-cancel-comment"' in page
    response = head.post_form(f"/tasks/{task.id}/cancel", {"comment": " "})
    assert response.status_code == 422 and "取消任务时请填写取消原因" in page_text(response)
    response = head.post_form(f"/tasks/{task.id}/cancel", {"comment": "年度计划调整"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task.id).state == "cancelled"
    text = page_text(head.get(f"/tasks/{task.id}"))
    assert "任务已取消" in text and "年度计划调整" in text and "确认取消任务" not in text
    listed = page_text(head.get("/tasks?state=cancelled"))
    assert task.name in listed


def test_a_drawn_task_offers_no_cancellation(db, browser, bureau, announced):
    task, draw = announced()
    draw_ops.draw_objects(
        db.session, actor=actor_of(bureau.head), draw=draw, witness_input="6 6", user=bureau.head
    )
    db.session.commit()
    head = browser("head1")
    assert "确认取消任务" not in head.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert head.post_form(f"/tasks/{task.id}/cancel", {"comment": "撤销"}).status_code == 409
    db.session.expire_all()
    assert db.session.get(Draw, draw.id).state == "drawn"
