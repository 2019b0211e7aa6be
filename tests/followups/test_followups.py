"""Follow-ups: opened from approved results (idempotent), the department's list, the log and
closing, and who may see and do what.

Run: .venv/bin/pytest -n0 -q tests/followups   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select

from server.audit.models import AuditEvent
from server.auth.operations import actor_for
from server.clock import local_today
from server.followups import operations
from server.followups.models import CLOSED, OPEN, FollowUp, FollowUpEntry
from server.results import operations as result_ops
from tests.followups.conftest import approve_with, browser, open_followups


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_approval_opens_one_followup_per_measure_except_none_and_again_opens_nothing(db, bench):
    first, second = bench.visit_ids()[:2]
    sheet = approve_with(bench, first)  # the head's approval opens them (results._decide)
    created = db.session.scalars(select(FollowUp).where(FollowUp.sheet_id == sheet.id)).all()
    items = len(bench.task.items)
    assert len(created) == 2 * items
    assert {f.code for f in created} == {"rectify", "notify_other"}
    f = created[0]
    assert f.status == OPEN and f.department_id == bench.task.department_id
    assert f.sheet_id == sheet.id and f.subject_id == bench.visit(first).subject_id
    assert f.opened_on == local_today()
    # Idempotent: a second call (or the CLI catch-up) opens nothing more.
    assert open_followups(db, bench, sheet) == []
    assert count(db, FollowUp) == 2 * items
    # 无须后续处置 needs no follow-up; a measure already closed at entry is opened closed.
    done = approve_with(
        bench,
        second,
        followups=[{"code": "rectify", "status": "closed", "closed_on": "2026-11-02"}],
    )
    assert open_followups(db, bench, done) == []
    closed = db.session.scalars(select(FollowUp).where(FollowUp.sheet_id == done.id)).all()
    assert [(c.status, c.closed_on) for c in closed] == [(CLOSED, dt.date(2026, 11, 2))] * items
    opened = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "followup.open")
    )
    assert opened == 3 * items


def test_a_sheet_not_approved_opens_nothing_and_the_cli_catches_up(db, app, bench):
    visit_id = bench.visit_ids()[0]
    bench.approved_section(visit_id)
    sheet = bench.submit(bench.save(visit_id, followups=[{"code": "to_daily"}]))
    assert open_followups(db, bench, sheet) == []
    bench.approve(sheet)
    assert count(db, FollowUp) == len(bench.task.items)
    # A result approved before follow-ups existed (an upgraded database) has none: the CLI
    # opens them.
    db.session.execute(delete(FollowUp))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["followups", "open"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"opened={len(bench.task.items)}"
    again = app.test_cli_runner().invoke(args=["followups", "open"])
    assert again.output.strip() == "opened=0"


def test_a_correction_keeps_the_followup_and_points_it_at_the_new_version(db, bench, opened):
    office = bench.side.office
    old = db.session.get(FollowUp, opened["rectify"].id).sheet_id
    from server.results.models import ResultSheet

    sheet = db.session.get(ResultSheet, old)
    new = result_ops.correct(
        db.session, actor=actor_for(office), user=office, sheet=sheet, reason="补充说明"
    )
    db.session.commit()
    bench.approve(bench.submit(new))
    assert open_followups(db, bench, new) == []
    row = db.session.get(FollowUp, opened["rectify"].id)
    assert row.sheet_id == new.id
    assert count(db, FollowUp) == 2 * len(bench.task.items)


def test_the_list_shows_open_first_flags_overdue_and_filters(db, app, bench, opened):
    office = bench.side.office
    rectify, notify = opened["rectify"], opened["notify_other"]
    rectify.due_on = local_today() - dt.timedelta(days=1)  # overdue (set directly: a past term)
    rectify.opened_on = rectify.due_on - dt.timedelta(days=20)
    db.session.commit()
    operations.close(
        db.session,
        actor=actor_for(office),
        user=office,
        followup=notify,
        closed_on=local_today(),
        note="已抄告",
    )
    db.session.commit()
    page = browser(app, office).get("/followups")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("责令限期整改") < html.index("抄告其他部门")  # open first
    assert "已逾期" in html and 'class="is-flagged"' in html
    filtered = browser(app, office).get("/followups?status=closed").get_data(as_text=True)
    assert "抄告其他部门" in filtered and "已逾期" not in filtered
    by_code = browser(app, office).get("/followups?code=rectify").get_data(as_text=True)
    assert "责令限期整改" in by_code and f"/followups/{notify.id}" not in by_code
    assert browser(app, office).get("/followups?status=bogus").status_code == 400


def test_other_departments_and_other_roles_see_nothing_and_write_nothing(
    db, app, bench, opened, make_user
):
    target = opened["rectify"]
    other = browser(app, bench.scene.b.office)
    assert other.get(f"/followups/{target.id}").status_code == 404
    assert f"/followups/{target.id}" not in other.get("/followups").get_data(as_text=True)
    posted = other.post_form(
        f"/followups/{target.id}/close", {"closed_on": local_today().isoformat()}
    )
    assert posted.status_code == 404
    inspector = make_user("insp_x", "inspector", department=bench.side.department)
    assert browser(app, inspector).get("/followups").status_code == 403
    leader = browser(app, bench.scene.leader)
    assert leader.get(f"/followups/{target.id}").status_code == 403
    db.session.expire_all()
    assert db.session.get(FollowUp, target.id).status == OPEN
    assert count(db, FollowUpEntry) == 0


def test_the_office_logs_sets_a_term_and_closes_once(db, app, bench, opened):
    target = opened["rectify"]
    office = browser(app, bench.side.office)
    url = f"/followups/{target.id}"
    today = local_today()
    empty = office.post_form(f"{url}/log", {"happened_on": today.isoformat(), "text": " "})
    assert empty.status_code == 422 and "请填写处置情况" in empty.get_data(as_text=True)
    future = (today + dt.timedelta(days=2)).isoformat()
    refused = office.post_form(f"{url}/log", {"happened_on": future, "text": "复查"})
    assert refused.status_code == 422 and "日期不能晚于今天" in refused.get_data(as_text=True)
    assert count(db, FollowUpEntry) == 0
    assert (
        office.post_form(
            f"{url}/log", {"happened_on": today.isoformat(), "text": "电话督促整改"}
        ).status_code
        == 302
    )
    term = (today + dt.timedelta(days=15)).isoformat()
    assert office.post_form(f"{url}/due", {"due_on": term}).status_code == 302
    bad = office.post_form(f"{url}/close", {"closed_on": "2026-13-01"})
    assert bad.status_code == 422 and "日期格式不正确" in bad.get_data(as_text=True)
    done = office.post_form(f"{url}/close", {"closed_on": today.isoformat(), "note": "复查合格"})
    assert done.status_code == 302
    db.session.expire_all()
    row = db.session.get(FollowUp, target.id)
    assert (row.status, row.closed_on, row.closing_note) == (CLOSED, today, "复查合格")
    assert row.due_on.isoformat() == term
    assert [e.text for e in row.entries] == ["电话督促整改", "复查合格"]
    page = office.get(url).get_data(as_text=True)
    assert "电话督促整改" in page and "已办结" in page and "添加处置记录" not in page
    again = office.post_form(f"{url}/close", {"closed_on": today.isoformat()})
    assert again.status_code == 409 and "该后续处置已办结" in again.get_data(as_text=True)
    late = office.post_form(f"{url}/log", {"happened_on": today.isoformat(), "text": "再次"})
    assert late.status_code == 409
    assert count(db, FollowUpEntry) == 2
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"followup.log", "followup.due", "followup.close"} <= actions
