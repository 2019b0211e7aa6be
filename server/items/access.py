"""Who may change which item: a department head only their own department's items."""

from __future__ import annotations

from server.auth.roles import ADMIN, BACK_OFFICE, DEPT_HEAD

# Everyone signed in may read the list; these roles may write (object checks below).
CREATE_ROLES = (ADMIN, DEPT_HEAD, BACK_OFFICE)
EDIT_ROLES = (ADMIN, DEPT_HEAD, BACK_OFFICE)
# Taking an item off the list is the owning department's decision (or the admin's); the
# back office keeps the list's content but does not decide what is checked.
RETIRE_ROLES = (ADMIN, DEPT_HEAD)


def _owns(user, department_id) -> bool:
    return user.department_id is not None and user.department_id == department_id


def can_create_in(user, department_id) -> bool:
    if user.has_role(ADMIN, BACK_OFFICE):
        return True
    return user.has_role(DEPT_HEAD) and _owns(user, department_id)


def can_edit(user, item) -> bool:
    return can_create_in(user, item.department_id)


def can_retire(user, item) -> bool:
    if user.has_role(ADMIN):
        return True
    return user.has_role(DEPT_HEAD) and _owns(user, item.department_id)


def assignable_departments(user, departments: list) -> list:
    """The departments `user` may give an item to (a department head: only their own)."""
    if user.has_role(ADMIN, BACK_OFFICE):
        return departments
    if user.has_role(DEPT_HEAD):
        return [d for d in departments if _owns(user, d.id)]
    return []
