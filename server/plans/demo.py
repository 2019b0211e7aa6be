"""Demo annual plans: one published plan per demo department (for `seed-demo`, wired by the lead).

Idempotent: a department that already has a plan for the year is taken from where it stands
(a draft is completed, filed and published; a published plan is left alone).
"""

from __future__ import annotations

import collections

from sqlalchemy.orm import Session

from server.audit.operations import Actor
from server.items import queries as item_queries
from server.plans import operations, queries
from server.plans.models import DRAFT, FILED

# A demo plan keeps the item list's defaults; should the demo directory make a default plan
# break a rule, the demo says so openly instead of hiding it.
DEMO_JUSTIFICATION = "演示数据：按事项清单默认值制定，规则偏离已由科室负责人复核确认"


def seed_plans(session: Session, actor: Actor, year: int) -> collections.Counter:
    """Create, file and publish `year`'s plan of every active department with current items."""
    done: collections.Counter = collections.Counter()
    for department in item_queries.departments(session):
        if not queries.current_items(session, department.id):
            continue
        plan = queries.find_plan(session, department.id, year)
        if plan is None:
            plan = operations.create_plan(
                session, actor=actor, department_id=department.id, year=year
            )
            done["plans"] += 1
        if plan.state == DRAFT:
            if any(f.code == "coverage" for f in queries.findings(session, plan)):
                operations.add_missing_lines(session, actor=actor, plan=plan)
            for finding in queries.open_findings(session, plan):
                operations.add_override(
                    session,
                    actor=actor,
                    plan=plan,
                    rule_code=finding.code,
                    item_id=finding.item_id,
                    justification=DEMO_JUSTIFICATION,
                )
                done["overrides"] += 1
            operations.file_plan(session, actor=actor, plan=plan)
        if plan.state == FILED:
            operations.publish_plan(session, actor=actor, plan=plan)
            done["published"] += 1
    return done
