"""Reads of tasks and checklists, and the task's filters as SQL for the draw."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.directory.models import (
    Inspector,
    InspectorExpertise,
    Region,
    Subject,
    SubjectRiskFlag,
    SubjectScope,
    SubjectTag,
)
from server.items.models import Item
from server.plans.models import AnnualPlan, PlanLine
from server.tasks.models import ChecklistTemplate, Task


def list_tasks(
    *, year: int | None = None, department: uuid.UUID | None = None, state: str | None = None
) -> Select:
    stmt = select(Task)
    if year is not None:
        stmt = stmt.where(Task.year == year)
    if department is not None:
        stmt = stmt.where(Task.department_id == department)
    if state:
        stmt = stmt.where(Task.state == state)
    return stmt.order_by(Task.year.desc(), Task.seq.desc().nulls_first(), Task.created_at.desc())


def get_task(session: Session, task_id) -> Task | None:
    try:
        return session.get(Task, uuid.UUID(str(task_id)))
    except ValueError:
        return None


def task_years(session: Session) -> list[int]:
    return list(session.scalars(select(Task.year).distinct().order_by(Task.year.desc())))


def department_items(session: Session, department_id) -> list[Item]:
    """The department's current (not retired) items, in list order."""
    stmt = (
        select(Item)
        .where(Item.department_id == department_id, Item.is_retired.is_(False))
        .order_by(Item.sort, Item.code)
    )
    return list(session.scalars(stmt))


def regions(session: Session) -> dict[str, str]:
    stmt = select(Region).where(Region.is_active.is_(True)).order_by(Region.sort, Region.code)
    return {r.code: r.name for r in session.scalars(stmt)}


def current_templates(session: Session, department_id=None) -> list[ChecklistTemplate]:
    stmt = select(ChecklistTemplate).where(ChecklistTemplate.is_current.is_(True))
    if department_id is not None:
        stmt = stmt.where(ChecklistTemplate.department_id == department_id)
    return list(session.scalars(stmt.order_by(ChecklistTemplate.name)))


def get_template(session: Session, template_id) -> ChecklistTemplate | None:
    try:
        return session.get(ChecklistTemplate, uuid.UUID(str(template_id)))
    except ValueError:
        return None


def template_versions(session: Session, template: ChecklistTemplate) -> list[ChecklistTemplate]:
    stmt = (
        select(ChecklistTemplate)
        .where(ChecklistTemplate.family_id == template.family_id)
        .order_by(ChecklistTemplate.version_no.desc())
    )
    return list(session.scalars(stmt))


def tasks_using(session: Session, template: ChecklistTemplate) -> list[Task]:
    stmt = select(Task).where(Task.checklist_template_id == template.id).order_by(Task.year)
    return list(session.scalars(stmt))


def audit_events(session: Session, task: Task) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.object_type == "task", AuditEvent.object_id == str(task.id))
        .order_by(AuditEvent.seq)
    )
    return list(session.scalars(stmt))


def target_conditions(task: Task) -> list:
    """The task's object filters as WHERE conditions on Subject (for the draw's population).

    The department's directory (subject scope) and the targeted filters: OR within one filter,
    AND across filters. Exclusions (deregistered, yearly cap …) are the draw's business.
    """
    conditions = [
        Subject.is_deleted.is_(False),
        exists().where(
            SubjectScope.subject_id == Subject.id,
            SubjectScope.department_id == task.department_id,
        ),
    ]
    if task.targeting != "targeted":
        return conditions
    filters = task.target_filters or {}
    if filters.get("kinds"):
        conditions.append(Subject.kind.in_(filters["kinds"]))
    if filters.get("scales"):
        conditions.append(Subject.scale.in_(filters["scales"]))
    if filters.get("regions"):
        conditions.append(Subject.region_code.in_(filters["regions"]))
    if filters.get("risk_flags"):
        conditions.append(
            exists().where(
                SubjectRiskFlag.subject_id == Subject.id,
                SubjectRiskFlag.flag.in_(filters["risk_flags"]),
            )
        )
    if filters.get("tags"):
        conditions.append(
            exists().where(SubjectTag.subject_id == Subject.id, SubjectTag.tag.in_(filters["tags"]))
        )
    return conditions


def pool_conditions(task: Task) -> list:
    """The manual pool's filters as WHERE conditions on Inspector (validity is the draw's)."""
    conditions = [Inspector.is_active.is_(True)]
    filters = (task.pool_filters or {}) if task.pool_mode == "manual" else {}
    if filters.get("qualifications"):
        conditions.append(Inspector.qualification.in_(filters["qualifications"]))
    if filters.get("expertise"):
        conditions.append(
            exists().where(
                and_(
                    InspectorExpertise.inspector_id == Inspector.id,
                    InspectorExpertise.tag.in_(filters["expertise"]),
                )
            )
        )
    return conditions


def plan_lines(session: Session, department_id, year: int) -> dict[uuid.UUID, PlanLine] | None:
    """The department's annual plan lines of `year` by item id; None when there is no plan."""
    plan = session.scalars(
        select(AnnualPlan).where(AnnualPlan.department_id == department_id, AnnualPlan.year == year)
    ).first()
    if plan is None:
        return None
    return {line.item_id: line for line in plan.lines}
