"""Reads of results: sections and their sheets, the publication deadline, the deadlines board."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from server.calendar.deadlines import DepartmentBoard
from server.calendar.deadlines import board as deadline_board
from server.calendar.service import WorkdayCalendar
from server.codes.models import Code
from server.results import access
from server.results.models import APPROVED, ResultSheet, TaskCompletion
from server.results.schemas import NOT_ENTERED
from server.tasks import workflow
from server.tasks.models import Task
from server.visits.models import MERGED, Visit, VisitTask
from server.visits.record_models import DRAFT as RECORD_DRAFT
from server.visits.record_models import VisitRecord

# Art. 25: results are entered and published within 20 working days after the task is done.
PUBLICATION_WORKDAYS = 20
# The deadlines board's "due soon": within this many working days from today.
# Tasks whose visits may have results: issued and later (a cancelled task never reaches here).
RESULT_TASK_STATES = (workflow.ISSUED, workflow.IN_PROGRESS, workflow.COMPLETED)


def codes(session: Session, kind: str, *, active_only: bool = False) -> dict[str, Code]:
    """The codes of one kind (server/codes/reference.py) in display order."""
    stmt = select(Code).where(Code.kind == kind).order_by(Code.sort, Code.code)
    if active_only:
        stmt = stmt.where(Code.is_active.is_(True))
    return {row.code: row for row in session.scalars(stmt)}


def get_uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def get_sheet(session: Session, sheet_id) -> ResultSheet | None:
    key = get_uuid(sheet_id)
    return session.get(ResultSheet, key) if key else None


def section(session: Session, visit_id, task_id) -> VisitTask | None:
    stmt = select(VisitTask).where(VisitTask.visit_id == visit_id, VisitTask.task_id == task_id)
    return session.scalars(stmt).first()


def latest_record(session: Session, visit_id, task_id) -> VisitRecord | None:
    """The newest version of the section's inspection record (None: nothing on the server)."""
    stmt = (
        select(VisitRecord)
        .where(VisitRecord.visit_id == visit_id, VisitRecord.task_id == task_id)
        .order_by(VisitRecord.version.desc(), VisitRecord.created_at.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def has_submitted_record(session: Session, task_id) -> bool:
    """Has any inspection record of the task been signed and sent (the field work started)?"""
    stmt = select(VisitRecord.id).where(
        VisitRecord.task_id == task_id, VisitRecord.state != RECORD_DRAFT
    )
    return session.scalars(stmt.limit(1)).first() is not None


def current_sheet(session: Session, visit_id, task_id) -> ResultSheet | None:
    stmt = select(ResultSheet).where(
        ResultSheet.visit_id == visit_id,
        ResultSheet.task_id == task_id,
        ResultSheet.is_current.is_(True),
    )
    return session.scalars(stmt).first()


def versions(session: Session, visit_id, task_id) -> list[ResultSheet]:
    """Every version of a section's result, newest first."""
    stmt = (
        select(ResultSheet)
        .where(ResultSheet.visit_id == visit_id, ResultSheet.task_id == task_id)
        .order_by(ResultSheet.version.desc())
    )
    return list(session.scalars(stmt))


def task_sections(session: Session, task_id) -> list[VisitTask]:
    """The sections of a task that need a result: every visit carrying it (not absorbed)."""
    stmt = (
        select(VisitTask)
        .join(Visit, Visit.id == VisitTask.visit_id)
        .where(VisitTask.task_id == task_id, Visit.state != MERGED)
        .order_by(Visit.uscc, Visit.id)
    )
    return list(session.scalars(stmt))


def pending_sections(session: Session, task_id) -> list[VisitTask]:
    """Sections without a current approved result."""
    approved = set(
        session.scalars(
            select(ResultSheet.visit_id).where(
                ResultSheet.task_id == task_id,
                ResultSheet.is_current.is_(True),
                ResultSheet.state == APPROVED,
            )
        )
    )
    return [s for s in task_sections(session, task_id) if s.visit_id not in approved]


# ---------------------------------------------------------------- the list of sections


def list_sections(user, *, task_id=None, state=None) -> Select:
    """SELECT of VisitTask rows (with their current sheet joined) the user may see."""
    current = and_(
        ResultSheet.visit_id == VisitTask.visit_id,
        ResultSheet.task_id == VisitTask.task_id,
        ResultSheet.is_current.is_(True),
    )
    stmt = (
        select(VisitTask)
        .join(Task, Task.id == VisitTask.task_id)
        .join(Visit, Visit.id == VisitTask.visit_id)
        .outerjoin(ResultSheet, current)
        .where(
            Task.state.in_(RESULT_TASK_STATES),
            Visit.state != MERGED,
            access.visible_tasks(user),
        )
        .order_by(Task.number.desc(), Visit.uscc, Visit.id)
    )
    if task_id is not None:
        stmt = stmt.where(VisitTask.task_id == task_id)
    if state == NOT_ENTERED:
        stmt = stmt.where(ResultSheet.id.is_(None))
    elif state is not None:
        stmt = stmt.where(ResultSheet.state == state)
    return stmt


def sheets_for(session: Session, sections) -> dict[tuple, ResultSheet]:
    """{(visit_id, task_id): current sheet} for the given sections."""
    visit_ids = {s.visit_id for s in sections}
    if not visit_ids:
        return {}
    stmt = select(ResultSheet).where(
        ResultSheet.visit_id.in_(visit_ids), ResultSheet.is_current.is_(True)
    )
    return {(s.visit_id, s.task_id): s for s in session.scalars(stmt)}


def result_tasks(session: Session, user) -> list[Task]:
    """Tasks with results the user may see (the list's task filter)."""
    stmt = (
        select(Task)
        .where(Task.state.in_(RESULT_TASK_STATES), access.visible_tasks(user))
        .order_by(Task.number.desc())
    )
    return list(session.scalars(stmt))


def list_sheets(user, *, task_id=None, state=None) -> Select:
    """SELECT of the current sheets the user may read (the API list)."""
    stmt = (
        select(ResultSheet)
        .join(Task, Task.id == ResultSheet.task_id)
        .where(ResultSheet.is_current.is_(True), access.visible_tasks(user))
        .order_by(ResultSheet.updated_at.desc(), ResultSheet.id)
    )
    if task_id is not None:
        stmt = stmt.where(ResultSheet.task_id == task_id)
    if state is not None:
        stmt = stmt.where(ResultSheet.state == state)
    return stmt


# ---------------------------------------------------------------- deadlines


@dataclasses.dataclass(frozen=True)
class Deadline:
    task: Task
    completed_on: dt.date
    due: dt.date
    provisional: bool  # some day on the way was guessed (a year the calendar does not know)


def completion_of(session: Session, task_id) -> TaskCompletion | None:
    return session.get(TaskCompletion, task_id)


def publication_due(
    session: Session, completed_on: dt.date, calendar: WorkdayCalendar | None = None
) -> tuple[dt.date, bool]:
    """(the publication due date, is it provisional): 20 working days after completion."""
    calendar = calendar or WorkdayCalendar(session)
    return calendar.add_workdays(completed_on, PUBLICATION_WORKDAYS)


def task_deadline(session: Session, task) -> Deadline | None:
    """The publication deadline of a completed task (None before completion)."""
    completion = completion_of(session, task.id)
    if completion is None:
        return None
    due, provisional = publication_due(session, completion.completed_on)
    return Deadline(task, completion.completed_on, due, provisional)


def deadlines(session: Session, user, today: dt.date) -> list[DepartmentBoard]:
    """Completed, not yet published tasks the user may see, per department, grouped:
    overdue, due within SOON_WORKDAYS working days, later (server/calendar/deadlines.py)."""
    calendar = WorkdayCalendar(session)
    stmt = (
        select(TaskCompletion)
        .join(Task, Task.id == TaskCompletion.task_id)
        .where(TaskCompletion.published_at.is_(None), access.visible_tasks(user))
        .order_by(TaskCompletion.completed_on, Task.number)
    )
    entries = []
    for completion in session.scalars(stmt):
        due, provisional = publication_due(session, completion.completed_on, calendar)
        entries.append(Deadline(completion.task, completion.completed_on, due, provisional))
    entries.sort(key=lambda d: (d.due, d.task.number or ""))
    return deadline_board(
        entries,
        department_of=lambda d: d.task.department,
        due_of=lambda d: d.due,
        today=today,
        calendar=calendar,
    )
