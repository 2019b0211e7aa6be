"""Console page /admin/calendar: overrides (admin only, audited) and the due-date calculator."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.calendar.models import CalendarOverride


def events(db, action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_only_admins_see_the_calendar_page(console):
    client = console("back_office")
    assert client.get("/admin/calendar").status_code == 403
    assert client.post_form("/admin/calendar/overrides", {}).status_code == 403


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get("/admin/calendar")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_page_lists_overrides_and_is_in_the_nav(console):
    client = console("admin")
    client.post_form(
        "/admin/calendar/overrides", {"day": "2026-10-09", "kind": "dayoff", "note": "台风停工"}
    )
    page = client.get("/admin/calendar").get_data(as_text=True)
    assert "工作日历" in page
    assert "2026-10-09" in page and "台风停工" in page
    assert 'href="/admin/calendar"' in page


def test_admin_adds_an_override_and_it_is_audited(console, db):
    client = console("admin", username="admin")
    response = client.post_form(
        "/admin/calendar/overrides", {"day": "2026-10-09", "kind": "dayoff", "note": "台风停工"}
    )
    assert response.status_code == 302
    override = db.session.get(CalendarOverride, dt.date(2026, 10, 9))
    assert override.is_workday is False and override.note == "台风停工"
    [event] = events(db, "calendar.override_set")
    assert event.object_id == "2026-10-09"
    assert event.actor_label == "user:admin"
    assert event.details["created"] is True


def test_override_without_a_note_is_refused_and_nothing_written(console, db):
    client = console("admin")
    response = client.post_form(
        "/admin/calendar/overrides", {"day": "2026-10-09", "kind": "dayoff", "note": "  "}
    )
    assert response.status_code == 422
    assert "必填" in response.get_data(as_text=True)
    assert db.session.scalars(select(CalendarOverride)).all() == []
    assert events(db, "calendar.override_set") == []


def test_override_with_a_bad_date_or_kind_is_refused(console):
    client = console("admin")
    response = client.post_form(
        "/admin/calendar/overrides", {"day": "2026-02-30", "kind": "maybe", "note": "x"}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "日期格式应为 YYYY-MM-DD" in body
    assert "请选择工作日或休息日" in body


def test_admin_edits_an_override(console, db):
    client = console("admin")
    client.post_form(
        "/admin/calendar/overrides", {"day": "2026-10-09", "kind": "dayoff", "note": "台风停工"}
    )
    assert client.get("/admin/calendar/overrides/2026-10-09/edit").status_code == 200
    response = client.post_form(
        "/admin/calendar/overrides/2026-10-09/edit", {"kind": "workday", "note": "恢复上班"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    override = db.session.get(CalendarOverride, dt.date(2026, 10, 9))
    assert override.is_workday is True and override.note == "恢复上班"
    latest = events(db, "calendar.override_set")[-1]
    assert latest.details["created"] is False
    assert latest.details["previous"]["note"] == "台风停工"


def test_admin_deletes_an_override_and_it_is_audited(console, db):
    client = console("admin")
    client.post_form(
        "/admin/calendar/overrides", {"day": "2026-10-09", "kind": "dayoff", "note": "台风停工"}
    )
    response = client.post_form("/admin/calendar/overrides/2026-10-09/delete")
    assert response.status_code == 302
    assert db.session.get(CalendarOverride, dt.date(2026, 10, 9)) is None
    [event] = events(db, "calendar.override_delete")
    assert event.object_id == "2026-10-09"
    assert event.state_digest is None


def test_editing_a_missing_override_is_not_found(console):
    client = console("admin")
    assert client.get("/admin/calendar/overrides/2026-10-09/edit").status_code == 404
    assert client.get("/admin/calendar/overrides/not-a-day/edit").status_code == 404
    assert client.post_form("/admin/calendar/overrides/2026-10-09/delete").status_code == 404


def test_calculator_shows_the_due_date(console):
    client = console("admin")
    page = client.get("/admin/calendar?start=2026-09-25&n=20").get_data(as_text=True)
    assert "2026-10-29" in page
    assert "暂定" not in page.split('class="calc-result"')[1]


def test_calculator_marks_a_2027_deadline_provisional(console):
    client = console("admin")
    page = client.get("/admin/calendar?start=2026-12-20&n=20").get_data(as_text=True)
    result = page.split('class="calc-result"')[1]
    assert "2027-01-15" in result and "暂定" in result


def test_calculator_with_bad_input_shows_a_chinese_error(console):
    client = console("admin")
    response = client.get("/admin/calendar?start=soon&n=-3")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "日期格式应为 YYYY-MM-DD" in body
    assert "工作日数应在 0 到 2000 之间" in body
    assert 'class="calc-result"' not in body
