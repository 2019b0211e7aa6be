"""Who sees which visit, and who decides a merge (object-level rules on top of roles_required).

Admins and leaders oversee every visit. A department head or back-office user sees the visits
that carry a task of their department. An inspector sees only the visits whose team they are on
(the DrawAssignment rows of the visit's (draw, subject) pairs). A user with several roles sees
the union. Merges are decided by the heads of the departments involved, never by the admin
on their behalf (Art. 15: the departments coordinate among themselves).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.orm import Session

from server.auth.roles import ADMIN, BACK_OFFICE, DEPT_HEAD, INSPECTOR, LEADER, ROLES
from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.tasks.models import Task
from server.visits.models import Visit, VisitTask

READERS = ROLES
OVERSEERS = (ADMIN, LEADER)
DEPARTMENT_ROLES = (DEPT_HEAD, BACK_OFFICE)
FIELD_ROLES = (INSPECTOR,)
# The merge queue: heads decide; admins and leaders may look (read only).
MERGE_VIEWERS = (DEPT_HEAD, ADMIN, LEADER)
MERGE_DECIDERS = (DEPT_HEAD,)


def sees_all(user) -> bool:
    return user.has_role(*OVERSEERS)


def _carries_department_task(visit_id, department_id) -> ColumnElement[bool]:
    return exists().where(
        VisitTask.visit_id == visit_id,
        Task.id == VisitTask.task_id,
        Task.department_id == department_id,
    )


def has_team_member(visit_id, user_id) -> ColumnElement[bool]:
    return exists().where(
        VisitTask.visit_id == visit_id,
        DrawAssignment.draw_id == VisitTask.draw_id,
        DrawAssignment.subject_id == VisitTask.subject_id,
        Inspector.id == DrawAssignment.inspector_id,
        Inspector.user_id == user_id,
    )


def _scope(user, visit_id) -> list[ColumnElement[bool]]:
    """The ways `user` may see the visit whose id is the column `visit_id`."""
    ways = []
    if user.has_role(*DEPARTMENT_ROLES) and user.department_id is not None:
        ways.append(_carries_department_task(visit_id, user.department_id))
    if user.has_role(*FIELD_ROLES):
        ways.append(has_team_member(visit_id, user.id))
    return ways


def visible(user) -> ColumnElement[bool]:
    """WHERE condition on Visit: the visits `user` may see.

    A merged (absorbed) visit no longer carries tasks: it is visible to whoever sees the visit
    it was merged into, so its history stays readable to the same people.
    """
    if sees_all(user):
        return true()
    own = _scope(user, Visit.id)
    if not own:
        return false()
    via_target = _scope(user, Visit.merged_into_id)
    return or_(*own, Visit.merged_into_id.is_not(None) & or_(*via_target))


def may_view(session: Session, user, visit: Visit) -> bool:
    if sees_all(user):
        return True
    stmt = select(Visit.id).where(Visit.id == visit.id, visible(user))
    return session.scalar(stmt) is not None


def may_decide(user, department_ids) -> bool:
    """A department head of one of the departments involved in a proposal."""
    return (
        user.has_role(*MERGE_DECIDERS)
        and user.department_id is not None
        and user.department_id in set(department_ids)
    )
