"""Records and review comments travel by pull: a team lead or the back office sends a submitted
record back with a comment; the team's phones receive the returned record and the comment; the
correction they push supersedes it and reaches the reviewers' phones in turn."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth.operations import actor_for
from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.visits import review
from server.visits.models import VisitTask
from server.visits.record_models import RETURNED, SUBMITTED, VisitRecord
from server.visits.review_models import ReviewComment
from tests.syncapi.conftest import ids
from tests.syncapi.test_push import Phone, draft, submission
from tests.syncapi.test_push import field as field  # noqa: F401 - the fixture, reused


def team_of(db, visit_id, task_id) -> list[tuple]:
    """[(inspector, is_lead)] of the visit's section of the task, from the tables."""
    stmt = (
        select(Inspector, DrawAssignment.is_team_lead)
        .join(DrawAssignment, DrawAssignment.inspector_id == Inspector.id)
        .join(
            VisitTask,
            (VisitTask.draw_id == DrawAssignment.draw_id)
            & (VisitTask.subject_id == DrawAssignment.subject_id),
        )
        .where(VisitTask.visit_id == uuid.UUID(visit_id), VisitTask.task_id == uuid.UUID(task_id))
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def submitted_record(db, field, scene):
    """A record submitted by a non-lead member; (record, author phone, lead phone, visit, task)."""
    phone, visit_id, task_id, inspector = field
    team = team_of(db, visit_id, task_id)
    lead = next(p for p, is_lead in team if is_lead)
    member = next(p for p, is_lead in team if not is_lead)
    user_of = {p.id: u for p, u in zip(scene.inspectors, scene.users, strict=True)}
    author = phone if inspector.id == member.id else Phone(db, phone.client, user_of[member.id])
    lead_phone = phone if inspector.id == lead.id else Phone(db, phone.client, user_of[lead.id])
    record_id = uuid.uuid4()
    result = author.push(
        [author.next("record.submit", submission(author, record_id, visit_id, task_id))]
    )
    assert result["results"][0]["status"] == "applied"
    return db.session.get(VisitRecord, record_id), author, lead_phone, visit_id, task_id


def pull_of(phone, cursor=0) -> dict:
    response = phone.client.get(
        f"/api/v1/sync/pull?cursor={cursor}", headers={"Authorization": f"Bearer {phone.token}"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_returned_record_and_its_comment_reach_the_team_and_the_correction_reaches_the_lead(
    db, field, scene
):
    row, author, lead_phone, visit_id, task_id = submitted_record(db, field, scene)
    # The lead's phone already holds the team's records.
    lead_cursor = pull_of(lead_phone)["cursor"]
    full = pull_of(author)
    assert str(row.id) in ids(full, "records")
    mine = next(r for r in full["changes"]["records"]["upserts"] if r["id"] == str(row.id))
    assert mine["state"] == SUBMITTED and mine["record_hash"] == row.record_hash
    assert mine["record"]["answers"] == {"q1": "yes"} and "signatures" not in mine
    cursor = full["cursor"]

    lead_user = db.session.get(type(scene.users[0]), lead_phone.user.id)
    comment = review.send_back(
        db.session, actor_for(lead_user), lead_user, row, "  第2项照片不清晰，请补拍  "
    )
    db.session.commit()

    body = pull_of(author, cursor)
    assert ids(body, "records") == {str(row.id)}
    assert body["changes"]["records"]["upserts"][0]["state"] == RETURNED
    [sent] = body["changes"]["comments"]["upserts"]
    assert sent["id"] == str(comment.id) and sent["record_id"] == str(row.id)
    assert sent["body"] == "第2项照片不清晰，请补拍" and sent["kind"] == "return"
    assert sent["author"] == lead_user.display_name
    # Nothing else changed for the phone.
    assert not body["changes"]["visits"]["upserts"] and not body["changes"]["tasks"]["upserts"]

    # The team answers with a correction superseding the returned record.
    new_id = uuid.uuid4()
    fix = submission(
        author, new_id, visit_id, task_id, supersedes_id=str(row.id), correction_reason="已补拍"
    )
    result = author.push([author.next("record.submit", fix)])
    assert result["results"][0]["status"] == "applied"
    to_lead = pull_of(lead_phone, lead_cursor)
    assert {str(row.id), str(new_id)} <= ids(to_lead, "records")
    corrected = next(r for r in to_lead["changes"]["records"]["upserts"] if r["id"] == str(new_id))
    assert corrected["version"] == 2 and corrected["supersedes_id"] == str(row.id)
    assert corrected["correction_reason"] == "已补拍"
    assert ids(to_lead, "comments") == {str(comment.id)}


def test_who_may_send_back_and_from_which_state(db, field, scene, make_user):
    row, author, lead_phone, visit_id, task_id = submitted_record(db, field, scene)
    member = author.user
    other_head = scene.b.head
    for user in (member, other_head, scene.leader):
        with pytest.raises(review.ReviewError) as refused:
            review.send_back(db.session, actor_for(user), user, row, "请补正")
        assert refused.value.status == 403
    db.session.rollback()
    with pytest.raises(review.ReviewError) as empty:
        review.send_back(db.session, actor_for(scene.a.office), scene.a.office, row, "   ")
    assert empty.value.status == 422 and empty.value.field == "comment"
    db.session.rollback()
    # The department's back office may; then the record is no longer "submitted".
    review.send_back(db.session, actor_for(scene.a.office), scene.a.office, row, "缺少签名页")
    db.session.commit()
    with pytest.raises(review.ReviewError) as again:
        review.send_back(db.session, actor_for(scene.a.head), scene.a.head, row, "再退一次")
    assert again.value.status == 409
    db.session.rollback()
    # A draft cannot be sent back.
    draft_id = uuid.uuid4()
    author.push(
        [author.next("record.save_draft", draft(draft_id, visit_id, task_id, {"q1": "no"}))]
    )
    draft_row = db.session.get(VisitRecord, draft_id)
    with pytest.raises(review.ReviewError) as not_yet:
        review.send_back(db.session, actor_for(scene.a.head), scene.a.head, draft_row, "x")
    assert not_yet.value.status == 409
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ReviewComment)) == 1


def test_the_console_sends_back_with_a_comment_and_refuses_an_empty_one(db, app, field, scene):
    from tests.conftest import ConsoleClient

    row, author, lead_phone, visit_id, task_id = submitted_record(db, field, scene)
    browser = ConsoleClient(app.test_client())
    assert browser.login(scene.a.head.username).status_code == 302
    page = browser.get(f"/visits/{visit_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert row.record_hash in text and "退回补正" in text

    path = f"/visits/{visit_id}/records/{row.id}/return"
    refused = browser.post_form(path, {"comment": " "})
    assert refused.status_code == 422 and "请写明退回的原因" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(VisitRecord, row.id).state == SUBMITTED

    done = browser.post_form(path, {"comment": "告知书未签收，请补充"})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(VisitRecord, row.id).state == RETURNED
    page = browser.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert "告知书未签收，请补充" in page and "已退回补正" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "record.return")).one()
    assert event.object_id == str(row.id)

    # Another department's head sees nothing of the visit; a wrong record id is 404.
    stranger = ConsoleClient(app.test_client())
    assert stranger.login(scene.b.head.username).status_code == 302
    assert stranger.post_form(path, {"comment": "x"}).status_code in (403, 404)
    assert (
        browser.post_form(
            f"/visits/{visit_id}/records/{uuid.uuid4()}/return", {"comment": "x"}
        ).status_code
        == 404
    )
