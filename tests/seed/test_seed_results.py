"""`seed-demo`'s finished task: real field records, reviewed evidence, approved results."""

from __future__ import annotations

from sqlalchemy import select

from server.results.demo import COMPLETED_TASK
from server.results.models import APPROVED, ResultSheet, TaskCompletion
from server.tasks.models import Task
from server.visits import review
from server.visits.record_models import APPROVED as RECORD_APPROVED
from server.visits.record_models import VisitRecord
from sync.models import Media


def test_the_demo_has_a_completed_task_with_intact_records_photos_and_approved_results(seed, db):
    assert seed().exit_code == 0
    task = db.session.scalars(select(Task).where(Task.name == COMPLETED_TASK)).one()
    assert task.state == "completed"
    assert db.session.get(TaskCompletion, task.id).completed_on > task.window_end
    records = db.session.scalars(select(VisitRecord).where(VisitRecord.task_id == task.id)).all()
    assert len(records) == 4
    for row in records:
        assert row.state == RECORD_APPROVED
        # The server recomputes the RFC 8785 hash and checks the phone's device signature.
        assert review.record_intact(db.session, row)
        photos = db.session.scalars(select(Media).where(Media.record_id == row.id)).all()
        assert [m.kind for m in photos] == ["photo"] and photos[0].thumb_key
    refused = [r for r in records if r.record["sign"]["refused"]]
    assert len(refused) == 1 and refused[0].signatures["witness"]["signer"] == "王秀兰"
    sheets = db.session.scalars(
        select(ResultSheet).where(ResultSheet.task_id == task.id, ResultSheet.is_current)
    ).all()
    assert len(sheets) == 4 and {s.state for s in sheets} == {APPROVED}
    codes = sorted(code for s in sheets for line in s.lines for code in line.result_codes)
    assert codes == ["corrected", "no_problem", "no_problem", "pending"]
    followups = [f["code"] for s in sheets for line in s.lines for f in line.followups]
    assert "rectify" in followups and "notify_other" in followups


def test_the_finished_task_is_published_objected_to_and_its_follow_ups_are_handled(seed, db):
    from server.followups.models import FollowUp, Transfer
    from server.objections.models import Objection
    from server.publication.models import Publication, PublicationJob

    assert seed().exit_code == 0
    task = db.session.scalars(select(Task).where(Task.name == COMPLETED_TASK)).one()
    assert db.session.get(TaskCompletion, task.id).published_at is not None
    publication = db.session.scalars(
        select(Publication).where(Publication.task_id == task.id)
    ).one()
    assert publication.version_no == 1 and len(publication.snapshot["subjects"]) == 4
    assert db.session.scalars(select(PublicationJob.publisher)).all() == ["file"]
    objections = db.session.scalars(select(Objection).order_by(Objection.reference)).all()
    assert sorted(o.state for o in objections) == ["replied", "under_review"]
    assert all(o.publication_id == publication.id for o in objections)
    followups = db.session.scalars(select(FollowUp).where(FollowUp.task_id == task.id)).all()
    assert sorted((f.code, f.status) for f in followups) == [
        ("notify_other", "open"),
        ("rectify", "closed"),
    ]
    transfer = db.session.scalars(select(Transfer)).one()
    assert transfer.status == "received" and transfer.letter_sha256
