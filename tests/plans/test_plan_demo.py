"""The demo plans (server/plans/demo.py), which `seed-demo` publishes for the current year."""

from __future__ import annotations

from sqlalchemy import func, select

from server.audit.operations import CLI
from server.auth.models import Department
from server.plans import queries
from server.plans.demo import seed_plans
from server.plans.models import AnnualPlan, PlanVersion
from server.seed.demo import seed_demo


def test_seed_demo_publishes_one_plan_per_demo_department_once(db):
    first = seed_demo(db.session, password="spotcheck-demo")
    db.session.commit()
    departments = db.session.scalar(select(func.count()).select_from(Department))
    plans = db.session.scalars(select(AnnualPlan)).all()
    assert first["plans"] == first["published"] == len(plans) > 0
    assert len(plans) <= departments
    for plan in plans:
        assert plan.state == "published" and plan.current_version_no == 1
        assert queries.open_findings(db.session, plan) == []
    year = plans[0].year
    again = seed_plans(db.session, CLI, year)
    db.session.commit()
    assert sum(again.values()) == 0
    assert db.session.scalar(select(func.count()).select_from(PlanVersion)) == len(plans)
