"""Merge proposals (Art. 15): who decides, what a confirmation merges, what a decline keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.operations import actor_for
from server.draws.models import DrawAssignment
from server.visits import merges, queries
from server.visits.merges import MergeError
from server.visits.models import MergeDecision, MergeProposal, Visit


def proposals(db) -> list[MergeProposal]:
    return list(db.session.scalars(select(MergeProposal).order_by(MergeProposal.created_at)))


def visits_of(db, proposal) -> list[Visit]:
    return queries.proposal_visits(db.session, proposal)


def confirm(db, user, proposal, comment=None):
    merges.confirm(db.session, actor_for(user), user, proposal, comment)
    db.session.commit()


def decline(db, user, proposal, comment):
    merges.decline(db.session, actor_for(user), user, proposal, comment)
    db.session.commit()


@pytest.fixture
def overlapping(scene, drawn_task):
    """A's task all December, B's task 10–20 December: both draw both subjects."""
    return drawn_task(scene.a, "12-01", "12-31"), drawn_task(scene.b, "12-10", "12-20")


def test_overlapping_draws_of_one_subject_make_one_proposal_per_subject(db, scene, overlapping):
    found = proposals(db)
    assert len(found) == 2
    assert {p.subject_id for p in found} == {s.id for s in scene.subjects}
    for proposal in found:
        assert proposal.state == "proposed"
        assert (proposal.window_start, proposal.window_end) == (
            dt.date(2026, 12, 10),
            dt.date(2026, 12, 20),
        )
        visits = visits_of(db, proposal)
        assert [v.tasks[0].task_id for v in visits] == [t.id for t in overlapping]


def test_non_overlapping_windows_make_no_proposal(db, scene, drawn_task):
    drawn_task(scene.a, "12-01", "12-09")
    drawn_task(scene.b, "12-10", "12-31")
    assert proposals(db) == []
    assert db.session.scalar(select(Visit.id).where(Visit.state != "planned")) is None


def test_both_departments_confirm_and_the_oldest_visit_carries_both_tasks(db, scene, overlapping):
    task_a, task_b = overlapping
    proposal = proposals(db)[0]
    survivor, absorbed = visits_of(db, proposal)
    teams = {
        (a.draw_id, a.credential_no)
        for a in db.session.scalars(
            select(DrawAssignment).where(DrawAssignment.subject_id == proposal.subject_id)
        )
    }

    confirm(db, scene.b.head, proposal, "同意")
    assert proposal.state == "proposed"  # A has not answered yet
    assert survivor.state == absorbed.state == "planned"

    confirm(db, scene.a.head, proposal)
    db.session.expire_all()
    assert proposal.state == "confirmed" and proposal.decided_at is not None
    assert survivor.state == "planned"
    assert (survivor.window_start, survivor.window_end) == (
        dt.date(2026, 12, 10),
        dt.date(2026, 12, 20),
    )
    assert [(t.task_id, t.position) for t in survivor.tasks] == [(task_a.id, 0), (task_b.id, 1)]
    assert absorbed.state == "merged" and absorbed.merged_into_id == survivor.id
    assert absorbed.tasks == []
    sections = queries.sections(db.session, survivor)
    assert [s.task.id for s in sections] == [task_a.id, task_b.id]
    members = {(s.link.draw_id, m.credential_no) for s in sections for m in s.team}
    assert members == teams and len(members) == 4  # both teams of two
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"visit.merge_confirm", "visit.merge", "visit.merged_into"} <= actions
    assert "visit.merge_confirmed" in actions
    # The other subject's proposal is untouched.
    assert proposals(db)[1].state == "proposed"


def test_one_decline_ends_the_proposal_and_changes_no_visit(db, scene, overlapping):
    proposal = proposals(db)[0]
    before = [(v.id, v.state, v.window_start, v.window_end) for v in visits_of(db, proposal)]
    confirm(db, scene.a.head, proposal)
    decline(db, scene.b.head, proposal, "本科室检查需使用专业设备，时间无法协调")
    db.session.expire_all()
    assert proposal.state == "declined"
    after = [(v.id, v.state, v.window_start, v.window_end) for v in visits_of(db, proposal)]
    assert after == before
    assert all(len(v.tasks) == 1 for v in visits_of(db, proposal))
    with pytest.raises(MergeError) as error:
        merges.confirm(db.session, actor_for(scene.b.head), scene.b.head, proposal)
    assert error.value.status == 409


def test_a_decline_needs_a_reason(db, scene, overlapping):
    proposal = proposals(db)[0]
    with pytest.raises(MergeError) as error:
        merges.decline(db.session, actor_for(scene.a.head), scene.a.head, proposal, " ")
    assert error.value.status == 422 and error.value.field == "comment"
    db.session.rollback()
    assert db.session.scalar(select(MergeDecision.id)) is None


def test_a_department_decides_once(db, scene, overlapping):
    proposal = proposals(db)[0]
    confirm(db, scene.a.head, proposal)
    with pytest.raises(MergeError) as error:
        merges.decline(db.session, actor_for(scene.a.head), scene.a.head, proposal, "改主意了")
    assert error.value.status == 409
    db.session.rollback()
    assert len(db.session.scalars(select(MergeDecision)).all()) == 1


@pytest.mark.parametrize("who", ["admin", "leader", "office", "stranger"])
def test_only_heads_of_the_departments_involved_decide(db, scene, overlapping, make_user, who):
    proposal = proposals(db)[0]
    user = {
        "admin": scene.admin,
        "leader": scene.leader,
        "office": scene.a.office,
        "stranger": make_user("head9", "dept_head"),  # head of an uninvolved department
    }[who]
    with pytest.raises(MergeError) as error:
        merges.confirm(db.session, actor_for(user), user, proposal)
    assert error.value.status == 403
    db.session.rollback()
    assert proposal.decisions == []


def test_two_tasks_of_one_department_need_one_decision(db, scene, drawn_task):
    first = drawn_task(scene.a, "12-01", "12-31")
    second = drawn_task(scene.a, "12-05", "12-25", name="第二项专项抽查")
    proposal = proposals(db)[0]
    confirm(db, scene.a.head, proposal)
    db.session.expire_all()
    assert proposal.state == "confirmed"
    survivor = visits_of(db, proposal)[0]
    assert [t.task_id for t in survivor.tasks] == [first.id, second.id]
    assert (survivor.window_start, survivor.window_end) == (
        dt.date(2026, 12, 5),
        dt.date(2026, 12, 25),
    )


def test_a_proposal_whose_visit_was_cancelled_cannot_be_confirmed(db, scene, overlapping):
    proposal = proposals(db)[0]
    cancelled = visits_of(db, proposal)[1]
    cancelled.state = "cancelled"  # as an alternate replacing the subject would
    db.session.commit()
    with pytest.raises(MergeError) as error:
        merges.confirm(db.session, actor_for(scene.a.head), scene.a.head, proposal)
    assert error.value.status == 409 and "已失效" in str(error.value)
    db.session.rollback()
    # A head may still close it (it then reads "declined"); and the operation that cancels
    # visits retires such proposals itself.
    retired = merges.retire_for_visits(
        db.session, actor_for(scene.a.head), [cancelled], "检查对象已由备选对象递补"
    )
    db.session.commit()
    assert retired == [proposal] and proposal.state == "declined"
    assert proposals(db)[1].state == "proposed"
