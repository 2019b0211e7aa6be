"""The results of a task as Excel: one row per section and item with codes, methods, follow-ups
(with their status as handled since), version and state; scoped like the results pages.

Run: .venv/bin/pytest -n0 -q tests/documents/test_excel_results.py   (add DATABASE_URL for PG)
"""

from __future__ import annotations

import io
import uuid

from openpyxl import load_workbook
from sqlalchemy import select

from server.auth.operations import actor_for
from server.clock import local_today
from server.followups import operations as followup_ops
from server.followups.models import FollowUp
from tests.conftest import ConsoleClient
from tests.results.conftest import bench as bench  # noqa: F401 - fixtures of that folder
from tests.syncapi.conftest import drawn_task as drawn_task  # noqa: F401
from tests.syncapi.conftest import scene as scene  # noqa: F401


def browser(app, user) -> ConsoleClient:
    client = ConsoleClient(app.test_client())
    assert client.login(user.username).status_code == 302
    return client


def test_the_results_workbook_lists_every_section_with_its_result_and_followups(db, app, bench):
    first, second, _third = bench.visit_ids()
    bench.approved_result(first)
    bench.approved_section(second)
    sheet = bench.save(
        second,
        results=("corrected",),
        methods=("onsite", "documentary"),
        followups=[{"code": "rectify"}, {"code": "to_daily"}],
    )
    bench.approve(bench.submit(sheet))
    office = bench.side.office
    # The head's approval opened them.
    [rectify, _daily] = db.session.scalars(
        select(FollowUp).where(FollowUp.sheet_id == sheet.id).order_by(FollowUp.code)
    ).all()
    followup_ops.close(
        db.session,
        actor=actor_for(office),
        user=office,
        followup=rectify,
        closed_on=local_today(),
        note="整改完毕",
    )
    db.session.commit()

    response = browser(app, office).get(f"/results/tasks/{bench.task.id}/export.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    sheet_ = book["检查结果"]
    assert bench.task.number in sheet_["A1"].value
    header = [c.value for c in sheet_[2]]
    assert header == ["序号", "检查对象", "统一社会信用代码", "抽查事项", "检查结果", "核查方式",
                      "后续处置", "版本", "状态", "审核通过时间"]  # fmt: skip
    rows = {r[2]: r for r in ([c.value for c in row] for row in sheet_.iter_rows(min_row=3))}
    assert len(rows) == 3
    done = rows[bench.visit(first).uscc]
    assert done[4:9] == ["未发现问题", "实地核查", "无须后续处置", 1, "通过"] and done[9]
    found = rows[bench.visit(second).uscc]
    assert found[3].startswith(bench.side.item.code)
    assert found[4:6] == ["发现问题已责令改正", "实地核查、书面检查"]
    assert found[6] == (
        f"责令限期整改（已办结 {local_today().isoformat()}）\n移交日常监管部门（未办结）"
    )
    empty = rows[bench.visit(_third).uscc]
    assert empty[4] in ("", None) and empty[8] == "未录入"


def test_another_department_gets_404_and_an_inspector_403(db, app, bench, make_user):
    other = browser(app, bench.scene.b.office)
    assert other.get(f"/results/tasks/{bench.task.id}/export.xlsx").status_code == 404
    assert other.get(f"/results/tasks/{uuid.uuid4()}/export.xlsx").status_code == 404
    inspector = make_user("insp_q", "inspector", department=bench.side.department)
    assert (
        browser(app, inspector).get(f"/results/tasks/{bench.task.id}/export.xlsx").status_code
        == 403
    )
    head = browser(app, bench.side.head)
    assert head.get(f"/results/tasks/{bench.task.id}/export.xlsx").status_code == 200
