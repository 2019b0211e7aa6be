"""Who handles and reads which objections (on top of roles_required).

The back office of the task's department handles an objection (review, decision, correction,
reply, paper entry); the head of that department reads it (and approves the corrected result
in server/results as usual); admins and leaders read every department's.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from server.auth.roles import ADMIN, BACK_OFFICE, DEPT_HEAD, LEADER
from server.objections.models import Objection

READ_ROLES = (BACK_OFFICE, DEPT_HEAD, LEADER, ADMIN)
OVERSEERS = (ADMIN, LEADER)
DEPARTMENT_ROLES = (DEPT_HEAD, BACK_OFFICE)
HANDLER_ROLES = (BACK_OFFICE,)


def _in_department(user, department_id) -> bool:
    return user.department_id is not None and user.department_id == department_id


def visible(user) -> ColumnElement[bool]:
    """WHERE condition on Objection: the objections `user` may read."""
    if user.has_role(*OVERSEERS):
        return true()
    if user.has_role(*DEPARTMENT_ROLES) and user.department_id is not None:
        return Objection.department_id == user.department_id
    return false()


def may_read(user, objection) -> bool:
    if user.has_role(*OVERSEERS):
        return True
    return user.has_role(*DEPARTMENT_ROLES) and _in_department(user, objection.department_id)


def may_handle_department(user, department_id) -> bool:
    return user.has_role(*HANDLER_ROLES) and _in_department(user, department_id)


def may_handle(user, objection) -> bool:
    return may_handle_department(user, objection.department_id)
