"""Who enters, reviews and reads which results (object-level rules on top of roles_required).

The back office of the task's department enters results; the head of that department reviews
them, never a sheet they entered or submitted themselves; admins and leaders read everything;
a department head or back-office user reads the results of their department's tasks. Inspectors
see results on their phones later (publication), not here.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from server.auth.roles import ADMIN, BACK_OFFICE, DEPT_HEAD, LEADER
from server.tasks.models import Task

READ_ROLES = (BACK_OFFICE, DEPT_HEAD, LEADER, ADMIN)
OVERSEERS = (ADMIN, LEADER)
DEPARTMENT_ROLES = (DEPT_HEAD, BACK_OFFICE)
ENTRY_ROLES = (BACK_OFFICE,)
REVIEW_ROLES = (DEPT_HEAD,)


def _in_department(user, department_id) -> bool:
    return user.department_id is not None and user.department_id == department_id


def sees_all(user) -> bool:
    return user.has_role(*OVERSEERS)


def visible_tasks(user) -> ColumnElement[bool]:
    """WHERE condition on Task: the tasks whose results `user` may read."""
    if sees_all(user):
        return true()
    if user.has_role(*DEPARTMENT_ROLES) and user.department_id is not None:
        return Task.department_id == user.department_id
    return false()


def may_read(user, task) -> bool:
    if sees_all(user):
        return True
    return user.has_role(*DEPARTMENT_ROLES) and _in_department(user, task.department_id)


def may_enter(user, task) -> bool:
    return user.has_role(*ENTRY_ROLES) and _in_department(user, task.department_id)


def is_department_head(user, task) -> bool:
    return user.has_role(*REVIEW_ROLES) and _in_department(user, task.department_id)


def may_review(user, sheet) -> bool:
    """The task department's head, and not the person who entered or submitted the sheet."""
    if not is_department_head(user, sheet.task):
        return False
    return user.id not in (sheet.entered_by_id, sheet.submitted_by_id)
