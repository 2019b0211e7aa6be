"""Excel exports of the task and visit lists: same rows as the list page (filters and the user's
scope), Chinese headers, frozen header row, dates as dates.

Run: .venv/bin/pytest -q tests/documents/test_exports.py
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

from openpyxl import load_workbook
from sqlalchemy import select

from server.directory.models import Inspector
from server.draws.models import DrawAssignment
from server.tasks import workflow
from server.visits.models import Visit
from tests.documents.test_pdfs import refused_record

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def sheet_of(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    return load_workbook(io.BytesIO(response.data)).active


def rows(sheet) -> list[tuple]:
    return [row for row in sheet.iter_rows(min_row=3, values_only=True)]


def test_the_task_export_follows_the_list_filters(db, field, scene, drawn_task, signed_in_as):
    b_task = drawn_task(scene.b)
    browser = signed_in_as(scene.a.head.username)

    sheet = sheet_of(browser.get("/tasks/export.xlsx?year=2026"))
    assert sheet.title == "抽查任务"
    assert sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]][:6] == [
        "序号",
        "任务编号",
        "任务名称",
        "年度",
        "责任科室",
        "状态",
    ]
    assert sheet.column_dimensions["C"].width == 30
    numbers = {row[1] for row in rows(sheet)}
    assert b_task.number in numbers and len(numbers) == 2

    only_b = sheet_of(browser.get(f"/tasks/export.xlsx?department={scene.b.department.id}"))
    (row,) = rows(only_b)
    assert row[1:5] == (b_task.number, b_task.name, 2026, scene.b.department.name)
    assert row[5] == str(workflow.STATES[b_task.state])
    assert row[7] == dt.datetime(2026, 12, 1) and row[8] == dt.datetime(2026, 12, 31)
    assert only_b.cell(3, 8).number_format == "yyyy-mm-dd"
    assert scene.b.item.code in row[9]
    assert row[10] == "实地核查"
    assert browser.get("/tasks/export.xlsx?year=abc").status_code == 400


def test_the_visit_export_holds_the_users_visits_with_teams_and_record_states(
    db, client, field, scene, signed_in_as
):
    phone, visit_id, task_id, _ = field
    refused_record(db, client, phone, visit_id, task_id, scene)

    sheet = sheet_of(signed_in_as(scene.a.head.username).get("/visits/export.xlsx"))
    assert sheet.title == "检查" and sheet.freeze_panes == "A3"
    assert [c.value for c in sheet[2]] == [
        "序号", "任务编号", "检查对象", "统一社会信用代码", "开始日期", "截止日期",
        "状态", "检查组", "组长", "检查记录",
    ]  # fmt: skip
    visits = list(
        db.session.scalars(select(Visit).order_by(Visit.window_end, Visit.uscc, Visit.id))
    )
    exported = rows(sheet)
    assert [r[3] for r in exported] == [v.uscc for v in visits] and len(exported) == 3
    by_uscc = {r[3]: r for r in exported}
    for visit in visits:
        row = by_uscc[visit.uscc]
        link = visit.tasks[0]
        assert row[1] == link.task.number and row[2] == visit.subject.name
        assert row[4] == dt.datetime.combine(visit.window_start, dt.time())
        assert row[6] == "待检查"
        assignments = db.session.scalars(
            select(DrawAssignment).where(
                DrawAssignment.draw_id == link.draw_id,
                DrawAssignment.subject_id == link.subject_id,
            )
        ).all()
        for a in assignments:
            assert a.credential_no in row[7]
        lead = next(a for a in assignments if a.is_team_lead)
        assert row[8] == db.session.get(Inspector, lead.inspector_id).name
        expected = "已提交" if str(visit.id) == visit_id else "未提交"
        assert row[9] == expected

    # Another department's head sees none of them; a filter that matches nothing gives none.
    assert rows(sheet_of(signed_in_as(scene.b.head.username).get("/visits/export.xlsx"))) == []
    head = signed_in_as(scene.a.head.username)
    assert rows(sheet_of(head.get("/visits/export.xlsx?state=cancelled"))) == []
    one = rows(sheet_of(head.get(f"/visits/export.xlsx?task={task_id}&year=2026")))
    assert len(one) == 3
    assert head.get("/visits/export.xlsx?state=nonsense").status_code == 400
    assert uuid.UUID(visit_id)


def test_the_list_pages_link_their_exports(db, field, scene, signed_in_as):
    browser = signed_in_as(scene.a.head.username)
    assert "/tasks/export.xlsx?year=2026" in browser.get("/tasks?year=2026").get_data(as_text=True)
    page = browser.get("/visits?state=planned").get_data(as_text=True)
    assert "/visits/export.xlsx?state=planned" in page
