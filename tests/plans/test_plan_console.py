"""Console pages of annual plans: who may do what, forms, statuses, export."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.plans import queries
from server.plans.models import AnnualPlan


def _line_form(**extra) -> dict:
    form = {
        "objects": "辖区内单用途商业预付卡发卡企业",
        "content": "备案情况、资金存管",
        "methods": ["onsite"],
        "ratio_percent": "5",
        "frequency_per_year": "1",
        "window_start": "2026-03-01",
        "window_end": "2026-06-30",
        "department_scope": "1",
    }
    form.update(extra)
    return form


def test_a_department_head_creates_the_draft_of_their_department(client, dept, items, head, db):
    client.login("head")
    response = client.post_form("/plans/new", {"department_id": str(dept.id), "year": "2026"})
    assert response.status_code == 302
    plan = queries.find_plan(db.session, dept.id, 2026)
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "SWJ-001" in page and "SWJ-002" in page and "符合规则" in page


def test_a_department_head_of_another_department_gets_403(
    signed_in, make_department, dept, make_plan, line_data
):
    plan = make_plan()
    other = signed_in("dept_head", username="other", department=make_department("外贸科"))
    assert (
        other.post_form("/plans/new", {"department_id": str(dept.id), "year": "2027"}).status_code
        == 403
    )
    line = plan.lines[0]
    assert other.get(f"/plans/{plan.id}/lines/{line.id}").status_code == 403
    assert (
        other.post_form(f"/plans/{plan.id}/file", {"filed_to": "市市场监管局"}).status_code == 403
    )
    assert other.get(f"/plans/{plan.id}").status_code == 200  # everyone signed in reads


def test_an_inspector_reads_but_gets_403_on_every_write(signed_in, make_plan):
    plan = make_plan()
    browser = signed_in("inspector")
    assert browser.get("/plans").status_code == 200
    assert browser.get(f"/plans/{plan.id}").status_code == 200
    assert browser.get("/plans/new").status_code == 403
    line = plan.lines[0]
    for path in (
        f"/plans/{plan.id}/lines/{line.id}",
        f"/plans/{plan.id}/file",
        f"/plans/{plan.id}/publish",
        f"/plans/{plan.id}/adjust",
        f"/plans/{plan.id}/overrides",
    ):
        assert browser.post_form(path, {}).status_code == 403, path


def test_back_office_and_leader_read_but_do_not_write(console, make_plan):
    plan = make_plan()
    for role in ("back_office", "leader"):
        browser = console(role)
        assert browser.get(f"/plans/{plan.id}").status_code == 200
        assert browser.post_form(f"/plans/{plan.id}/publish").status_code == 403


def test_a_line_edit_with_a_bad_window_re_renders_with_422(client, head, make_plan):
    plan = make_plan()
    client.login("head")
    line = plan.lines[0]
    response = client.post_form(
        f"/plans/{plan.id}/lines/{line.id}", _line_form(window_start="2026-07-01")
    )
    assert response.status_code == 422
    assert "开始日期不能晚于结束日期" in response.get_data(as_text=True)


def test_filing_with_findings_is_refused_with_a_chinese_message(client, head, make_plan, db):
    plan = make_plan()
    client.login("head")
    line = plan.lines[0]
    assert (
        client.post_form(
            f"/plans/{plan.id}/lines/{line.id}", _line_form(ratio_percent="3")
        ).status_code
        == 302
    )
    response = client.post_form(f"/plans/{plan.id}/file", {"filed_to": "市市场监管局"})
    assert response.status_code == 409
    assert "不能报备" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AnnualPlan, plan.id).state == "draft"


def test_an_override_without_justification_is_422_and_with_one_lets_filing_through(
    client, head, make_plan, db
):
    plan = make_plan()
    client.login("head")
    line = plan.lines[0]
    client.post_form(f"/plans/{plan.id}/lines/{line.id}", _line_form(frequency_per_year="3"))
    form = {"rule_code": "frequency_cap", "item_id": str(line.item_id)}
    response = client.post_form(f"/plans/{plan.id}/overrides", {**form, "justification": ""})
    assert response.status_code == 422
    assert "书面理由" in response.get_data(as_text=True)
    reason = "该事项涉及安全生产，上级要求每季度检查一次以上"
    assert (
        client.post_form(
            f"/plans/{plan.id}/overrides", {**form, "justification": reason}
        ).status_code
        == 302
    )
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert reason in page and "经说明突破" in page
    assert (
        client.post_form(f"/plans/{plan.id}/file", {"filed_to": "市市场监管局"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(AnnualPlan, plan.id).state == "filed"


def test_file_publish_adjust_through_the_console(client, head, make_plan, db):
    plan = make_plan()
    client.login("head")
    assert (
        client.post_form(f"/plans/{plan.id}/file", {"filed_to": "市市场监管局"}).status_code == 302
    )
    assert client.post_form(f"/plans/{plan.id}/publish").status_code == 302
    line = plan.lines[1]
    client.post_form(f"/plans/{plan.id}/lines/{line.id}", _line_form(ratio_percent="12"))
    response = client.post_form(f"/plans/{plan.id}/adjust", {"reason": ""})
    assert response.status_code == 422
    assert (
        client.post_form(f"/plans/{plan.id}/adjust", {"reason": "年中调整比例"}).status_code == 302
    )
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "第 2 版" in page and "年中调整比例" in page
    old = client.get(f"/plans/{plan.id}/versions/1").get_data(as_text=True)
    assert "首次公开" in old and "12%" not in old
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == str(plan.id))
    ).all()
    assert actions.count("plan.adjust") == 1 and actions.count("plan.publish") == 1


def test_the_list_shows_states_and_open_findings(signed_in, make_plan, make_item, dept):
    make_plan(2026)
    make_item(department=dept, code="SWJ-003")  # now uncovered
    page = signed_in("leader").get("/plans?year=2026").get_data(as_text=True)
    assert "草稿" in page and "1 项待处理" in page


def test_the_excel_export_has_chinese_headers_and_one_row_per_line(signed_in, make_plan):
    plan = make_plan()
    response = signed_in("back_office").get(f"/plans/{plan.id}/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert "年度抽查工作计划" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:3] == ["序号", "事项编码", "事项名称"]
    assert [sheet.cell(row=r, column=2).value for r in (3, 4)] == ["SWJ-001", "SWJ-002"]
