"""GET /api/v1/tasks and /api/v1/tasks/<id>: the console's task list and page as JSON."""

from __future__ import annotations

import uuid

from server.draws import operations as draw_ops
from server.tasks import operations
from tests.tasks.conftest import YEAR, actor_of


def test_the_list_needs_a_signed_in_console_user(client, bureau, make_task):
    make_task()
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401 and response.get_json()["code"] == 401
    assert client.get(f"/api/v1/tasks/{uuid.uuid4()}").status_code == 401


def test_the_list_filters_and_pages_like_the_console(
    db, browser, bureau, make_task, advance, make_item
):
    first = make_task(name="第一项抽查")
    second = advance(make_task(name="第二项抽查"), "approved")
    make_task(name="往年抽查", year=str(YEAR - 1), window_start=f"{YEAR - 1}-03-01",
              window_end=f"{YEAR - 1}-04-30")  # fmt: skip
    their_item = make_item(department=bureau.other_department, code="SCYX-001")
    other = make_task(
        owner=bureau.other_head,
        name="他科抽查",
        department_id=str(bureau.other_department.id),
        item_ids=[str(their_item.id)],
    )
    api = browser("head1")

    everything = api.get("/api/v1/tasks").get_json()
    assert everything["total"] == 4 and everything["page"] == 1
    item = next(i for i in everything["items"] if i["id"] == str(second.id))
    assert item["state"] == "approved" and item["state_label"] == "已审核"
    assert item["department"] == {"id": str(bureau.department.id), "name": "商贸流通科"}
    assert item["window_start"] == f"{YEAR}-03-01" and item["number"] == second.number

    mine = api.get(f"/api/v1/tasks?year={YEAR}&department={bureau.department.id}").get_json()
    assert {i["id"] for i in mine["items"]} == {str(first.id), str(second.id)}
    drafts = api.get("/api/v1/tasks?state=draft").get_json()
    assert str(second.id) not in {i["id"] for i in drafts["items"]}
    assert str(other.id) in {i["id"] for i in drafts["items"]}  # other departments are visible

    paged = api.get("/api/v1/tasks?page_size=3&page=2").get_json()
    assert (paged["total"], paged["pages"], paged["page_size"], len(paged["items"])) == (4, 2, 3, 1)


def test_bad_filters_are_422_in_chinese(browser, bureau):
    api = browser("head1")
    for query in ("state=lost", "page_size=500", "department=nope", "year=abc"):
        response = api.get(f"/api/v1/tasks?{query}")
        assert response.status_code == 422, query
        assert response.get_json()["errors"]


def test_one_task_with_items_window_sample_pool_events_and_draw(
    db, browser, bureau, make_task, advance, make_subject, make_inspector
):
    task = advance(make_task(), "approved")
    api = browser("head1")
    data = api.get(f"/api/v1/tasks/{task.id}").get_json()
    assert data["id"] == str(task.id) and data["state"] == "approved"
    assert data["items"] == [
        {
            "item_id": str(bureau.item.id),
            "code": "SWJ-001",
            "name": task.items[0].item_version.name,
            "version_no": task.items[0].item_version.version_no,
        }
    ]
    assert data["window"] == {"start": f"{YEAR}-03-01", "end": f"{YEAR}-04-30"}
    assert data["sample"]["kind"] == "ratio" and data["sample"]["ratio"] == "0.05"
    assert data["pool"]["mode"] == "automatic" and "执法证件" in data["pool"]["rule"]
    assert [e["action"] for e in data["events"]] == ["create", "submit", "approve"]
    assert data["events"][-1]["actor"] == "head1" and data["events"][-1]["at"].endswith("+08:00")
    assert data["draw_id"] is None

    for _ in range(3):
        make_subject(departments=[bureau.department])
    for _ in range(2):
        make_inspector(department=bureau.department)
    draw = draw_ops.announce_draw(
        db.session, actor=actor_of(bureau.owner), task=task, user=bureau.owner
    )
    db.session.commit()
    data = api.get(f"/api/v1/tasks/{task.id}").get_json()
    assert data["draw_id"] == str(draw.id) and data["state"] == "announced"


def test_an_unknown_task_is_404(browser, bureau):
    api = browser("head1")
    assert api.get(f"/api/v1/tasks/{uuid.uuid4()}").status_code == 404
    assert api.get("/api/v1/tasks/not-a-uuid").status_code == 404


def test_a_cancelled_task_shows_its_reason_in_the_events(db, browser, bureau, make_task):
    task = make_task()
    operations.cancel(db.session, task, actor=actor_of(bureau.head), user=bureau.head,
                      comment="计划调整")  # fmt: skip
    db.session.commit()
    data = browser("office1").get(f"/api/v1/tasks/{task.id}").get_json()
    assert data["state"] == "cancelled" and data["events"][-1]["comment"] == "计划调整"


def test_the_api_is_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/tasks" in paths and "/api/v1/tasks/{task_id}" in paths
    params = {p["name"] for p in paths["/api/v1/tasks"]["get"]["parameters"]}
    assert {"year", "department", "state", "page", "page_size"} <= params
