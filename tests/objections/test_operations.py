"""Objections: filing (reference, due date, disputed sheets, attachments), refusals that write
nothing, the review states, the correction path through results and republication, deadlines.

Run: .venv/bin/pytest -n0 -q tests/objections   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.calendar.service import WorkdayCalendar
from server.clock import local_today
from server.objections import demo, operations, queries
from server.objections.models import (
    CORRECTED,
    MAINTAINED,
    RECEIVED,
    REPLIED,
    UNDER_REVIEW,
    Objection,
    ObjectionAttachment,
)
from server.objections.operations import ObjectionError
from server.publication.models import Publication
from server.results.models import APPROVED, DRAFT
from server.uploads.views import storage
from tests.objections.conftest import PDF, png_bytes


def refused(call, status: int, field: str | None = None) -> ObjectionError:
    with pytest.raises(ObjectionError) as error:
        call()
    assert error.value.status == status, error.value
    if field is not None:
        assert error.value.field == field, error.value.field
    return error.value


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def objection_events(db) -> list[str]:
    stmt = select(AuditEvent.action).where(AuditEvent.object_type == "objection")
    return list(db.session.scalars(stmt.order_by(AuditEvent.seq)))


# ---------------------------------------------------------------- filing


def test_filing_gives_a_reference_a_due_date_and_the_disputed_sheets(db, desk):
    uscc = desk.usccs()[0]
    objection = desk.file(uscc, files=[("照片.png", png_bytes()), ("说明.pdf", PDF)])
    assert re.fullmatch(r"YY\d{4}-\d{6}", objection.reference)
    assert objection.reference.endswith("-000001")
    assert objection.state == RECEIVED and objection.channel == "online"
    today = local_today()
    assert objection.received_on == today
    due, provisional = WorkdayCalendar(db.session).add_workdays(today, 20)
    assert (objection.due_on, objection.due_provisional) == (due, provisional)
    # The sheets the published version was made from, for this business only.
    basis = {str(v) for v in desk.publication.basis.values()}
    assert objection.sheets and {str(s.sheet_id) for s in objection.sheets} <= basis
    assert all(s.sheet.state == APPROVED for s in objection.sheets)
    # Attachments: sniffed type, server key, SHA-256, bytes in the storage backend.
    kinds = [(a.content_type, a.filename) for a in objection.attachments]
    assert kinds == [("image/png", "照片.png"), ("application/pdf", "说明.pdf")]
    first = objection.attachments[0]
    assert first.sha256 == hashlib.sha256(png_bytes()).hexdigest()
    assert storage().read(first.storage_key) == png_bytes()
    assert "照片" not in first.storage_key
    assert objection_events(db) == ["objection.file"]
    second = desk.file(uscc)
    assert second.reference.endswith("-000002")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"uscc": "91110108ABCDEFGH12"}, "uscc"),
        ({"uscc": "91110000600037341L"}, "uscc"),  # valid, but not in this publication
        ({"files": [("a.txt", b"just text, not an image")]}, "attachments"),
        ({"files": [("a.png", png_bytes())] * 4}, "attachments"),
        ({"files": [("big.pdf", PDF + b"0" * (1024 * 1024))]}, "attachments"),
        ({"grounds": "  "}, "grounds"),
    ],
)
def test_bad_filings_are_refused_with_422_and_write_nothing(db, desk, overrides, field):
    files = overrides.pop("files", ())
    error = refused(lambda: desk.file(files=files, **overrides), 422, field)
    assert re.search(r"[\u4e00-\u9fff]", error.translated())
    db.session.rollback()
    assert count(db, Objection) == 0 and count(db, ObjectionAttachment) == 0
    assert objection_events(db) == []


def test_paper_entry_is_for_the_task_departments_back_office_with_a_past_date(db, desk):
    side, other = desk.side, desk.bench.scene.b
    paper = {"channel": "paper", "received_on": local_today() - dt.timedelta(days=2)}
    refused(lambda: desk.file(user=other.office, **paper), 403)
    db.session.rollback()
    refused(lambda: desk.file(user=side.head, **paper), 403)
    db.session.rollback()
    future = {"channel": "paper", "received_on": local_today() + dt.timedelta(days=1)}
    refused(lambda: desk.file(user=side.office, **future), 422, "received_on")
    db.session.rollback()
    assert count(db, Objection) == 0
    objection = desk.file(user=side.office, **paper)
    assert objection.channel == "paper" and objection.received_on == paper["received_on"]
    assert objection.entered_by_id == side.office.id


# ---------------------------------------------------------------- review states


def test_maintained_and_replied(db, desk):
    objection = desk.file()
    refused(lambda: desk.do("maintain", objection, text="无误"), 409)  # not under review yet
    db.session.rollback()
    refused(lambda: desk.do("reply", objection, text="答复"), 409)
    db.session.rollback()
    desk.do("start_review", objection)
    assert objection.state == UNDER_REVIEW and objection.handled_by_id == desk.side.office.id
    refused(lambda: desk.do("start_review", objection), 409)
    db.session.rollback()
    refused(lambda: desk.do("maintain", objection, text="  "), 422, "decision_text")
    db.session.rollback()
    desk.do("maintain", objection, text="经复核无误")
    assert objection.state == objection.decision == MAINTAINED
    refused(lambda: desk.do("reply", objection, text=""), 422, "reply_text")
    db.session.rollback()
    desk.do("reply", objection, text="维持原检查结果")
    assert objection.state == REPLIED and objection.replied_at is not None
    refused(lambda: desk.do("reply", objection, text="再答复"), 409)
    db.session.rollback()
    assert objection_events(db) == [
        "objection.file",
        "objection.start_review",
        "objection.maintain",
        "objection.reply",
    ]


def test_only_the_task_departments_back_office_handles(db, desk):
    objection = desk.file()
    for user in (desk.bench.scene.b.office, desk.side.head, desk.bench.scene.leader):
        refused(lambda user=user: desk.do("start_review", objection, user=user), 403)
        db.session.rollback()
    assert objection.state == RECEIVED
    assert objection_events(db) == ["objection.file"]


def test_corrected_needs_an_approved_correction_then_republishes(db, desk):
    side = desk.side
    objection = desk.file()
    desk.do("start_review", objection)
    refused(lambda: desk.do("close_corrected", objection, text="更正"), 409)
    db.session.rollback()
    (disputed, current), *_ = operations.sections(db.session, objection)
    assert disputed.id == current.id
    new = desk.do("correct_result", objection, sheet=current, text="检查结果录入有误")
    assert new.state == DRAFT and new.version == disputed.version + 1
    assert new.correction_reason.startswith(objection.reference)
    # The draft exists, not approved: refused, nothing written.
    error = refused(lambda: desk.do("close_corrected", objection, text="更正"), 409)
    assert "审核通过" in error.translated()
    db.session.rollback()
    assert objection.state == UNDER_REVIEW
    # The back office edits and submits through results; the head approves as usual.
    bench = desk.bench
    sheet = bench.save(str(new.visit_id), results=("corrected",), followups=[{"code": "rectify"}])
    bench.approve(bench.submit(sheet))
    versions_before = count(db, Publication)
    desk.do("close_corrected", objection, text="原结果录入错误，予以更正")
    assert objection.state == objection.decision == CORRECTED
    assert count(db, Publication) == versions_before + 1
    republished = db.session.get(Publication, objection.republication_id)
    assert republished.version_no == 2 and republished.objection_id == objection.id
    assert objection.reference in republished.reason
    assert republished.basis[str(new.visit_id)] == str(sheet.id)
    desk.do("reply", objection, text="已更正并重新公示")
    assert objection.state == REPLIED
    assert side.office.id == objection.handled_by_id


def test_a_correction_is_only_of_the_objections_own_sheets_and_under_review(db, desk):
    first, second = desk.usccs()[:2]
    objection = desk.file(first)
    other = desk.file(second)
    (_, foreign), *_ = operations.sections(db.session, other)
    refused(lambda: desk.do("correct_result", objection, sheet=foreign, text="x"), 409)
    db.session.rollback()
    desk.do("start_review", objection)
    refused(lambda: desk.do("correct_result", objection, sheet=foreign, text="x"), 409)
    db.session.rollback()
    (_, own), *_ = operations.sections(db.session, objection)
    refused(lambda: desk.do("correct_result", objection, sheet=own, text=" "), 422, "reason")
    db.session.rollback()
    assert own.is_current and own.state == APPROVED


# ---------------------------------------------------------------- deadlines


def test_deadlines_group_open_objections_by_department(db, desk):
    late = desk.file(desk.usccs()[0])
    soon = desk.file(desk.usccs()[1])
    done = desk.file(desk.usccs()[2])
    today = local_today()
    late.due_on = today - dt.timedelta(days=1)
    soon.due_on = today
    db.session.commit()
    desk.do("start_review", done)
    desk.do("maintain", done, text="无误")
    desk.do("reply", done, text="维持")
    board = queries.deadlines(db.session, desk.side.office, today)
    assert len(board) == 1 and board[0].department.id == desk.side.department.id
    assert [o.reference for o in board[0].overdue] == [late.reference]
    assert [o.reference for o in board[0].soon] == [soon.reference]
    assert board[0].later == []
    assert queries.deadlines(db.session, desk.bench.scene.b.office, today) == []
    assert len(queries.deadlines(db.session, desk.bench.scene.leader, today)) == 1
    listed = db.session.scalars(queries.list_objections(desk.side.head, today=today)).all()
    assert [o.reference for o in listed][:1] == [late.reference]  # overdue first
    assert listed[-1].reference == done.reference  # answered last


# ---------------------------------------------------------------- demo


def test_demo_seed_makes_one_under_review_and_one_answered(db, desk):
    counts = demo.seed_objections(
        db.session, operations.audit.PUBLIC, desk.publication, {"office": desk.side.office}
    )
    db.session.commit()
    assert counts == {"objection under review": 1, "objection answered": 1}
    states = sorted(db.session.scalars(select(Objection.state)))
    assert states == [REPLIED, UNDER_REVIEW]
