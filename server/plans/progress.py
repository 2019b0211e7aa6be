"""Progress of an annual plan (Art. 11–13 against Art. 6): per plan line (item) the planned
ratio and frequency, the population, the subjects drawn and checked, the ratio achieved; and
the subjects checked more than twice this year (the cap of Art. 6).

- population: the department's directory (subjects in its scope, active, not deleted) narrowed
  by the line's object filters (kinds, scales, regions, tags, risk flags);
- drawn: distinct subjects on a visit of a task of that year and department carrying the item;
- checked: of those, the ones whose section has an approved inspection record or an approved
  current result;
- checks per subject: distinct visits of the year (any department) with a checked section.

Every figure comes from a few GROUP BY queries (no per-line or per-subject query).
"""

from __future__ import annotations

import collections
import dataclasses
import decimal
import uuid

from sqlalchemy import and_, case, distinct, exists, func, or_, select
from sqlalchemy.orm import Session

from server.directory.models import Subject, SubjectRiskFlag, SubjectScope, SubjectTag
from server.plans.models import AnnualPlan, PlanLine
from server.plans.rules import MAX_CHECKS_PER_SUBJECT
from server.results.models import APPROVED as RESULT_APPROVED
from server.results.models import ResultSheet
from server.tasks import workflow
from server.tasks.models import Task, TaskItem
from server.visits.models import CANCELLED as VISIT_CANCELLED
from server.visits.models import MERGED, Visit, VisitTask
from server.visits.record_models import APPROVED as RECORD_APPROVED
from server.visits.record_models import VisitRecord

# Subjects listed in "checks per subject" (the most checked first).
SUBJECT_ROWS = 500
HUNDRED = decimal.Decimal(100)


@dataclasses.dataclass(frozen=True)
class LineProgress:
    line: PlanLine
    population: int
    drawn: int
    checked: int

    @property
    def planned_percent(self) -> decimal.Decimal:
        return decimal.Decimal(self.line.ratio_percent)

    def _percent(self, n: int) -> decimal.Decimal | None:
        if not self.population:
            return None
        return (decimal.Decimal(n) * HUNDRED / self.population).quantize(decimal.Decimal("0.1"))

    @property
    def drawn_percent(self) -> decimal.Decimal | None:
        return self._percent(self.drawn)

    @property
    def achieved_percent(self) -> decimal.Decimal | None:
        return self._percent(self.checked)

    @property
    def is_met(self) -> bool:
        """The checked share reaches the planned ratio (an empty population needs nothing)."""
        achieved = self.achieved_percent
        return achieved is None or achieved >= self.planned_percent


@dataclasses.dataclass(frozen=True)
class SubjectChecks:
    subject_id: uuid.UUID
    name: str
    uscc: str
    visits: int  # visits of the year (not merged away, not cancelled)
    checks: int  # of those, with an approved record or result

    @property
    def is_over(self) -> bool:
        return self.checks > MAX_CHECKS_PER_SUBJECT


@dataclasses.dataclass(frozen=True)
class PlanProgress:
    plan: AnnualPlan
    lines: list[LineProgress]
    subjects: list[SubjectChecks]
    over_cap: int  # subjects checked more than twice (all of them, not only those listed)


def _checked_section():
    """SQL condition on VisitTask: its section has an approved record or an approved result."""
    record = exists().where(
        VisitRecord.visit_id == VisitTask.visit_id,
        VisitRecord.task_id == VisitTask.task_id,
        VisitRecord.state == RECORD_APPROVED,
    )
    result = exists().where(
        ResultSheet.visit_id == VisitTask.visit_id,
        ResultSheet.task_id == VisitTask.task_id,
        ResultSheet.is_current.is_(True),
        ResultSheet.state == RESULT_APPROVED,
    )
    return or_(record, result)


def _matches(filters: dict, kind, scale, region, tags: frozenset, flags: frozenset) -> bool:
    if filters.get("kinds") and kind not in filters["kinds"]:
        return False
    if filters.get("scales") and scale not in filters["scales"]:
        return False
    if filters.get("regions") and region not in filters["regions"]:
        return False
    if filters.get("tags") and not tags.intersection(filters["tags"]):
        return False
    return not filters.get("risk_flags") or bool(flags.intersection(filters["risk_flags"]))


