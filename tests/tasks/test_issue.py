"""下达 (issue): matched → issued by the department once every team has its designated lead."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.draws import operations as draw_ops
from server.draws.operations import DrawError
from server.tasks.models import Task
from tests.tasks.conftest import actor_of, page_text


@pytest.fixture
def matched(db, bureau, advance, make_task, make_subject, make_inspector):
    """`matched(count)`: a task drawn and matched with `count` selected subjects."""

    def build(count: int = 3):
        for _ in range(count + 2):
            make_subject(departments=[bureau.department])
        for _ in range(4):
            make_inspector(department=bureau.department)
        task = advance(make_task(sample_kind="count", sample_count=str(count)), "approved")
        draw = draw_ops.announce_draw(
            db.session, actor=actor_of(bureau.owner), task=task, user=bureau.owner
        )
        draw_ops.draw_objects(
            db.session,
            actor=actor_of(bureau.head),
            draw=draw,
            witness_input="3 6 1",
            user=bureau.head,
        )
        db.session.commit()
        assert task.state == "matched"
        return task, draw

    return build


def designate(db, bureau, draw, usccs):
    for uscc in usccs:
        first = next(a for a in draw.assignments if a.uscc == uscc)
        draw_ops.designate_team_lead(
            db.session,
            actor=actor_of(bureau.head),
            draw=draw,
            uscc=uscc,
            credential_no=first.credential_no,
            user=bureau.head,
        )
    db.session.commit()


def teams(draw) -> list[str]:
    return sorted({s.uscc for s in draw.selections if not s.is_alternate})


def test_issue_is_refused_while_a_team_lacks_a_lead(db, bureau, matched):
    task, draw = matched(3)
    designate(db, bureau, draw, teams(draw)[:1])
    with pytest.raises(DrawError, match="还有 2 个检查对象的检查组尚无组长") as raised:
        draw_ops.issue_task(db.session, actor=actor_of(bureau.owner), draw=draw, user=bureau.owner)
    assert raised.value.status == 409
    db.session.rollback()
    assert db.session.get(Task, task.id).state == "matched"


@pytest.mark.parametrize("who", ["owner", "head"])
def test_the_departments_office_or_head_issues_once_every_team_has_a_lead(db, bureau, matched, who):
    task, draw = matched(2)
    designate(db, bureau, draw, teams(draw))
    user = getattr(bureau, who)
    draw_ops.issue_task(db.session, actor=actor_of(user), draw=draw, user=user)
    db.session.commit()
    assert task.state == "issued"
    assert task.events[-1].action == "issue"
    audit = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (audit.action, audit.details["to"]) == ("task.issue", "issued")


def test_another_department_may_not_issue(db, bureau, matched):
    task, draw = matched(1)
    designate(db, bureau, draw, teams(draw))
    with pytest.raises(DrawError) as raised:
        draw_ops.issue_task(
            db.session, actor=actor_of(bureau.other_head), draw=draw, user=bureau.other_head
        )
    assert raised.value.status == 403
    db.session.rollback()
    assert db.session.get(Task, task.id).state == "matched"


def test_an_issued_task_cannot_be_issued_again(db, bureau, matched):
    task, draw = matched(1)
    designate(db, bureau, draw, teams(draw))
    draw_ops.issue_task(db.session, actor=actor_of(bureau.head), draw=draw, user=bureau.head)
    db.session.commit()
    with pytest.raises(Exception, match="不能执行") as raised:
        draw_ops.issue_task(db.session, actor=actor_of(bureau.head), draw=draw, user=bureau.head)
    assert raised.value.status == 409


def test_the_panel_issue_button(db, browser, bureau, matched):
    task, draw = matched(2)
    office = browser("office1")
    page = office.get(f"/tasks/{task.id}/draw")
    text = page_text(page)
    assert "下达任务" in text and "手机" in text and "还有 2 个检查组尚无组长" in text
    response = office.post_form(f"/tasks/{task.id}/draw/issue")
    assert response.status_code == 409 and "尚无组长" in page_text(response)

    designate(db, bureau, draw, teams(draw))
    assert "尚无组长" not in page_text(office.get(f"/tasks/{task.id}/draw"))
    assert browser("head2").post_form(f"/tasks/{task.id}/draw/issue").status_code == 403
    response = office.post_form(f"/tasks/{task.id}/draw/issue")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Task, task.id).state == "issued"
    text = page_text(office.get(f"/tasks/{task.id}/draw"))
    assert "任务已下达" in text and "已下达" in text
