"""Reads of objections: lookups, the console list (overdue first), the deadlines board."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, and_, case, select
from sqlalchemy.orm import Session

from server.auth.models import Department
from server.calendar.deadlines import DepartmentBoard
from server.calendar.deadlines import board as deadline_board
from server.calendar.service import WorkdayCalendar
from server.objections import access
from server.objections.models import OPEN_STATES, Objection
from server.results.queries import get_uuid


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


def deadlines(session: Session, user, today: dt.date) -> list[DepartmentBoard]:
    """Open (not yet answered) objections the user may read, per department, grouped: overdue,
    due within SOON_WORKDAYS working days, later (server/calendar/deadlines.py). Each row carries
    its own `due_on` / `due_provisional`."""
    stmt = (
        select(Objection)
        .where(Objection.state.in_(OPEN_STATES), access.visible(user))
        .order_by(Objection.due_on, Objection.reference)
    )
    return deadline_board(
        session.scalars(stmt),
        department_of=lambda o: session.get(Department, o.department_id),
        due_of=lambda o: o.due_on,
        today=today,
        calendar=WorkdayCalendar(session),
    )
