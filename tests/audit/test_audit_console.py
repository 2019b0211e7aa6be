"""Console page /audit: who may read it, newest first, filters, paging, detail, verify button."""

from __future__ import annotations

import datetime as dt
import html

from sqlalchemy import select, text

from server.audit.models import AuditEvent
from server.audit.operations import CLI, record


def test_readers_are_admin_leader_and_dept_head(console):
    for role in ("admin", "leader", "dept_head"):
        assert console(role, username=f"r_{role}").get("/audit").status_code == 200


def test_back_office_and_inspectors_may_not_read_the_trail(console, chain):
    chain(1)
    for role in ("back_office", "inspector"):
        client = console(role, username=f"r_{role}")
        assert client.get("/audit").status_code == 403
        assert client.get("/audit/1").status_code == 403
        assert client.post_form("/audit/verify").status_code == 403


def test_list_is_newest_first_with_short_digest_and_hash(console, chain):
    events = chain(3)
    client = console("admin")
    body = client.get("/audit").get_data(as_text=True)
    assert body.index("obj-2") < body.index("obj-1") < body.index("obj-0")
    assert events[-1].hash[:10] in body
    assert events[-1].state_digest[:10] in body
    assert "审计日志" in body


def test_times_are_shown_in_shanghai_time(console, db):
    event = record(db.session, actor=CLI, action="t.time", object_type="thing")
    db.session.commit()
    shown = (event.at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert shown in console("admin").get("/audit").get_data(as_text=True)


def test_reading_the_trail_adds_no_event(console, chain, db):
    chain(2)
    client = console("leader")
    before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
    client.get("/audit")
    client.get("/audit/1")
    after = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()))
    assert after == before


def test_filter_by_action_prefix(console, chain):
    chain(2, action="calendar.override_set")
    chain(2, action="item.create")
    body = console("admin").get("/audit?action=calendar.").get_data(as_text=True)
    assert "calendar.override_set" in body
    assert "item.create" not in body.split("<tbody>")[1]


def test_filter_by_object_type_and_id(console, chain):
    chain(3, object_type="subject")
    chain(3, object_type="item")
    body = console("admin").get("/audit?object_type=item&object_id=obj-1").get_data(as_text=True)
    rows = body.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 1
    assert "obj-1" in rows


def test_filter_by_actor(console, chain):
    chain(2)
    client = console("admin", username="admin")  # its sign-in is an event by user:admin
    rows = client.get("/audit?actor=admin").get_data(as_text=True).split("<tbody>")[1]
    assert "user:admin" in rows
    assert "obj-0" not in rows


def test_filter_by_local_date_range(console, chain, tamper):
    chain(3)
    with tamper() as conn:
        # 2026-03-01 23:30 in Shanghai is 15:30 UTC the same day; 16:30 UTC is already 3/2.
        conn.execute(
            text("UPDATE audit_events SET at = :at WHERE seq = 1"),
            {"at": dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC)},
        )
        conn.execute(
            text("UPDATE audit_events SET at = :at WHERE seq = 2"),
            {"at": dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)},
        )
    client = console("admin")
    rows = client.get("/audit?date_from=2026-03-01&date_to=2026-03-01").get_data(as_text=True)
    rows = rows.split("<tbody>")[1].split("</tbody>")[0]
    assert "obj-0" in rows and "obj-1" not in rows and "obj-2" not in rows
    rows = client.get("/audit?date_from=2026-03-02&date_to=2026-03-02").get_data(as_text=True)
    rows = rows.split("<tbody>")[1].split("</tbody>")[0]
    assert "obj-1" in rows and "obj-0" not in rows


def test_bad_filters_are_refused_in_chinese(console):
    response = console("admin").get("/audit?date_from=tomorrow&date_to=2026-01-01&page=0")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "日期格式应为 YYYY-MM-DD" in body
    response = console("admin", username="a2").get("/audit?date_from=2026-02-01&date_to=2026-01-01")
    assert "结束日期不能早于开始日期" in response.get_data(as_text=True)


def test_list_is_paged_on_the_server(console, chain, app):
    app.config["PAGE_SIZE"] = 5
    chain(12)
    client = console("admin")
    first = client.get("/audit").get_data(as_text=True)
    assert first.split("<tbody>")[1].count("<tr>") == 5
    assert "第 1 / 3 页" in first
    last = client.get("/audit?page=3").get_data(as_text=True)
    assert "obj-0" in last


def test_event_detail_shows_every_field_and_checks_the_event(console, chain):
    events = chain(2)
    body = html.unescape(console("admin").get("/audit/2").get_data(as_text=True))
    for value in (events[1].hash, events[1].prev_hash, events[1].state_digest, "obj-1"):
        assert value in body
    assert "test.write" in body and '"i": 1' in body
    assert "内容与哈希一致" in body and "与前一条衔接" in body


def test_event_detail_flags_an_edited_event(console, chain, tamper):
    chain(2)
    with tamper() as conn:
        conn.execute(text("UPDATE audit_events SET object_id = 'forged' WHERE seq = 2"))
    body = console("admin").get("/audit/2").get_data(as_text=True)
    assert "内容与哈希不符" in body


def test_missing_event_is_not_found(console):
    assert console("admin").get("/audit/999").status_code == 404


def test_verify_button_reports_ok_with_the_head_and_is_recorded(console, db):
    client = console("leader", username="leader1")
    head = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    response = client.post_form("/audit/verify", follow_redirects=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert f"审计链完整：已校验 {head.seq} 条事件，链头 #{head.seq} {head.hash}" in body
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.verify")).one()
    assert event.actor_label == "user:leader1"
    assert event.details["ok"] is True and event.details["head_seq"] == head.seq


def test_verify_button_names_the_first_break(console, chain, tamper, db):
    chain(5)
    with tamper() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    client = console("admin")
    body = client.post_form("/audit/verify", follow_redirects=True).get_data(as_text=True)
    assert "审计链在第 3 条事件处断裂：该序号的事件缺失（被删除）（此前 2 条完整）" in body
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.verify")).one()
    assert event.details["ok"] is False and event.details["broken_seq"] == 3