def populations(session: Session, department_id, lines: list[PlanLine]) -> dict[uuid.UUID, int]:
    """{line id: subjects of the department's directory matching the line's filters}."""
    scoped = select(SubjectScope.subject_id).where(SubjectScope.department_id == department_id)
    alive = (Subject.id.in_(scoped), Subject.is_deleted.is_(False), Subject.status == "active")
    rows = session.execute(
        select(Subject.id, Subject.kind, Subject.scale, Subject.region_code).where(*alive)
    ).all()
    tags: dict = collections.defaultdict(set)
    flags: dict = collections.defaultdict(set)
    joined = select(Subject.id).where(*alive)
    for subject_id, tag in session.execute(
        select(SubjectTag.subject_id, SubjectTag.tag).where(SubjectTag.subject_id.in_(joined))
    ):
        tags[subject_id].add(tag)
    for subject_id, flag in session.execute(
        select(SubjectRiskFlag.subject_id, SubjectRiskFlag.flag).where(
            SubjectRiskFlag.subject_id.in_(joined)
        )
    ):
        flags[subject_id].add(flag)
    # Subjects that look the same to a filter are counted once per profile.
    profiles = collections.Counter(
        (r.kind, r.scale, r.region_code, frozenset(tags[r.id]), frozenset(flags[r.id]))
        for r in rows
    )
    return {
        line.id: sum(
            n for profile, n in profiles.items() if _matches(dict(line.filters or {}), *profile)
        )
        for line in lines
    }


def drawn_and_checked(session: Session, plan: AnnualPlan) -> dict[uuid.UUID, tuple[int, int]]:
    """{item id: (subjects drawn, subjects checked)} for the plan's department and year."""
    checked = _checked_section()
    stmt = (
        select(
            TaskItem.item_id,
            func.count(distinct(VisitTask.subject_id)),
            func.count(distinct(case((checked, VisitTask.subject_id)))),
        )
        .join(Task, Task.id == VisitTask.task_id)
        .join(TaskItem, TaskItem.task_id == Task.id)
        .join(Visit, Visit.id == VisitTask.visit_id)
        .where(
            Task.department_id == plan.department_id,
            Task.year == plan.year,
            Task.state != workflow.CANCELLED,
            Visit.state != MERGED,
        )
        .group_by(TaskItem.item_id)
    )
    return {item_id: (drawn, done) for item_id, drawn, done in session.execute(stmt)}


def subject_checks(session: Session, plan: AnnualPlan) -> tuple[list[SubjectChecks], int]:
    """Subjects on this department's visits of the year, with all their visits and checks of
    the year (every department: the cap is per subject), most checked first."""
    ours = (
        select(VisitTask.subject_id)
        .join(Task, Task.id == VisitTask.task_id)
        .where(Task.department_id == plan.department_id, Task.year == plan.year)
    )
    checked_visit = select(VisitTask.visit_id).where(_checked_section()).scalar_subquery()
    per_subject = (
        select(
            Visit.subject_id.label("subject_id"),
            func.count(distinct(Visit.id)).label("visits"),
            func.count(distinct(case((Visit.id.in_(checked_visit), Visit.id)))).label("checks"),
        )
        .where(
            Visit.year == plan.year,
            Visit.state.not_in((MERGED, VISIT_CANCELLED)),
            Visit.subject_id.in_(ours),
        )
        .group_by(Visit.subject_id)
        .subquery()
    )
    stmt = (
        select(Subject.id, Subject.name, Subject.uscc, per_subject.c.visits, per_subject.c.checks)
        .join(per_subject, per_subject.c.subject_id == Subject.id)
        .order_by(per_subject.c.checks.desc(), per_subject.c.visits.desc(), Subject.uscc)
    )
    rows = [SubjectChecks(*row) for row in session.execute(stmt.limit(SUBJECT_ROWS))]
    over = session.scalar(
        select(func.count())
        .select_from(per_subject)
        .where(and_(per_subject.c.checks > MAX_CHECKS_PER_SUBJECT))
    )
    return rows, over or 0


def plan_progress(session: Session, plan: AnnualPlan) -> PlanProgress:
    lines = list(plan.lines)
    population = populations(session, plan.department_id, lines)
    counts = drawn_and_checked(session, plan)
    subjects, over = subject_checks(session, plan)
    return PlanProgress(
        plan=plan,
        lines=[
            LineProgress(line, population[line.id], *counts.get(line.item_id, (0, 0)))
            for line in lines
        ],
        subjects=subjects,
        over_cap=over,
    )
