"""Who may change which plan: a department head only their own department's (admin: all)."""

from __future__ import annotations

from server.auth.roles import ADMIN, DEPT_HEAD

# Everyone signed in reads plans; these roles write (object check below).
WRITE_ROLES = (ADMIN, DEPT_HEAD)


def can_write_for(user, department_id) -> bool:
    if user.has_role(ADMIN):
        return True
    return (
        user.has_role(DEPT_HEAD)
        and user.department_id is not None
        and user.department_id == department_id
    )


def can_write(user, plan) -> bool:
    return can_write_for(user, plan.department_id)


def writable_departments(user, departments: list) -> list:
    """The departments `user` may create plans for."""
    return [d for d in departments if can_write_for(user, d.id)]
