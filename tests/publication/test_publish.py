"""publish(): who, when, what the snapshot holds (and never holds), versions after corrections
and objections, the deadlines board.

Run: .venv/bin/pytest -n0 -q tests/publication/test_publish.py   (add DATABASE_URL for PG)
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import func, select

from server.audit.chain import canonical_digest
from server.audit.models import AuditEvent
from server.auth.operations import actor_for
from server.publication import operations, queries
from server.publication.models import PENDING, Publication, PublicationJob
from server.publication.operations import PublicationError
from server.results import operations as result_operations
from server.results import queries as result_queries
from server.results.models import APPROVED, DRAFT, TaskCompletion
from tests.publication.conftest import COMPLETED_ON, correct_and_approve, publish


def refused(call, status: int, field: str | None = None):
    with pytest.raises(PublicationError) as error:
        call()
    assert error.value.status == status, error.value
    if field is not None:
        assert error.value.field == field
    return error.value


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_back_office_publishes_version_one_with_a_public_snapshot(db, completed):
    bench = completed
    publication = publish(db, bench)
    assert (publication.version_no, publication.is_latest, publication.reason) == (1, True, None)
    assert publication.published_by_id == bench.side.office.id
    completion = db.session.get(TaskCompletion, bench.task.id)
    assert completion.published_at == publication.published_at
    snap = publication.snapshot
    assert publication.sha256 == canonical_digest(snap)
    assert snap["version_no"] == 1 and snap["completed_on"] == COMPLETED_ON.isoformat()
    assert snap["task"]["number"] == bench.task.number and snap["task"]["name"] == bench.task.name
    assert snap["task"]["targeted"] is False and snap["task"]["targeting"] == "不定向抽取"
    assert snap["checking_body"] == {
        "bureau": "威海经济技术开发区商务局",
        "department": "商贸流通科",
    }
    assert snap["plan"] is None  # an ad hoc task: no annual plan
    usccs = sorted(bench.visit(v).uscc for v in bench.visit_ids())
    assert sorted(s["uscc"] for s in snap["subjects"]) == usccs
    subject = snap["subjects"][0]
    assert subject["name"].startswith("测试企业") and subject["check_date"]
    [line] = subject["items"]
    assert line["item_code"] == "SWJ-001"
    assert line["results"] == [{"code": "no_problem", "name": "未发现问题"}]
    assert line["methods"] == [{"code": "onsite", "name": "实地核查"}]
    assert line["followups"][0]["name"] == "无须后续处置"
    # The search index has every business once.
    assert sorted(s.uscc for s in publication.subjects) == usccs
    # No personal data: legal representatives, contacts, phones, inspectors, credentials.
    text = json.dumps(snap, ensure_ascii=False)
    for secret in ["法人0", "联系人0", "13800000000", "检查员1", "office1", "head1"]:
        assert secret not in text
    for inspector in bench.scene.inspectors:
        assert inspector.credential_no not in text
    # One outbox job per configured publisher (default: file), and the audit event.
    [job] = db.session.scalars(select(PublicationJob)).all()
    assert (job.publisher, job.state, job.attempts) == ("file", PENDING, 0)
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "publication.publish")
    ).one()
    assert event.object_id == str(publication.id)
    assert event.details == {"task": bench.task.number, "version_no": 1, "publishers": ["file"]}


def test_only_the_back_office_of_the_department_publishes(db, completed, make_user):
    bench = completed
    admin = make_user("admin9", "admin")
    for user in (bench.side.head, bench.scene.b.office, bench.scene.leader, admin):
        refused(lambda user=user: publish(db, bench, user=user), 403)
        db.session.rollback()
    assert count(db, Publication) == 0 and count(db, PublicationJob) == 0
    assert db.session.get(TaskCompletion, bench.task.id).published_at is None


def test_a_task_is_published_only_once_completed_with_every_result_approved(db, bench):
    visits = bench.visit_ids()
    for visit_id in visits:
        bench.approved_result(visit_id)
    error = refused(lambda: publish(db, bench), 409)
    assert error.msgid == "任务尚未完成，不能公示检查结果"
    db.session.rollback()
    assert count(db, Publication) == 0


def test_republication_needs_a_reason_and_a_change(db, completed):
    bench = completed
    first = publish(db, bench)
    # Nothing changed: no reason → 422, with a reason → 409; nothing written.
    refused(lambda: publish(db, bench), 422, "reason")
    db.session.rollback()
    error = refused(lambda: publish(db, bench, reason="再次公示"), 409)
    assert error.msgid == "检查结果自上次公示以来没有变化，无需重新公示"
    db.session.rollback()
    assert count(db, Publication) == 1
    db.session.refresh(first)
    assert first.is_latest


def test_a_published_result_is_corrected_and_republished_with_its_reason(db, completed):
    bench = completed
    first = publish(db, bench)
    published_at = db.session.get(TaskCompletion, bench.task.id).published_at
    visit_id = bench.visit_ids()[0]
    office = bench.side.office
    sheet = result_queries.current_sheet(db.session, uuid.UUID(visit_id), bench.task.id)
    # The correction is allowed after publication (a reason still required).
    with pytest.raises(result_operations.ResultError) as error:
        result_operations.correct(
            db.session, actor=actor_for(office), user=office, sheet=sheet, reason=""
        )
    assert error.value.status == 422
    db.session.rollback()
    draft = result_operations.correct(
        db.session, actor=actor_for(office), user=office, sheet=sheet, reason="结果代码录入有误"
    )
    db.session.commit()
    assert (draft.version, draft.state) == (2, DRAFT)
    # While the correction waits for review the task cannot be republished.
    error = refused(lambda: publish(db, bench, reason="更正"), 409)
    assert error.params == {"n": 1}
    db.session.rollback()
    bench.approve(
        bench.submit(bench.save(visit_id, results=("corrected",), followups=[{"code": "rectify"}]))
    )
    second = publish(db, bench, reason="更正第一户的检查结果")
    assert (second.version_no, second.reason, second.is_latest) == (2, "更正第一户的检查结果", True)
    db.session.refresh(first)
    assert not first.is_latest and first.snapshot["version_no"] == 1  # the first is kept as it was
    uscc = bench.visit(visit_id).uscc
    corrected = queries.subject_entry(second, uscc)
    assert corrected["items"][0]["results"] == [{"code": "corrected", "name": "发现问题已责令改正"}]
    assert corrected["correction_reason"] == "结果代码录入有误" and corrected["result_version"] == 2
    assert queries.subject_entry(first, uscc)["items"][0]["results"][0]["code"] == "no_problem"
    # Version 1 decided the publication date; the audit chain holds both publications and the
    # correction marked as made after publication.
    assert db.session.get(TaskCompletion, bench.task.id).published_at == published_at
    correction = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "result.correct")
    ).one()
    assert correction.details["after_publication"] is True
    assert [p.version_no for p in queries.versions(db.session, bench.task.id)] == [2, 1]
    versions = result_queries.versions(db.session, uuid.UUID(visit_id), bench.task.id)
    assert [(v.version, v.state) for v in versions] == [(2, APPROVED), (1, APPROVED)]


def test_an_objection_outcome_is_published_with_its_reference(db, completed):
    bench = completed
    publish(db, bench)
    correct_and_approve(db, bench, bench.visit_ids()[1], reason="异议成立")
    objection_id = uuid.uuid4()
    refused(lambda: publish(db, bench, objection_id="not-a-uuid"), 422, "objection_id")
    db.session.rollback()
    second = publish(db, bench, objection_id=str(objection_id))
    assert second.objection_id == objection_id
    assert second.reason == operations.OBJECTION_REASON
    assert second.snapshot["objection_id"] == str(objection_id)


def test_publication_takes_the_task_off_the_deadlines_board(db, completed):
    bench = completed
    head = bench.side.head
    [group] = result_queries.deadlines(db.session, head, COMPLETED_ON)
    assert [d.task.id for d in group.overdue + group.soon + group.later] == [bench.task.id]
    publish(db, bench)
    assert result_queries.deadlines(db.session, head, COMPLETED_ON) == []


def test_entry_after_publication_goes_only_through_a_correction(db, completed):
    bench = completed
    publish(db, bench)
    visit_id = bench.visit_ids()[0]
    # The approved sheet itself cannot be edited: 409, as before publication.
    with pytest.raises(result_operations.ResultError) as error:
        bench.save(visit_id)
    assert error.value.status == 409
    db.session.rollback()


def test_a_plan_task_names_its_annual_plan(db, completed):
    import datetime as dt
    import decimal

    from server.plans.models import AnnualPlan, PlanLine

    bench = completed
    task_item = bench.task.items[0]
    plan = AnnualPlan(department_id=bench.task.department_id, year=2026)
    db.session.add(plan)
    db.session.flush()
    line = PlanLine(
        plan_id=plan.id,
        item_id=task_item.item_id,
        item_version_id=task_item.item_version_id,
        objects="辖区内发卡企业",
        content="台账",
        methods=["onsite"],
        ratio_percent=decimal.Decimal("5"),
        frequency_per_year=1,
        window_start=dt.date(2026, 3, 1),
        window_end=dt.date(2026, 12, 31),
    )
    db.session.add(line)
    db.session.flush()
    task_item.plan_line_id = line.id
    db.session.commit()
    publication = publish(db, bench)
    assert publication.snapshot["plan"] == {
        "year": 2026,
        "title": "商贸流通科 2026 年度抽查工作计划",
    }


def test_the_demo_seed_publishes_a_completed_task_once(db, completed):
    from server.publication.demo import seed_publication

    bench = completed
    office = bench.side.office
    counts = seed_publication(db.session, actor_for(office), bench.task, office)
    db.session.commit()
    assert counts == {"publications": 1, "publication_jobs": 1, "published_subjects": 3}
    again = seed_publication(db.session, actor_for(office), bench.task, office)
    assert again == {"publications_existing": 1}
    assert count(db, Publication) == 1
