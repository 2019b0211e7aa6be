"""Console pages (/results, the entry form, the task's results, /results/deadlines, the task
page's deadline block) and the JSON API (/api/v1/results), with their scoping.

Run: .venv/bin/pytest -n0 -q tests/results/test_pages.py   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from server.results.models import APPROVED, SUBMITTED, ResultSheet, TaskCompletion
from server.tasks import workflow
from tests.conftest import ConsoleClient


def browser(app, user) -> ConsoleClient:
    client = ConsoleClient(app.test_client())
    assert client.login(user.username).status_code == 302
    return client


def form_for(bench, results=("no_problem",), followups=("none",), **extra) -> dict:
    data = {"remarks": "", **extra}
    for ti in bench.task.items:
        key = str(ti.item_id)
        data[f"results-{key}"] = list(results)
        data[f"methods-{key}"] = ["onsite", "documentary"]
        data[f"followups-{key}"] = list(followups)
        data[f"note-{key}"] = "现场核对台账"
    return data


def test_the_office_enters_and_submits_on_the_form_and_the_head_approves(db, app, bench):
    visit_id = bench.visit_ids()[0]
    office = browser(app, bench.side.office)
    page = office.get(f"/results/visits/{visit_id}")
    assert page.status_code == 200
    assert "尚无审核通过的检查记录" in page.get_data(as_text=True)
    bench.approved_section(visit_id)
    page = office.get(f"/results/visits/{visit_id}").get_data(as_text=True)
    assert "保存并提交审核" in page and 'name="results-' in page

    url = f"/results/visits/{visit_id}/tasks/{bench.task.id}"
    refused = office.post_form(url, form_for(bench, results=("no_problem", "corrected")))
    assert refused.status_code == 422
    assert "检查结果“未发现问题”不能与其他检查结果同时选择" in refused.get_data(as_text=True)
    assert 'value="corrected" checked' in refused.get_data(as_text=True)  # the input is kept
    refused = office.post_form(url, form_for(bench, followups=("none", "rectify")))
    assert refused.status_code == 422
    assert "后续处置“无须后续处置”不能与其他后续处置同时选择" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ResultSheet.id)) is None

    done = office.post_form(url, form_for(bench, then="submit"))
    assert done.status_code == 302
    sheet = db.session.scalars(select(ResultSheet)).one()
    assert sheet.state == SUBMITTED
    assert sheet.lines[0].method_codes == ["onsite", "documentary"]
    # The enterer sees no review buttons; the head does and approves.
    assert "审核通过</button>" not in office.get(f"/results/visits/{visit_id}").get_data(
        as_text=True
    )
    head = browser(app, bench.side.head)
    assert "审核通过</button>" in head.get(f"/results/visits/{visit_id}").get_data(as_text=True)
    assert head.post_form(f"/results/sheets/{sheet.id}/return", {}).status_code == 422
    assert head.post_form(f"/results/sheets/{sheet.id}/approve", {}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ResultSheet, sheet.id).state == APPROVED
    # Another department's head does not see the visit at all.
    other = browser(app, bench.scene.b.head)
    assert other.get(f"/results/visits/{visit_id}").status_code == 404
    assert other.post_form(f"/results/sheets/{sheet.id}/approve", {}).status_code == 404


def test_the_list_filters_by_task_and_state_within_the_department(db, app, bench):
    visits = bench.visit_ids()
    bench.approved_result(visits[0])
    office = browser(app, bench.side.office)
    page = office.get("/results").get_data(as_text=True)
    assert page.count('href="/results/visits/') == 3
    page = office.get(f"/results?task_id={bench.task.id}&state=none").get_data(as_text=True)
    assert page.count('href="/results/visits/') == 2 and visits[0] not in page
    page = office.get("/results?state=approved").get_data(as_text=True)
    assert page.count('href="/results/visits/') == 1 and visits[0] in page
    other = browser(app, bench.scene.b.office)
    assert 'href="/results/visits/' not in other.get("/results").get_data(as_text=True)
    inspector = browser(app, bench.scene.users[0])
    assert inspector.get("/results").status_code == 403


def test_complete_from_the_console_and_the_deadline_on_the_task_page(db, app, bench):
    for visit_id in bench.visit_ids():
        bench.approved_result(visit_id)
    head = browser(app, bench.side.head)
    page = head.get(f"/results/tasks/{bench.task.id}").get_data(as_text=True)
    assert "完成任务" in page
    assert head.post_form(f"/results/tasks/{bench.task.id}/complete").status_code == 302
    db.session.expire_all()
    task = bench.task
    assert task.state == workflow.COMPLETED
    completion = db.session.get(TaskCompletion, task.id)
    # Pin the completion day: inside 2026 the date is official, past it provisional.
    completion.completed_on = dt.date(2026, 9, 30)
    db.session.commit()
    page = head.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "公示截止日期" in page and "2026-11-03" in page and "（暂定）" not in page
    completion.completed_on = dt.date(2031, 3, 3)
    db.session.commit()
    page = head.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "2031-03-31" in page and "（暂定）" in page
    board = head.get("/results/deadlines").get_data(as_text=True)
    assert task.number in board and "2031-03-31" in board and "（暂定）" in board
    assert task.number not in browser(app, bench.scene.b.head).get("/results/deadlines").get_data(
        as_text=True
    )


def test_the_api_lists_and_shows_results_within_scope(db, app, bench):
    visit_id = bench.visit_ids()[0]
    sheet = bench.approved_result(visit_id)
    office = browser(app, bench.side.office)
    body = office.get(f"/api/v1/results?task_id={bench.task.id}&state=approved").get_json()
    assert body["total"] == 1 and body["items"][0]["id"] == str(sheet.id)
    assert body["items"][0]["state_label"] == "通过"
    detail = office.get(f"/api/v1/results/{sheet.id}").get_json()
    assert detail["lines"][0]["result_codes"] == ["no_problem"]
    assert [v["version"] for v in detail["versions"]] == [1]
    assert office.get("/api/v1/results?state=draft").get_json()["total"] == 0
    assert office.get("/api/v1/results?state=bogus").status_code == 422
    leader = browser(app, bench.scene.leader)
    assert leader.get(f"/api/v1/results/{sheet.id}").status_code == 200
    for outsider in (bench.scene.b.head, bench.scene.users[0]):
        client = browser(app, outsider)
        assert client.get("/api/v1/results").get_json()["total"] == 0
        assert client.get(f"/api/v1/results/{sheet.id}").status_code == 404
    anonymous = ConsoleClient(app.test_client())
    assert anonymous.get("/api/v1/results").status_code == 401
    paths = office.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/results", "/api/v1/results/{sheet_id}"} <= set(paths)
