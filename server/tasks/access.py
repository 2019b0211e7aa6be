"""Who may set up, edit and review which task, and who keeps checklists."""

from __future__ import annotations

from server.auth.roles import ADMIN, BACK_OFFICE, DEPT_HEAD
from server.tasks import workflow

# A department's head or back office sets its tasks up; the admin may act for anyone.
CREATE_ROLES = (ADMIN, DEPT_HEAD, BACK_OFFICE)
CHECKLIST_ROLES = (ADMIN, DEPT_HEAD, BACK_OFFICE)
REVIEW_ROLES = (DEPT_HEAD,)


def _in_department(user, department_id) -> bool:
    return user.department_id is not None and user.department_id == department_id


def can_create_in(user, department_id) -> bool:
    if user.has_role(ADMIN):
        return True
    return user.has_role(DEPT_HEAD, BACK_OFFICE) and _in_department(user, department_id)


def creatable_departments(user, departments: list) -> list:
    return [d for d in departments if can_create_in(user, d.id)]


def can_edit(user, task) -> bool:
    """Only the owner (or an admin) edits, and only a draft or a returned task."""
    if task.state not in workflow.EDITABLE_STATES:
        return False
    return user.id == task.owner_id or user.has_role(ADMIN)


def can_delete(user, task) -> bool:
    """A draft that never got a number may be thrown away by its owner."""
    return can_edit(user, task) and task.state == workflow.DRAFT and task.number is None


def can_manage_commissions(user, task) -> bool:
    if task.state == workflow.COMPLETED:
        return False
    caps = workflow.capacities(user, task)
    return bool(caps & {workflow.OWNER, workflow.HEAD, workflow.ADMIN})


def can_edit_checklist(user, template) -> bool:
    if user.has_role(ADMIN, BACK_OFFICE):
        return True
    return user.has_role(DEPT_HEAD) and _in_department(user, template.department_id)


def allowed_actions(user, task) -> list[workflow.Transition]:
    """The transitions this user may make on this task now (console buttons).

    Draw-side transitions (announce … complete) are made by the draw/matching code, so the
    task page offers only the review ones.
    """
    console = {"submit", "approve", "return"}
    return [
        t
        for t in workflow.actions_from(task.state)
        if t.action in console and workflow.may(user, task, t)
    ]
