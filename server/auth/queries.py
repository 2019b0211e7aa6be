"""Read-side queries of the admin console (the user list filter, department choices)."""

from __future__ import annotations

import datetime as dt
import uuid

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session

from server.auth.models import Department, User, UserRole


def users_query(
    *,
    q: str | None = None,
    role: str | None = None,
    department_id: uuid.UUID | None = None,
    state: str | None = None,
    now: dt.datetime,
) -> Select:
    """Users matching the list's filters, ordered by username (for server-side paging)."""
    stmt = select(User)
    if q:
        stmt = stmt.where(
            or_(
                User.username.icontains(q, autoescape=True),
                User.display_name.icontains(q, autoescape=True),
            )
        )
    if role:
        stmt = stmt.where(exists().where(UserRole.user_id == User.id, UserRole.role == role))
    if department_id:
        stmt = stmt.where(User.department_id == department_id)
    if state == "active":
        stmt = stmt.where(User.is_active.is_(True))
    elif state == "inactive":
        stmt = stmt.where(User.is_active.is_(False))
    elif state == "locked":
        stmt = stmt.where(User.locked_until > now)
    return stmt.order_by(func.lower(User.username), User.id)


def departments(session: Session, *, active_only: bool = False) -> list[Department]:
    stmt = select(Department).order_by(Department.code)
    if active_only:
        stmt = stmt.where(Department.is_active.is_(True))
    return list(session.scalars(stmt))


def department_user_counts(session: Session) -> dict[uuid.UUID, int]:
    """Active users per department, for the department list."""
    rows = session.execute(
        select(User.department_id, func.count())
        .where(User.is_active.is_(True), User.department_id.is_not(None))
        .group_by(User.department_id)
    )
    return {dept_id: count for dept_id, count in rows}


def department_choices(session: Session, *, keep: uuid.UUID | None = None) -> dict[str, str]:
    """{id: name} of the active departments, plus `keep` (a user's current one) if inactive."""
    choices = {}
    for dept in departments(session):
        if dept.is_active or dept.id == keep:
            choices[str(dept.id)] = (
                dept.name if dept.is_active else _("%(name)s（已停用）", name=dept.name)
            )
    return choices
