"""Reads of annual plans: lookups, the facts the rules need, line records and snapshots."""

from __future__ import annotations

import collections
import decimal
import json
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import Department
from server.directory.models import Subject, SubjectRiskFlag, SubjectScope, SubjectTag
from server.items.models import Item
from server.plans import rules
from server.plans.models import PUBLISHED, AnnualPlan, PlanLine, PlanVersion


def get_plan(session: Session, plan_id) -> AnnualPlan | None:
    try:
        key = uuid.UUID(str(plan_id))
    except ValueError:
        return None
    return session.get(AnnualPlan, key)


def find_plan(session: Session, department_id, year: int) -> AnnualPlan | None:
    stmt = select(AnnualPlan).where(
        AnnualPlan.department_id == department_id, AnnualPlan.year == year
    )
    return session.scalars(stmt).first()


def list_plans(
    session: Session, *, year: int | None = None, department: uuid.UUID | None = None
) -> list[AnnualPlan]:
    stmt = select(AnnualPlan).join(Department, AnnualPlan.department_id == Department.id)
    if year is not None:
        stmt = stmt.where(AnnualPlan.year == year)
    if department is not None:
        stmt = stmt.where(AnnualPlan.department_id == department)
    stmt = stmt.order_by(AnnualPlan.year.desc(), Department.code)
    return list(session.scalars(stmt).unique())


def published_plans(session: Session) -> list[AnnualPlan]:
    """Plans with at least one public version, newest year first, by department."""
    stmt = (
        select(AnnualPlan)
        .join(Department, AnnualPlan.department_id == Department.id)
        .where(AnnualPlan.current_version_no > 0)
        .order_by(AnnualPlan.year.desc(), Department.code)
    )
    return list(session.scalars(stmt).unique())


def version(session: Session, plan: AnnualPlan, number: int | None = None) -> PlanVersion | None:
    """A public version of the plan (the newest when `number` is None)."""
    number = number or plan.current_version_no
    stmt = select(PlanVersion).where(
        PlanVersion.plan_id == plan.id, PlanVersion.version_no == number
    )
    return session.scalars(stmt).first()


def current_items(session: Session, department_id) -> list[Item]:
    """The department's current list (not retired), in list order."""
    stmt = (
        select(Item)
        .where(Item.department_id == department_id, Item.is_retired.is_(False))
        .order_by(Item.sort, Item.code)
    )
    return [item for item in session.scalars(stmt).unique() if item.current is not None]


def item_rule(item: Item) -> rules.ItemRule:
    v = item.current
    return rules.ItemRule(
        item_id=item.id,
        code=item.code,
        name=v.name,
        ratio_percent=v.ratio_percent,
        ratio_is_statutory=v.ratio_is_statutory,
        frequency_per_year=v.frequency_per_year,
        frequency_is_statutory=v.frequency_is_statutory,
    )


def line_facts(line: PlanLine) -> rules.LineFacts:
    return rules.LineFacts(
        item_id=line.item_id,
        code=line.item.code,
        ratio_percent=decimal.Decimal(line.ratio_percent),
        frequency_per_year=line.frequency_per_year,
        window_start=line.window_start,
        window_end=line.window_end,
        filters=dict(line.filters or {}),
    )


def subject_profiles(session: Session, department_id) -> list[rules.SubjectProfile]:
    """The department's non-high-risk subjects, grouped by what a line filter can look at."""
    scoped = select(SubjectScope.subject_id).where(SubjectScope.department_id == department_id)
    flagged = select(SubjectRiskFlag.subject_id)
    rows = session.execute(
        select(Subject.id, Subject.kind, Subject.scale, Subject.region_code).where(
            Subject.id.in_(scoped),
            Subject.id.not_in(flagged),
            Subject.is_deleted.is_(False),
            Subject.status == "active",
        )
    ).all()
    tags: dict = collections.defaultdict(set)
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 5000):  # stay under bound-parameter limits
        chunk = ids[start : start + 5000]
        for subject_id, tag in session.execute(
            select(SubjectTag.subject_id, SubjectTag.tag).where(SubjectTag.subject_id.in_(chunk))
        ):
            tags[subject_id].add(tag)
    counts = collections.Counter(
        (row.kind, row.scale, row.region_code, frozenset(tags.get(row.id, ()))) for row in rows
    )
    return [
        rules.SubjectProfile(kind, scale, region, tag_set, n)
        for (kind, scale, region, tag_set), n in counts.items()
    ]


def findings(session: Session, plan: AnnualPlan) -> list[rules.Finding]:
    """Every finding of the plan's working lines against the department's current list."""
    return rules.check_plan(
        year=plan.year,
        items=[item_rule(i) for i in current_items(session, plan.department_id)],
        lines=[line_facts(line) for line in plan.lines],
        profiles=subject_profiles(session, plan.department_id),
    )


def override_keys(plan: AnnualPlan) -> set[tuple]:
    return {(o.rule_code, o.item_id) for o in plan.overrides}


def open_findings(session: Session, plan: AnnualPlan) -> list[rules.Finding]:
    return rules.open_findings(findings(session, plan), override_keys(plan))


def line_record(line: PlanLine) -> dict:
    """A line as plain JSON (what a version snapshot keeps and the pages render)."""
    return {
        "item_id": str(line.item_id),
        "item_code": line.item.code,
        "item_name": line.item_version.name,
        "item_version_no": line.item_version.version_no,
        "legal_basis": line.item_version.legal_basis,
        "objects": line.objects,
        "filters": dict(line.filters or {}),
        "content": line.content,
        "methods": list(line.methods or []),
        "ratio_percent": str(decimal.Decimal(line.ratio_percent).quantize(decimal.Decimal("0.01"))),
        "frequency_per_year": line.frequency_per_year,
        "window_start": line.window_start.isoformat(),
        "window_end": line.window_end.isoformat(),
        "notes": line.notes or "",
    }


def override_record(override) -> dict:
    """An override as plain JSON (public: no names)."""
    return {
        "rule_code": override.rule_code,
        "rule_name": rules.RULE_NAMES.get(override.rule_code, override.rule_code),
        "item_code": override.item.code if override.item else None,
        "justification": override.justification,
        "at": override.created_at.isoformat(),
    }


def snapshot(plan: AnnualPlan) -> dict:
    return {
        "lines": [line_record(line) for line in plan.lines],
        "overrides": [override_record(o) for o in plan.overrides],
        "filed_to": plan.filed_to,
    }


def has_unpublished_changes(session: Session, plan: AnnualPlan) -> bool:
    """A published plan whose working lines or overrides differ from its newest version."""
    if plan.state != PUBLISHED:
        return False
    newest = version(session, plan)
    if newest is None:
        return True
    return _comparable(newest.snapshot) != _comparable(snapshot(plan))


def _comparable(snap: dict) -> tuple:
    # Item names/versions follow the item list; a plan change is a change of the plan's fields.
    keys = (
        "item_id",
        "objects",
        "filters",
        "content",
        "methods",
        "ratio_percent",
        "frequency_per_year",
        "window_start",
        "window_end",
        "notes",
    )
    lines = tuple(
        json.dumps([line.get(k) for k in keys], sort_keys=True) for line in snap.get("lines", [])
    )
    overrides = tuple(
        (o["rule_code"], o["item_code"], o["justification"]) for o in snap.get("overrides", [])
    )
    return lines, overrides
