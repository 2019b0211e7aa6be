"""Reads of objections: lookups, the console list (overdue first), the deadlines board."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import Select, and_, case, select
from sqlalchemy.orm import Session

from server.auth.models import Department
from server.calendar.service import WorkdayCalendar
from server.objections import access
from server.objections.models import OPEN_STATES, Objection

# The deadlines board's "due soon": within this many working days from today (as for results).
SOON_WORKDAYS = 5


def get_uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def get(session: Session, objection_id) -> Objection | None:
    key = get_uuid(objection_id)
    return session.get(Objection, key) if key else None


def by_reference(session: Session, reference: str, uscc: str) -> Objection | None:
    """The applicant's lookup: both must match (a reference alone shows nothing)."""
    reference = (reference or "").strip().upper()
    stmt = select(Objection).where(Objection.reference == reference, Objection.uscc == uscc)
    return session.scalars(stmt).first()


def list_objections(user, *, today: dt.date, state=None, task_id=None) -> Select:
    """SELECT of the objections the user may read: overdue first, then by due date."""
    overdue = and_(Objection.state.in_(OPEN_STATES), Objection.due_on < today)
    stmt = (
        select(Objection)
        .where(access.visible(user))
        .order_by(
            case((overdue, 0), else_=1),
            case((Objection.state.in_(OPEN_STATES), 0), else_=1),
            Objection.due_on,
            Objection.reference,
        )
    )
    if state is not None:
        stmt = stmt.where(Objection.state == state)
    if task_id is not None:
        stmt = stmt.where(Objection.task_id == task_id)
    return stmt


# ---------------------------------------------------------------- deadlines


@dataclasses.dataclass
class DepartmentObjections:
    department: Department
    overdue: list[Objection] = dataclasses.field(default_factory=list)
    soon: list[Objection] = dataclasses.field(default_factory=list)
    later: list[Objection] = dataclasses.field(default_factory=list)


def deadlines(session: Session, user, today: dt.date) -> list[DepartmentObjections]:
    """Open (not yet answered) objections the user may read, per department, grouped: overdue
    (due before today), due within SOON_WORKDAYS working days, later. Each row carries its own
    `due_on` / `due_provisional`."""
    horizon, _ = WorkdayCalendar(session).add_workdays(today, SOON_WORKDAYS)
    stmt = (
        select(Objection)
        .where(Objection.state.in_(OPEN_STATES), access.visible(user))
        .order_by(Objection.due_on, Objection.reference)
    )
    board: dict[uuid.UUID, DepartmentObjections] = {}
    for objection in session.scalars(stmt):
        group = board.get(objection.department_id)
        if group is None:
            department = session.get(Department, objection.department_id)
            group = board[objection.department_id] = DepartmentObjections(department)
        if objection.due_on < today:
            group.overdue.append(objection)
        elif objection.due_on <= horizon:
            group.soon.append(objection)
        else:
            group.later.append(objection)
    return sorted(board.values(), key=lambda g: g.department.code)
