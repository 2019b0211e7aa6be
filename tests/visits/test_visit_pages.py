"""Visit list, detail, my visits, merge queue and the JSON API: who sees what."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.auth.operations import actor_for
from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.visits import merges
from server.visits.models import MergeProposal, Visit


@pytest.fixture
def drawn(scene, drawn_task):
    """A's task (all December) and B's task (15–31 December): they overlap, both propose."""
    return drawn_task(scene.a, "12-01", "12-31"), drawn_task(scene.b, "12-15", "12-31")


def all_visits(db) -> list[Visit]:
    return list(db.session.scalars(select(Visit).order_by(Visit.created_at)))


def team_usernames(db, visit) -> set[str]:
    """Usernames of the inspectors on any team the visit carries."""
    names = set()
    for link in visit.tasks:
        stmt = (
            select(Inspector)
            .join(DrawAssignment, DrawAssignment.inspector_id == Inspector.id)
            .where(
                DrawAssignment.draw_id == link.draw_id,
                DrawAssignment.subject_id == link.subject_id,
            )
        )
        names |= {i.user.username for i in db.session.scalars(stmt)}
    return names


def ids_in(response) -> set[str]:
    return {item["id"] for item in response.get_json()["items"]}


def test_department_users_see_visits_carrying_their_department_tasks(
    db, scene, drawn, signed_in_as, make_user, make_department
):
    visits = all_visits(db)
    of_a = {str(v.id) for v in visits if v.tasks[0].task.department_id == scene.a.department.id}
    assert len(visits) == 4 and len(of_a) == 2
    for username in ("head1", "office1"):
        browser = signed_in_as(username)
        assert ids_in(browser.get("/api/v1/visits")) == of_a
        page = browser.get("/visits")
        assert page.status_code == 200
        assert scene.subjects[0].name in page.get_data(as_text=True)
    for username in ("admin1", "leader1"):
        assert len(ids_in(signed_in_as(username).get("/api/v1/visits"))) == 4
    make_user("lonely", "back_office", department=make_department())
    assert ids_in(signed_in_as("lonely").get("/api/v1/visits")) == set()


def test_an_inspector_sees_only_the_visits_whose_team_they_are_on(db, scene, drawn, signed_in_as):
    visits = all_visits(db)
    for user in scene.inspector_users:
        mine = {str(v.id) for v in visits if user.username in team_usernames(db, v)}
        browser = signed_in_as(user.username)
        assert ids_in(browser.get("/api/v1/visits")) == mine
        for visit in visits:
            expected = 200 if str(visit.id) in mine else 403
            assert browser.get(f"/visits/{visit.id}").status_code == expected
            assert browser.get(f"/api/v1/visits/{visit.id}").status_code == expected


def test_other_department_cannot_open_a_visit_and_unknown_ids_are_404(
    db, scene, drawn, signed_in_as, make_user, make_department
):
    make_user("head9", "dept_head", department=make_department())
    browser = signed_in_as("head9")
    visit = all_visits(db)[0]
    assert browser.get(f"/visits/{visit.id}").status_code == 403
    assert browser.get(f"/api/v1/visits/{visit.id}").status_code == 403
    assert browser.get("/visits/not-a-uuid").status_code == 404
    assert (
        signed_in_as("head1").get("/visits/00000000-0000-0000-0000-000000000000").status_code == 404
    )


def test_the_api_needs_a_signed_in_user(client, scene, drawn):
    response = client.get("/api/v1/visits")
    assert response.status_code == 401 and response.get_json()["message"] == "请先登录"
    assert client.get("/visits").status_code == 302


def test_filters_and_bad_filters(db, scene, drawn, signed_in_as):
    task_a, task_b = drawn
    browser = signed_in_as("admin1")
    assert len(ids_in(browser.get(f"/api/v1/visits?task={task_b.id}"))) == 2
    assert len(ids_in(browser.get("/api/v1/visits?due_before=2026-12-30"))) == 0
    assert len(ids_in(browser.get("/api/v1/visits?state=merged"))) == 0
    assert len(ids_in(browser.get("/api/v1/visits?year=2026&state=planned"))) == 4
    page = browser.get("/api/v1/visits?page_size=1&page=2").get_json()
    assert page["total"] == 4 and page["pages"] == 4 and len(page["items"]) == 1
    assert browser.get("/api/v1/visits?state=done").status_code == 422
    assert browser.get("/visits?due_before=tomorrow").status_code == 422


def test_merge_through_the_console_and_the_merged_visit_detail(db, scene, drawn, signed_in_as):
    task_a, task_b = drawn
    proposal = db.session.scalars(select(MergeProposal)).first()
    head_a, head_b = signed_in_as("head1"), signed_in_as("head2")
    queue = head_a.get("/visits/merges")
    assert queue.status_code == 200
    text = queue.get_data(as_text=True)
    assert proposal.subject.name in text and task_a.number in text and task_b.number in text
    assert "2026-12-15 至 2026-12-31" in text  # the overlap

    # A decline needs a reason: 422, nothing written.
    response = head_b.post_form(f"/visits/merges/{proposal.id}/decline", {"comment": ""})
    assert response.status_code == 422 and "请填写理由" in response.get_data(as_text=True)
    # The admin may not decide for a department.
    admin = signed_in_as("admin1")
    assert admin.get("/visits/merges").status_code == 200
    assert admin.post_form(f"/visits/merges/{proposal.id}/confirm").status_code == 403

    assert head_a.post_form(f"/visits/merges/{proposal.id}/confirm").status_code == 302
    again = head_a.post_form(f"/visits/merges/{proposal.id}/confirm")
    assert again.status_code == 409 and "不能重复决定" in again.get_data(as_text=True)
    assert head_b.post_form(f"/visits/merges/{proposal.id}/confirm").status_code == 302
    db.session.expire_all()
    assert proposal.state == "confirmed"
    survivor = db.session.get(Visit, uuid.UUID(proposal.visit_ids[0]))
    absorbed_id = proposal.visit_ids[1]

    # Department B's head now sees the merged visit (it carries B's task) with both sections.
    page = head_b.get(f"/visits/{survivor.id}").get_data(as_text=True)
    assert task_a.number in page and task_b.number in page
    assert "合并记录" in page and "同意合并" in page
    body = head_b.get(f"/api/v1/visits/{survivor.id}").get_json()
    assert [s["number"] for s in body["sections"]] == [task_a.number, task_b.number]
    assert sum(len(s["team"]) for s in body["sections"]) == 4
    assert body["merged_from"] == [absorbed_id]
    assert body["window_start"] == "2026-12-15"
    absorbed = head_b.get(f"/api/v1/visits/{absorbed_id}").get_json()
    assert absorbed["state"] == "merged" and absorbed["merged_into_id"] == str(survivor.id)
    # Every inspector of either team may open the merged visit.
    for username in team_usernames(db, survivor):
        assert signed_in_as(username).get(f"/visits/{survivor.id}").status_code == 200


def test_the_queue_shows_a_head_only_proposals_of_their_department(
    db, scene, drawn, signed_in_as, make_user, make_department
):
    make_user("head9", "dept_head", department=make_department())
    text = signed_in_as("head9").get("/visits/merges").get_data(as_text=True)
    assert "目前没有待确认的合并建议" in text
    assert signed_in_as("office1").get("/visits/merges").status_code == 403
    assert signed_in_as("insp1").get("/visits/merges").status_code == 403


def test_a_stale_proposal_is_refused_with_409(db, scene, drawn, signed_in_as):
    proposal = db.session.scalars(select(MergeProposal)).first()
    visit = db.session.get(Visit, uuid.UUID(proposal.visit_ids[1]))
    visit.state = "cancelled"
    db.session.commit()
    browser = signed_in_as("head1")
    assert "已失效" in browser.get("/visits/merges").get_data(as_text=True)
    response = browser.post_form(f"/visits/merges/{proposal.id}/confirm")
    assert response.status_code == 409 and "已失效" in response.get_data(as_text=True)
    db.session.expire_all()
    assert proposal.state == "proposed" and proposal.decisions == []
    # The head closes it with a reason.
    response = browser.post_form(f"/visits/merges/{proposal.id}/decline", {"comment": "检查已取消"})
    assert response.status_code == 302
    db.session.expire_all()
    assert proposal.state == "declined"


def test_my_visits_groups_an_inspectors_planned_visits(db, scene, drawn, signed_in_as):
    visits = all_visits(db)
    user = next(
        u for u in scene.inspector_users if any(u.username in team_usernames(db, v) for v in visits)
    )
    mine = [v for v in visits if user.username in team_usernames(db, v)]
    text = signed_in_as(user.username).get("/my/visits").get_data(as_text=True)
    # Windows are in December 2026, after "today" in the test run (November 2026 or earlier
    # they are upcoming; later they are in progress or overdue): every one is listed.
    for visit in mine:
        assert f"/visits/{visit.id}" in text
    assert signed_in_as("head1").get("/my/visits").status_code == 403


def test_the_openapi_document_describes_the_visits_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/visits" in spec["paths"] and "/api/v1/visits/{visit_id}" in spec["paths"]
    assert "VisitDetail" in spec["components"]["schemas"]


def test_merge_decisions_are_recorded_per_department(db, scene, drawn):
    proposal = db.session.scalars(select(MergeProposal)).first()
    merges.confirm(db.session, actor_for(scene.a.head), scene.a.head, proposal, "可以合并")
    db.session.commit()
    (decision,) = proposal.decisions
    assert decision.department_id == scene.a.department.id and decision.comment == "可以合并"
