"""Writes of annual plans: create, edit a line, override, file, publish, adjust.

Each is one operation with one audit event; they flush, never commit.
"""

from __future__ import annotations

import datetime as dt
import uuid

from flask_babel import gettext
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.auth.models import Department
from server.errors import OperationError
from server.i18n import N_
from server.orm import utcnow
from server.plans import queries, rules
from server.plans.models import (
    DEFAULT_FILED_TO,
    DRAFT,
    FILED,
    PUBLISHED,
    AnnualPlan,
    PlanLine,
    PlanOverride,
    PlanVersion,
)
from server.plans.schemas import FILTER_KEYS, MIN_JUSTIFICATION

DEFAULT_RATIO = rules.DEFAULT_MIN_RATIO


class PlanError(OperationError):
    """A refused plan write; `msgid` is Chinese, `translated()` gives the page's language.

    `status` is the HTTP status a view should answer with (409 for a state conflict).
    """


def _record(session, actor, action, plan, **details) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        object_type="annual_plan",
        object_id=plan.id,
        state=plan.audit_state(),
        details={"year": plan.year, "department": plan.department.code, **details},
    )


def _line_from_item(item, year: int, sort: int) -> PlanLine:
    """A default line: the item's own scope, content, methods, ratio and frequency; all year."""
    v = item.current
    return PlanLine(
        item=item,
        item_version=v,
        sort=sort,
        objects=v.object_scope,
        filters={**{k: [] for k in FILTER_KEYS}, "department_scope": True},
        content=v.content,
        methods=list(v.methods or []),
        ratio_percent=v.ratio_percent if v.ratio_percent is not None else DEFAULT_RATIO,
        frequency_per_year=v.frequency_per_year or rules.DEFAULT_MIN_FREQUENCY,
        window_start=dt.date(year, 1, 1),
        window_end=dt.date(year, 12, 31),
    )


def create_plan(session: Session, *, actor: Actor, department_id, year: int) -> AnnualPlan:
    """A draft for a department and year, one line per current item of its list."""
    department = session.get(Department, uuid.UUID(str(department_id)))
    if department is None or not department.is_active:
        raise PlanError(N_("请选择有效的科室"), "department_id")
    if queries.find_plan(session, department.id, year) is not None:
        raise PlanError(
            N_("%(dept)s %(year)s 年度计划已存在"), "year", 409, dept=department.name, year=year
        )
    plan = AnnualPlan(department=department, year=year, state=DRAFT, created_by_id=actor.id)
    items = queries.current_items(session, department.id)
    plan.lines = [_line_from_item(item, year, n) for n, item in enumerate(items)]
    session.add(plan)
    session.flush()
    _record(session, actor, "plan.create", plan, lines=len(plan.lines))
    return plan


def add_missing_lines(session: Session, *, actor: Actor, plan: AnnualPlan) -> int:
    """Add default lines for current items the plan does not cover yet (a line edit)."""
    planned = {line.item_id for line in plan.lines}
    missing = [i for i in queries.current_items(session, plan.department_id) if i.id not in planned]
    if not missing:
        raise PlanError(N_("计划已涵盖全部现行事项"))
    start = max((line.sort for line in plan.lines), default=-1) + 1
    for n, item in enumerate(missing):
        plan.lines.append(_line_from_item(item, plan.year, start + n))
    _edited(plan)
    session.flush()
    _record(session, actor, "plan.line_update", plan, added=[i.code for i in missing])
    return len(missing)


def _edited(plan: AnnualPlan) -> None:
    # A filed plan that changes must be filed again (the regulator has the old one).
    if plan.state == FILED:
        plan.state = DRAFT


def update_line(
    session: Session, *, actor: Actor, plan: AnnualPlan, line: PlanLine, data: dict
) -> PlanLine:
    """Change one line (data validated by LineArgs). After publication the change stays
    unpublished until an adjustment (new version with a reason)."""
    if line.plan_id != plan.id:
        raise PlanError(N_("该行不属于此计划"), status=404)
    before_state = plan.state
    line.objects = data["objects"]
    line.content = data["content"]
    line.methods = list(data["methods"])
    line.ratio_percent = data["ratio_percent"]
    line.frequency_per_year = data["frequency_per_year"]
    line.window_start = data["window_start"]
    line.window_end = data["window_end"]
    line.notes = data.get("notes")
    line.filters = {
        **{k: sorted(set(data.get(k) or [])) for k in FILTER_KEYS},
        "department_scope": bool(data.get("department_scope")),
    }
    # The line now follows the item's current version.
    if line.item.current is not None:
        line.item_version = line.item.current
    _edited(plan)
    session.flush()
    _record(
        session,
        actor,
        "plan.line_update",
        plan,
        item=line.item.code,
        back_to_draft=before_state == FILED,
    )
    return line


