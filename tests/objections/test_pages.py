"""Objection pages and JSON: the public form (CSRF, limits, reference), the status lookup, the
console list/detail/actions with their permissions, attachments, paper entry, the API.

Run: .venv/bin/pytest -n0 -q tests/objections/test_pages.py   (add DATABASE_URL for PostgreSQL)
"""

from __future__ import annotations

import io
import re

from sqlalchemy import func, select

from server.objections.models import Objection, ObjectionRateEvent
from tests.conftest import ConsoleClient
from tests.objections.conftest import PDF, png_bytes

NEW = "/public/objections/new"
STATUS = "/public/objections/status"


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def browser(app) -> ConsoleClient:
    return ConsoleClient(app.test_client())


def signed_in(app, user) -> ConsoleClient:
    client = browser(app)
    assert client.login(user.username).status_code == 302
    return client


def public_form(client, desk, uscc=None, files=(), **extra):
    client.refresh_csrf(f"{NEW}?publication={desk.publication.id}&uscc={uscc}")
    data = {
        "publication": str(desk.publication.id),
        "uscc": uscc or desk.usccs()[0],
        "applicant_name": "某某有限公司",
        "contact": "13912345678",
        "grounds": "检查结果与事实不符",
        **extra,
    }
    data["attachments"] = [(io.BytesIO(body), name) for name, body in files]
    return client.post_form(NEW, data, content_type="multipart/form-data")


def test_the_public_form_files_an_objection_and_shows_the_reference(app, db, desk):
    client = browser(app)
    page = client.get(f"{NEW}?publication={desk.publication.id}&uscc={desk.usccs()[0]}")
    assert page.status_code == 200
    assert desk.task.name in page.get_data(as_text=True)
    response = public_form(client, desk, files=[("图.png", png_bytes()), ("说明.pdf", PDF)])
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:2000]
    reference = re.search(r"YY\d{4}-\d{6}", body).group(0)
    row = db.session.scalars(select(Objection)).one()
    assert row.reference == reference and len(row.attachments) == 2


def test_the_public_form_needs_its_csrf_token(app, db, desk):
    client = browser(app)
    response = client.post(
        NEW,
        data={"uscc": desk.usccs()[0], "contact": "13912345678", "grounds": "x"},
    )
    assert response.status_code == 400
    assert count(db, Objection) == 0


def test_bad_public_input_is_a_chinese_422_and_nothing_is_written(app, db, desk):
    client = browser(app)
    bad_uscc = public_form(client, desk, uscc="91110108ABCDEFGH12")
    assert bad_uscc.status_code == 422 and "统一社会信用代码" in bad_uscc.get_data(as_text=True)
    not_published = public_form(client, desk, uscc="91110000600037341L")
    assert not_published.status_code == 422
    assert "不在所选的公示检查结果中" in not_published.get_data(as_text=True)
    bad_contact = public_form(client, desk, contact="call me")
    assert "联系电话或电子邮箱" in bad_contact.get_data(as_text=True)
    bad_file = public_form(client, desk, files=[("x.png", b"GIF89a not a png")])
    assert bad_file.status_code == 422 and "PDF" in bad_file.get_data(as_text=True)
    assert count(db, Objection) == 0 and count(db, ObjectionRateEvent) == 0


def test_filings_are_limited_per_uscc_and_per_client(app, db, desk):
    app.config["OBJECTION_RATE_LIMITS"] = {
        "file_ip": [3, 3600],
        "file_uscc": [2, 86400],
        "status_ip": [30, 3600],
    }
    client = browser(app)
    first, second = desk.usccs()[:2]
    assert public_form(client, desk, uscc=first).status_code == 200
    assert public_form(client, desk, uscc=first).status_code == 200
    third = public_form(client, desk, uscc=first)
    assert third.status_code == 429 and "频繁" in third.get_data(as_text=True)
    assert public_form(client, desk, uscc=second).status_code == 200
    assert public_form(client, desk, uscc=second).status_code == 429  # the IP's 3 are used
    assert count(db, Objection) == 3


def test_the_status_page_shows_state_due_date_and_reply_only_to_the_right_pair(app, db, desk):
    objection = desk.file(desk.usccs()[0])
    desk.do("start_review", objection)
    desk.do("maintain", objection, text="内部复核意见")
    client = browser(app)
    client.refresh_csrf(STATUS)
    data = {"reference": objection.reference, "uscc": objection.uscc}
    page = client.post_form(STATUS, data).get_data(as_text=True)
    assert objection.reference in page and str(objection.due_on) in page
    assert "内部复核意见" not in page and 'id="reply"' not in page
    assert "13912345678" not in page and "某某有限公司" not in page
    desk.do("reply", objection, text="经复核予以维持")
    page = client.post_form(STATUS, data).get_data(as_text=True)
    assert "经复核予以维持" in page and "已答复" in page
    wrong = client.post_form(STATUS, {**data, "uscc": desk.usccs()[1]})
    assert wrong.status_code == 200 and 'id="not-found"' in wrong.get_data(as_text=True)
    assert "经复核予以维持" not in wrong.get_data(as_text=True)


