"""Result entry: when it may start, exclusive codes, the review states and versions.

Run: .venv/bin/pytest -n0 -q tests/results/test_entry.py   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth.operations import actor_for
from server.results import operations, queries
from server.results.models import APPROVED, DRAFT, RETURNED, SUBMITTED, ResultSheet
from server.results.operations import ResultError
from server.visits.models import CANCELLED


def refused(call, status: int, field: str | None = None):
    with pytest.raises(ResultError) as error:
        call()
    assert error.value.status == status, error.value
    if field is not None:
        assert error.value.field == field
    return error.value


def test_entry_waits_for_an_approved_record(db, bench):
    visit_id = bench.visit_ids()[0]
    # Nothing from the field yet: 409.
    refused(lambda: bench.save(visit_id), 409)
    db.session.rollback()
    # Submitted, not yet approved: 409 still.
    row = bench.submit_record(visit_id)
    error = refused(lambda: bench.save(visit_id), 409)
    assert "审核通过" in error.msgid
    db.session.rollback()
    bench.approve_record(row)
    sheet = bench.save(visit_id)
    assert sheet.state == DRAFT and sheet.version == 1 and sheet.record_id == row.id
    assert [line.result_codes for line in sheet.lines] == [["no_problem"]]


def test_a_visit_ended_without_a_record_needs_an_explanation(db, bench):
    visit_id = bench.visit_ids()[0]
    visit = bench.visit(visit_id)
    visit.state, visit.end_reason = CANCELLED, "该企业已注销"
    db.session.commit()
    refused(lambda: bench.save(visit_id, results=("deregistered",)), 422, "no_record_reason")
    db.session.rollback()
    sheet = bench.save(visit_id, results=("deregistered",), no_record_reason="已注销，无法检查")
    assert sheet.record_id is None and sheet.no_record_reason == "已注销，无法检查"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"results": ("no_problem", "corrected")}, "未发现问题"),
        ({"results": ("corrected",), "followups": [{"code": "none"}, {"code": "rectify"}]}, "无须"),
    ],
)
def test_exclusive_codes_refuse_company_with_422(db, bench, kwargs, fragment):
    visit_id = bench.visit_ids()[0]
    bench.approved_section(visit_id)
    error = refused(lambda: bench.save(visit_id, **kwargs), 422, "lines")
    assert fragment in error.translated()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ResultSheet)) == 0


def test_unknown_codes_and_closed_measures_without_a_date_are_refused(db, bench):
    from marshmallow import ValidationError

    visit_id = bench.visit_ids()[0]
    bench.approved_section(visit_id)
    refused(lambda: bench.save(visit_id, results=("nonsense",)), 422, "lines")
    db.session.rollback()
    with pytest.raises(ValidationError) as error:
        bench.data(results=("corrected",), followups=[{"code": "rectify", "status": "closed"}])
    assert "closed_on" in str(error.value.messages)
    closed = [{"code": "rectify", "status": "closed", "closed_on": "2026-12-10"}]
    sheet = bench.save(visit_id, results=("corrected",), followups=closed)
    assert sheet.lines[0].followups == [
        {"code": "rectify", "status": "closed", "closed_on": "2026-12-10"}
    ]


def test_submit_needs_a_method_for_every_item(db, bench):
    visit_id = bench.visit_ids()[0]
    bench.approved_section(visit_id)
    sheet = bench.save(visit_id, methods=())
    refused(lambda: bench.submit(sheet), 422, "lines")
    db.session.rollback()
    sheet = bench.save(visit_id)
    assert bench.submit(sheet).state == SUBMITTED


def test_review_rules(db, bench, make_user):
    visit_id = bench.visit_ids()[0]
    bench.approved_section(visit_id)
    side, other = bench.scene.a, bench.scene.b
    sheet = bench.submit(bench.save(visit_id))
    # A submitted sheet cannot be edited.
    refused(lambda: bench.save(visit_id), 409)
    db.session.rollback()
    # Another department's head, and the back office, may not decide.
    refused(lambda: bench.approve(sheet, user=other.head), 403)
    db.session.rollback()
    refused(lambda: bench.approve(sheet, user=side.office), 403)
    db.session.rollback()
    # A head who also works as back office and entered it may not approve their own.
    both = make_user("both1", "dept_head", "back_office", department=side.department)
    mine = bench.visit_ids()[1]
    bench.approved_section(mine)
    own = bench.submit(bench.save(mine, user=both), user=both)
    refused(lambda: bench.approve(own, user=both), 403)
    db.session.rollback()
    # Returning needs a comment; then the enterer edits and submits again.
    refused(
        lambda: operations.return_sheet(
            db.session, actor=actor_for(side.head), user=side.head, sheet=sheet, comment="  "
        ),
        422,
        "comment",
    )
    db.session.rollback()
    operations.return_sheet(
        db.session, actor=actor_for(side.head), user=side.head, sheet=sheet, comment="方式填错"
    )
    db.session.commit()
    assert sheet.state == RETURNED and sheet.review_comment == "方式填错"
    sheet = bench.save(visit_id, methods=("documentary",))
    assert sheet.state == RETURNED and sheet.version == 1
    bench.submit(sheet)
    bench.approve(sheet)
    assert sheet.state == APPROVED and sheet.reviewed_by_id == side.head.id
    # Approved: no more edits, nor a second decision.
    refused(lambda: bench.save(visit_id), 409)
    db.session.rollback()
    refused(lambda: bench.approve(sheet), 409)
    db.session.rollback()
    actions = db.session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == str(sheet.id))
        .order_by(AuditEvent.seq)
    ).all()
    assert actions == [
        "result.create",
        "result.submit",
        "result.return",
        "result.update",
        "result.submit",
        "result.approve",
    ]


def test_a_correction_is_a_new_version_and_every_version_is_kept(db, bench):
    visit_id = bench.visit_ids()[0]
    first = bench.approved_result(visit_id)
    office = bench.side.office
    refused(
        lambda: operations.correct(
            db.session, actor=actor_for(office), user=office, sheet=first, reason=" "
        ),
        422,
        "reason",
    )
    db.session.rollback()
    second = operations.correct(
        db.session, actor=actor_for(office), user=office, sheet=first, reason="结果代码录错"
    )
    db.session.commit()
    assert (second.version, second.state, second.supersedes_id) == (2, DRAFT, first.id)
    assert second.correction_reason == "结果代码录错"
    db.session.refresh(first)
    assert first.state == APPROVED and not first.is_current
    # The old version cannot be corrected again; the new one is edited and reviewed as usual.
    refused(
        lambda: operations.correct(
            db.session, actor=actor_for(office), user=office, sheet=first, reason="again"
        ),
        409,
    )
    db.session.rollback()
    edited = bench.save(visit_id, results=("corrected",), followups=[{"code": "rectify"}])
    assert edited.id == second.id
    bench.approve(bench.submit(edited))
    versions = queries.versions(db.session, first.visit_id, first.task_id)
    assert [(v.version, v.state, v.is_current) for v in versions] == [
        (2, APPROVED, True),
        (1, APPROVED, False),
    ]
    assert versions[1].lines[0].result_codes == ["no_problem"]
    assert versions[0].lines[0].result_codes == ["corrected"]