def add_override(
    session: Session,
    *,
    actor: Actor,
    plan: AnnualPlan,
    rule_code: str,
    item_id,
    justification: str,
) -> PlanOverride:
    """Break a rule on purpose: only for a current finding, with a written justification."""
    justification = (justification or "").strip()
    if len(justification) < MIN_JUSTIFICATION:
        raise PlanError(N_("请填写突破规则的书面理由（至少 10 个字）"), "justification")
    key = (rule_code, uuid.UUID(str(item_id)) if item_id else None)
    if key not in {f.key for f in queries.findings(session, plan)}:
        raise PlanError(N_("没有与之对应的规则偏离，无需说明"), "rule_code")
    if key in queries.override_keys(plan):
        raise PlanError(N_("该偏离已有说明"), "rule_code", 409)
    override = PlanOverride(
        rule_code=rule_code,
        item_id=key[1],
        justification=justification,
        created_at=utcnow(),
        created_by_id=actor.id,
    )
    plan.overrides.append(override)  # (not plan=: the backref would append it twice)
    _edited(plan)
    session.flush()
    _record(
        session,
        actor,
        "plan.override",
        plan,
        rule=rule_code,
        item=override.item.code if override.item else None,
        justification=justification,
    )
    return override


def _refuse_open_findings(session: Session, plan: AnnualPlan, doing: str) -> None:
    open_ = queries.open_findings(session, plan)
    if open_:
        raise PlanError(
            N_("计划有 %(n)s 项不符合规则且未说明理由，不能%(doing)s：%(first)s"),
            status=409,
            n=len(open_),
            doing=doing,
            first=gettext(open_[0].message, **open_[0].params),
        )


def file_plan(
    session: Session, *, actor: Actor, plan: AnnualPlan, filed_to: str = DEFAULT_FILED_TO
) -> None:
    """报备 (Art. 11): record that the plan went to the regulator for the record."""
    if plan.state != DRAFT:
        raise PlanError(N_("只有草稿状态的计划可以报备"), status=409)
    _refuse_open_findings(session, plan, gettext("报备"))
    plan.state = FILED
    plan.filed_at = utcnow()
    plan.filed_by_id = actor.id
    plan.filed_to = filed_to
    session.flush()
    _record(session, actor, "plan.file", plan, filed_to=filed_to)


def _new_version(session, actor, plan: AnnualPlan, reason: str) -> PlanVersion:
    number = plan.current_version_no + 1
    version = PlanVersion(
        plan=plan,
        version_no=number,
        reason=reason,
        snapshot=queries.snapshot(plan),
        created_at=utcnow(),
        created_by_id=actor.id,
    )
    session.add(version)
    plan.current_version_no = number
    return version


def publish_plan(session: Session, *, actor: Actor, plan: AnnualPlan) -> PlanVersion:
    """Make the filed plan public as version 1 (Art. 13)."""
    if plan.state != FILED:
        raise PlanError(N_("计划须先报备，才能公开"), status=409)
    _refuse_open_findings(session, plan, gettext("公开"))
    # The public record keeps the bureau's language whatever the publisher's UI language.
    version = _new_version(session, actor, plan, "首次公开")
    plan.state = PUBLISHED
    plan.published_at = version.created_at
    plan.published_by_id = actor.id
    session.flush()
    _record(session, actor, "plan.publish", plan, version_no=version.version_no)
    return version


def adjust_plan(session: Session, *, actor: Actor, plan: AnnualPlan, reason: str) -> PlanVersion:
    """动态调整 (Art. 13): publish the edited lines as a new version with its reason."""
    reason = (reason or "").strip()
    if not reason:
        raise PlanError(N_("请填写调整原因"), "reason")
    if plan.state != PUBLISHED:
        raise PlanError(N_("只有已公开的计划可以调整；未公开的计划请直接修改"), status=409)
    if not queries.has_unpublished_changes(session, plan):
        raise PlanError(N_("计划内容没有变化，未生成新版本"), status=409)
    _refuse_open_findings(session, plan, gettext("公开调整"))
    version = _new_version(session, actor, plan, reason)
    session.flush()
    _record(session, actor, "plan.adjust", plan, version_no=version.version_no, reason=reason)
    return version
