"""Task start and completion, the publication deadline (20 working days through the calendar
service) and the deadlines board's grouping.

Run: .venv/bin/pytest -n0 -q tests/results/test_tasks.py   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.auth.operations import actor_for
from server.orm import utcnow
from server.results import operations, queries
from server.results.models import TaskCompletion
from server.results.operations import ResultError
from server.tasks import workflow
from server.tasks.models import Task


def refused(call, status: int):
    with pytest.raises(ResultError) as error:
        call()
    assert error.value.status == status, error.value
    return error.value


def start(db, bench, user):
    operations.start_task(db.session, actor=actor_for(user), user=user, task=bench.task)
    db.session.commit()


def complete(db, bench, user, today=None):
    completion = operations.complete_task(
        db.session, actor=actor_for(user), user=user, task=bench.task, today=today
    )
    db.session.commit()
    return completion


def test_start_needs_a_submitted_record_and_someone_of_the_department(db, bench):
    side, other = bench.scene.a, bench.scene.b
    assert bench.task.state == workflow.ISSUED
    refused(lambda: start(db, bench, side.head), 409)  # nothing from the field yet
    db.session.rollback()
    bench.submit_record(bench.visit_ids()[0])
    refused(lambda: start(db, bench, other.head), 403)
    db.session.rollback()
    start(db, bench, side.office)
    assert bench.task.state == workflow.IN_PROGRESS
    refused(lambda: start(db, bench, side.head), 409)  # once
    db.session.rollback()


def test_entering_a_result_starts_an_issued_task(db, bench):
    visit_id = bench.visit_ids()[0]
    bench.approved_section(visit_id)
    assert bench.task.state == workflow.ISSUED
    bench.save(visit_id)
    db.session.refresh(bench.task)
    assert bench.task.state == workflow.IN_PROGRESS


def test_the_head_completes_once_every_section_is_approved(db, bench):
    side = bench.scene.a
    visits = bench.visit_ids()
    assert len(visits) == 3
    for visit_id in visits[:2]:
        bench.approved_result(visit_id)
    bench.approved_section(visits[2])
    last = bench.submit(bench.save(visits[2]))
    # One section still waits for its review: 409.
    error = refused(lambda: complete(db, bench, side.head), 409)
    assert error.params == {"n": 1}
    db.session.rollback()
    bench.approve(last)
    # Only the department's head completes.
    refused(lambda: complete(db, bench, side.office), 403)
    db.session.rollback()
    refused(lambda: complete(db, bench, bench.scene.b.head), 403)
    db.session.rollback()
    completion = complete(db, bench, side.head, today=dt.date(2026, 12, 4))
    assert bench.task.state == workflow.COMPLETED
    assert completion.completed_on == dt.date(2026, 12, 4) and completion.published_at is None
    details = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "task.completion")
    ).one()
    # 2026-12-04 + 20 working days runs into 2027, a year chinesecalendar 1.11 does not know.
    assert details == {
        "number": bench.task.number,
        "publication_due": "2027-01-01",
        "provisional": True,
    }
    refused(lambda: complete(db, bench, side.head), 409)
    db.session.rollback()


def test_publication_due_counts_working_days_across_national_day_2026(db):
    # 2026-09-30 (Wed): Oct 1–7 are holidays, Sat Oct 10 is a make-up workday (调休上班).
    due, provisional = queries.publication_due(db.session, dt.date(2026, 9, 30))
    assert (due, provisional) == (dt.date(2026, 11, 3), False)
    # Weekends only would have said Oct 28: the holiday week moved it by four working days.
    # Completed on the make-up Saturday itself: the count starts the next day.
    assert queries.publication_due(db.session, dt.date(2026, 10, 10)) == (
        dt.date(2026, 11, 6),
        False,
    )


def test_publication_due_in_a_year_the_calendar_does_not_know_is_provisional(db):
    # 2031: weekends only, and marked provisional.
    assert queries.publication_due(db.session, dt.date(2031, 3, 3)) == (
        dt.date(2031, 3, 31),
        True,
    )


def completed_task(db, bench, number: str, completed_on: dt.date, published=False) -> Task:
    """A copy of the bench task, completed on `completed_on` (the board reads completions)."""
    source = bench.task
    task = Task(
        number=number,
        year=source.year,
        name=f"任务{number}",
        department_id=source.department_id,
        owner_id=source.owner_id,
        state=workflow.COMPLETED,
        window_start=source.window_start,
        window_end=source.window_end,
    )
    db.session.add(task)
    db.session.flush()
    db.session.add(
        TaskCompletion(
            task_id=task.id,
            completed_on=completed_on,
            completed_at=utcnow(),
            published_at=utcnow() if published else None,
        )
    )
    db.session.commit()
    return task


def test_the_board_groups_overdue_soon_and_later_per_department(db, bench, make_user):
    today = dt.date(2026, 11, 2)  # Monday; 5 working days on: Monday Nov 9
    completions = {
        "T-overdue": dt.date(2026, 9, 28),  # due Fri Oct 30, before today
        "T-today": dt.date(2026, 9, 29),  # due today
        "T-edge": dt.date(2026, 10, 12),  # due Nov 9, the 5th working day after today
        "T-later": dt.date(2026, 10, 13),  # due Nov 10, the 6th
    }
    for number, day in completions.items():
        completed_task(db, bench, number, day)
    completed_task(db, bench, "T-published", dt.date(2026, 9, 1), published=True)
    dues = {n: queries.publication_due(db.session, d)[0] for n, d in completions.items()}
    assert dues == {
        "T-overdue": dt.date(2026, 10, 30),
        "T-today": dt.date(2026, 11, 2),
        "T-edge": dt.date(2026, 11, 9),
        "T-later": dt.date(2026, 11, 10),
    }
    # Tomorrow, "T-overdue" and "T-today" are both overdue.
    board = queries.deadlines(db.session, bench.scene.a.head, dt.date(2026, 11, 3))
    [group] = board
    numbers = {k: [d.task.number for d in getattr(group, k)] for k in ("overdue", "soon", "later")}
    assert numbers == {
        "overdue": ["T-overdue", "T-today"],
        "soon": ["T-edge", "T-later"],
        "later": [],
    }
    # Today: due today is not overdue yet.
    [group] = queries.deadlines(db.session, bench.scene.a.head, today)
    numbers = {k: [d.task.number for d in getattr(group, k)] for k in ("overdue", "soon", "later")}
    assert numbers == {
        "overdue": ["T-overdue"],
        "soon": ["T-today", "T-edge"],
        "later": ["T-later"],
    }
    # Scope: department B's head sees nothing of A; the leader sees A.
    assert queries.deadlines(db.session, bench.scene.b.head, today) == []
    assert [g.department.id for g in queries.deadlines(db.session, bench.scene.leader, today)] == [
        bench.scene.a.department.id
    ]
