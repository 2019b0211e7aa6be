"""Plan writes: create, line edits, overrides, file, publish, adjust — and their audit events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.audit.operations import SYSTEM
from server.items import operations as item_operations
from server.plans import operations, queries
from server.plans.models import DRAFT, FILED, PUBLISHED
from server.plans.operations import PlanError


def _actions(db, plan) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "annual_plan", AuditEvent.object_id == str(plan.id))
            .order_by(AuditEvent.seq)
        )
    )


def _codes(db, plan) -> list[str]:
    return [f.code for f in queries.findings(db.session, plan)]


def test_a_new_draft_has_one_line_per_current_item_with_the_item_defaults(
    db, dept, make_item, actor
):
    make_item(department=dept, code="SWJ-001")
    statutory = make_item(
        department=dept,
        code="SWJ-002",
        ratio_percent=Decimal("2"),
        ratio_is_statutory=True,
        frequency_per_year=2,
    )
    retired = make_item(department=dept, code="SWJ-003")
    item_operations.retire_item(db.session, actor=SYSTEM, item=retired, reason="不再检查")
    plan = operations.create_plan(db.session, actor=actor, department_id=dept.id, year=2026)
    assert plan.state == DRAFT
    assert [line.item.code for line in plan.lines] == ["SWJ-001", "SWJ-002"]
    default, own = plan.lines
    assert (default.ratio_percent, default.frequency_per_year) == (Decimal("5"), 1)
    assert (own.ratio_percent, own.frequency_per_year) == (Decimal("2"), 2)
    assert own.item_version_id == statutory.current_version_id
    assert default.methods == ["onsite", "documentary"]
    assert (default.window_start, default.window_end) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 12, 31),
    )
    assert queries.findings(db.session, plan) == []
    assert _actions(db, plan) == ["plan.create"]


def test_one_plan_per_department_and_year(make_plan, dept, db):
    make_plan(2026)
    with pytest.raises(PlanError) as error:
        operations.create_plan(db.session, actor=SYSTEM, department_id=dept.id, year=2026)
    assert error.value.status == 409
    assert "已存在" in str(error.value)


def test_an_item_added_after_the_draft_is_a_missing_line_until_added(
    db, make_plan, dept, make_item, actor
):
    plan = make_plan()
    make_item(department=dept, code="SWJ-009")
    assert _codes(db, plan) == ["coverage"]
    assert operations.add_missing_lines(db.session, actor=actor, plan=plan) == 1
    assert _codes(db, plan) == []
    assert _actions(db, plan)[-1] == "plan.line_update"


def test_a_line_edit_is_stored_and_audited(db, make_plan, actor, line_data):
    plan = make_plan()
    line = plan.lines[0]
    operations.update_line(
        db.session,
        actor=actor,
        plan=plan,
        line=line,
        data=line_data(ratio_percent=Decimal("8.5"), tags=["预付卡"], kinds=["enterprise"]),
    )
    assert line.ratio_percent == Decimal("8.5")
    assert line.filters["tags"] == ["预付卡"] and line.filters["kinds"] == ["enterprise"]
    assert line.window_start == dt.date(2026, 3, 1)
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.action == "plan.line_update" and event.details["item"] == "SWJ-001"


def test_filing_is_refused_while_a_finding_has_no_override(db, make_plan, actor, line_data):
    plan = make_plan()
    operations.update_line(
        db.session, actor=actor, plan=plan, line=plan.lines[0], data=line_data(ratio_percent=3)
    )
    with pytest.raises(PlanError) as error:
        operations.file_plan(db.session, actor=actor, plan=plan)
    assert error.value.status == 409
    assert "不能报备" in str(error.value) and "低于 5%" in str(error.value)
    assert plan.state == DRAFT


def test_an_override_with_a_justification_lets_the_plan_be_filed(db, make_plan, actor, line_data):
    plan = make_plan()
    line = plan.lines[0]
    operations.update_line(
        db.session, actor=actor, plan=plan, line=line, data=line_data(ratio_percent=3)
    )
    operations.add_override(
        db.session,
        actor=actor,
        plan=plan,
        rule_code="ratio",
        item_id=line.item_id,
        justification="该类企业仅 20 户，3% 已覆盖重点企业，另行开展专项检查",
    )
    operations.file_plan(db.session, actor=actor, plan=plan, filed_to="市市场监管局")
    assert plan.state == FILED and plan.filed_to == "市市场监管局" and plan.filed_at
    assert _actions(db, plan)[-2:] == ["plan.override", "plan.file"]


@pytest.mark.parametrize("justification", ["", "   ", "太短了"])
def test_an_override_needs_a_written_justification(db, make_plan, actor, line_data, justification):
    plan = make_plan()
    line = plan.lines[0]
    operations.update_line(
        db.session, actor=actor, plan=plan, line=line, data=line_data(ratio_percent=3)
    )
    with pytest.raises(PlanError) as error:
        operations.add_override(
            db.session,
            actor=actor,
            plan=plan,
            rule_code="ratio",
            item_id=line.item_id,
            justification=justification,
        )
    assert error.value.field == "justification"
    assert plan.overrides == []


def test_an_override_is_refused_for_a_rule_that_is_not_broken(db, make_plan, actor):
    plan = make_plan()
    with pytest.raises(PlanError, match="没有与之对应的规则偏离"):
        operations.add_override(
            db.session,
            actor=actor,
            plan=plan,
            rule_code="ratio",
            item_id=plan.lines[0].item_id,
            justification="理由写得足够长足够长足够长",
        )


def test_publishing_needs_filing_first_and_makes_version_1(db, make_plan, actor):
    plan = make_plan()
    with pytest.raises(PlanError, match="须先报备"):
        operations.publish_plan(db.session, actor=actor, plan=plan)
    operations.file_plan(db.session, actor=actor, plan=plan)
    version = operations.publish_plan(db.session, actor=actor, plan=plan)
    assert plan.state == PUBLISHED and plan.current_version_no == 1
    assert version.version_no == 1 and version.reason == "首次公开"
    assert [li["item_code"] for li in version.snapshot["lines"]] == ["SWJ-001", "SWJ-002"]
    assert _actions(db, plan) == ["plan.create", "plan.file", "plan.publish"]


def test_editing_a_filed_plan_sends_it_back_to_draft(db, make_plan, actor, line_data):
    plan = make_plan()
    operations.file_plan(db.session, actor=actor, plan=plan)
    operations.update_line(db.session, actor=actor, plan=plan, line=plan.lines[0], data=line_data())
    assert plan.state == DRAFT


def _published(db, make_plan, actor):
    plan = make_plan()
    operations.file_plan(db.session, actor=actor, plan=plan)
    operations.publish_plan(db.session, actor=actor, plan=plan)
    db.session.commit()
    return plan


def test_an_adjustment_is_version_2_and_version_1_stays_as_published(
    db, make_plan, actor, line_data
):
    plan = _published(db, make_plan, actor)
    operations.update_line(
        db.session,
        actor=actor,
        plan=plan,
        line=plan.lines[0],
        data=line_data(ratio_percent=Decimal("10")),
    )
    assert plan.state == PUBLISHED and queries.has_unpublished_changes(db.session, plan)
    version = operations.adjust_plan(
        db.session, actor=actor, plan=plan, reason="投诉增多，提高比例"
    )
    db.session.commit()
    assert version.version_no == 2 and plan.current_version_no == 2
    first = queries.version(db.session, plan, 1)
    assert first.snapshot["lines"][0]["ratio_percent"] == "5.00"
    assert version.snapshot["lines"][0]["ratio_percent"] == "10.00"
    assert version.reason == "投诉增多，提高比例"
    assert _actions(db, plan)[-2:] == ["plan.line_update", "plan.adjust"]


def test_an_adjustment_without_changes_or_reason_is_refused(db, make_plan, actor):
    plan = _published(db, make_plan, actor)
    with pytest.raises(PlanError, match="请填写调整原因"):
        operations.adjust_plan(db.session, actor=actor, plan=plan, reason=" ")
    with pytest.raises(PlanError, match="没有变化"):
        operations.adjust_plan(db.session, actor=actor, plan=plan, reason="例行调整")


def test_an_adjustment_with_an_open_finding_is_refused(db, make_plan, actor, line_data):
    plan = _published(db, make_plan, actor)
    operations.update_line(
        db.session, actor=actor, plan=plan, line=plan.lines[0], data=line_data(frequency_per_year=0)
    )
    with pytest.raises(PlanError, match="不能公开调整"):
        operations.adjust_plan(db.session, actor=actor, plan=plan, reason="暂停本事项检查")


def test_the_subject_cap_counts_the_departments_directory_but_not_high_risk_subjects(
    db, make_plan, dept, make_subject, make_item, actor, line_data
):
    make_item(department=dept, code="SWJ-003")
    plan = make_plan()
    make_subject(departments=[dept])
    make_subject(departments=[dept], risk_flags=["complaints"])
    make_subject(departments=[])  # not in the department's directory
    windows = [((1, 1), (3, 31)), ((5, 1), (6, 30)), ((9, 1), (10, 31))]
    for line, (start, end) in zip(plan.lines, windows, strict=True):
        operations.update_line(
            db.session,
            actor=actor,
            plan=plan,
            line=line,
            data=line_data(window_start=dt.date(2026, *start), window_end=dt.date(2026, *end)),
        )
    findings = queries.findings(db.session, plan)
    assert [f.code for f in findings] == ["subject_cap"]
    assert "涉及 1 户" in findings[0].text()