def test_console_list_detail_and_attachment_for_the_department(app, db, desk):
    objection = desk.file(files=[("说明.pdf", PDF)])
    office = signed_in(app, desk.side.office)
    listing = office.get("/objections").get_data(as_text=True)
    assert objection.reference in listing and "复核期限" in listing
    detail = office.get(f"/objections/{objection.id}").get_data(as_text=True)
    assert "13912345678" in detail  # the handler sees the contact
    download = office.get(f"/objections/{objection.id}/attachments/0")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    head = signed_in(app, desk.side.head)
    head_detail = head.get(f"/objections/{objection.id}").get_data(as_text=True)
    assert "139****5678" in head_detail and "13912345678" not in head_detail
    assert 'action="/objections/' not in head_detail  # reads, no buttons
    other = signed_in(app, desk.bench.scene.b.office)
    assert objection.reference not in other.get("/objections").get_data(as_text=True)
    assert other.get(f"/objections/{objection.id}").status_code == 404
    assert other.get(f"/objections/{objection.id}/attachments/0").status_code == 404


def test_console_actions_refuse_with_chinese_409_and_403(app, db, desk):
    objection = desk.file()
    office = signed_in(app, desk.side.office)
    early = office.post_form(f"/objections/{objection.id}/maintain", {"text": "无误"})
    assert early.status_code == 409 and "复核中" in early.get_data(as_text=True)
    head = signed_in(app, desk.side.head)
    forbidden = head.post_form(f"/objections/{objection.id}/start")
    assert forbidden.status_code == 403
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).state == "received"
    assert office.post_form(f"/objections/{objection.id}/start").status_code == 302
    no_text = office.post_form(f"/objections/{objection.id}/maintain", {"text": ""})
    assert no_text.status_code == 422 and "请填写复核意见" in no_text.get_data(as_text=True)
    premature = office.post_form(f"/objections/{objection.id}/close_corrected", {"text": "x"})
    assert premature.status_code == 409 and "更正" in premature.get_data(as_text=True)
    assert (
        office.post_form(f"/objections/{objection.id}/maintain", {"text": "无误"}).status_code
        == 302
    )
    assert (
        office.post_form(f"/objections/{objection.id}/reply", {"text": "维持"}).status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(Objection, objection.id).state == "replied"


def test_paper_entry_form(app, db, desk):
    office = signed_in(app, desk.side.office)
    form = office.get("/objections/new")
    assert form.status_code == 200 and desk.task.name in form.get_data(as_text=True)
    data = {
        "publication": str(desk.publication.id),
        "uscc": desk.usccs()[1],
        "applicant_name": "张三",
        "contact": "zhang@example.cn",
        "grounds": "书面异议",
        "received_on": "2026-01-05",
    }
    created = office.post_form("/objections/new", data)
    assert created.status_code == 302
    row = db.session.scalars(select(Objection)).one()
    assert row.channel == "paper" and str(row.received_on) == "2026-01-05"
    assert office.post_form("/objections/new", {**data, "received_on": ""}).status_code == 422
    head = signed_in(app, desk.side.head)
    assert head.get("/objections/new").status_code == 403
    assert count(db, Objection) == 1


def test_api_lists_masked_objections_and_the_public_status(app, db, desk):
    objection = desk.file()
    office = signed_in(app, desk.side.office)
    body = office.get("/api/v1/objections?page_size=1").get_json()
    assert body["total"] == 1 and body["items"][0]["reference"] == objection.reference
    assert body["items"][0]["contact"] == "139****5678"
    other = signed_in(app, desk.bench.scene.b.office)
    assert other.get("/api/v1/objections").get_json()["total"] == 0
    assert browser(app).get("/api/v1/objections").status_code in (401, 403)
    public = browser(app)
    ok = public.get(f"/api/v1/public/objections/{objection.reference}?uscc={objection.uscc}")
    assert ok.status_code == 200
    assert set(ok.get_json()) == {
        "reference",
        "state",
        "state_label",
        "received_on",
        "due_on",
        "due_provisional",
        "reply_text",
        "replied_at",
    }
    wrong = public.get(f"/api/v1/public/objections/{objection.reference}?uscc={desk.usccs()[1]}")
    assert wrong.status_code == 404
    spec = public.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/objections" in spec["paths"]
    assert "/api/v1/public/objections/{reference}" in spec["paths"]
