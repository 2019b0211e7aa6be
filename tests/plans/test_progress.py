"""Plan progress: per plan line the population, the subjects drawn and checked against the
planned ratio, the subjects checked more than twice this year; the page and its Excel.

Run: .venv/bin/pytest -n0 -q tests/plans/test_progress.py   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import io
import uuid

from openpyxl import load_workbook
from sqlalchemy import event

from server.audit.operations import SYSTEM
from server.auth.operations import actor_for
from server.directory.models import SubjectRiskFlag
from server.plans import operations as plan_ops
from server.plans import progress
from server.visits import review
from tests.conftest import ConsoleClient
from tests.results.conftest import Bench
from tests.results.conftest import bench as bench  # noqa: F401 - fixtures of that folder
from tests.syncapi.conftest import YEAR, issue
from tests.syncapi.conftest import drawn_task as drawn_task  # noqa: F401
from tests.syncapi.conftest import scene as scene  # noqa: F401


def _plan(db, side, **filters):
    plan = plan_ops.create_plan(
        db.session, actor=SYSTEM, department_id=side.department.id, year=YEAR
    )
    if filters:
        plan.lines[0].filters = filters
    db.session.commit()
    return plan


def _check(db, bench, visit_id, head):
    """A record signed on the phone and approved by the task department's head."""
    review.approve(db.session, actor_for(head), head, bench.submit_record(visit_id))
    db.session.commit()


def test_lines_count_population_drawn_and_checked_against_the_ratio(
    db, bench, make_subject, make_region
):
    a = bench.side
    make_subject(departments=[a.department], kind="individual")  # in scope, filtered out below
    make_subject(departments=[bench.scene.b.department])  # another department's directory
    plan = _plan(db, a)
    first, second, third = bench.visit_ids()
    report = progress.plan_progress(db.session, plan)
    [line] = report.lines
    assert (line.population, line.drawn, line.checked) == (4, 3, 0)
    assert line.achieved_percent == 0 and not line.is_met
    assert line.drawn_percent == 75

    bench.approved_section(first)  # an approved record
    bench.approved_result(second)  # record and result approved
    bench.submit_record(third)  # submitted only: not checked
    report = progress.plan_progress(db.session, plan)
    [line] = report.lines
    assert (line.population, line.drawn, line.checked) == (4, 3, 2)
    assert str(line.achieved_percent) == "50.0" and line.is_met
    assert {s.checks for s in report.subjects} == {1, 0} and report.over_cap == 0

    plan.lines[0].filters = {"kinds": ["enterprise"]}
    db.session.commit()
    [line] = progress.plan_progress(db.session, plan).lines
    assert line.population == 3 and str(line.achieved_percent) == "66.7"


def test_a_subject_checked_three_times_is_flagged_on_the_page_and_in_excel(
    db,
    app,
    client,
    bench,
    drawn_task,
    make_subject,  # noqa: F811
):
    scene = bench.scene
    plan = _plan(db, bench.side)
    # The same three subjects are drawn by the other department's task too (two visits each).
    b_task = drawn_task(scene.b, "12-01", "12-31")
    issue(db, scene.b, b_task)
    b_bench = Bench(db=db, client=client, scene=scene, task=b_task)
    # A high-risk subject may be drawn a third time (exempt from the cap): a second task of A.
    target = bench.visit(bench.visit_ids()[0]).subject
    db.session.add(SubjectRiskFlag(subject_id=target.id, flag="complaints"))
    db.session.commit()
    third = drawn_task(bench.side, "12-01", "12-10", name="第二次专项抽查", sample_count="1")
    issue(db, bench.side, third)
    third_bench = Bench(db=db, client=client, scene=scene, task=third)
    [third_visit] = third_bench.visit_ids()
    assert third_bench.visit(third_visit).subject_id == target.id

    for b, head in ((bench, scene.a.head), (b_bench, scene.b.head), (third_bench, scene.a.head)):
        visit_id = next(v for v in b.visit_ids() if b.visit(v).subject_id == target.id)
        _check(db, b, visit_id, head)

    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        report = progress.plan_progress(db.session, plan)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(statements) <= 8  # a fixed number of GROUP BY queries, whatever the size
    top = report.subjects[0]
    assert (top.subject_id, top.visits, top.checks, top.is_over) == (target.id, 3, 3, True)
    assert report.over_cap == 1
    assert all(not s.is_over for s in report.subjects[1:])
    [line] = report.lines
    # Two tasks of A carry the item: the subject counts once.
    assert (line.drawn, line.checked) == (3, 1)

    browser = ConsoleClient(app.test_client())
    assert (
        browser.login(scene.b.office.username).status_code == 302
    )  # every console user reads plans
    detail = browser.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert f"/plans/{plan.id}/progress" in detail
    page = browser.get(f"/plans/{plan.id}/progress")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "1 个对象检查超过 2 次" in html and target.uscc in html and 'class="is-flagged"' in html
    assert browser.get(f"/plans/{uuid.uuid4()}/progress").status_code == 404

    xlsx = browser.get(f"/plans/{plan.id}/progress.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    lines = book["计划执行进度"]
    assert [c.value for c in lines[2]][:3] == ["序号", "事项编码", "事项名称"]
    row = [c.value for c in lines[3]]
    assert row[1] == bench.side.item.code and row[9:15] == [3, 3, "100.0%", 1, "33.3%", "是"]
    subjects = book["对象检查次数"]
    first = [c.value for c in subjects[3]]
    assert first[2:] == [target.uscc, 3, 3, "是"]
