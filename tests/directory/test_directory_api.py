"""The read-only JSON API of the directories (console session auth)."""

from __future__ import annotations

import datetime as dt

import pytest

from server.clock import local_today


@pytest.fixture
def api(signed_in):
    return signed_in("inspector")


def test_signed_out_caller_gets_401_json(client):
    for path in (
        "/api/v1/directory/subjects",
        "/api/v1/directory/subjects/91110108551385082Q",
        "/api/v1/directory/inspectors",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.get_json()["code"] == 401


def test_subjects_are_paged_with_an_envelope(api, make_subject):
    for n in range(1, 6):
        make_subject(name=f"企业{n}")
    body = api.get("/api/v1/directory/subjects?page_size=2&page=2").get_json()
    assert [s["name"] for s in body["items"]] == ["企业3", "企业4"]
    assert (body["total"], body["page"], body["page_size"], body["pages"]) == (5, 2, 2, 3)


def test_page_size_above_200_is_refused(api):
    response = api.get("/api/v1/directory/subjects?page_size=201")
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"] == "提交的数据有误"
    assert body["errors"]["query"]["page_size"] == ["应在 1 到 200 之间"]


def test_subjects_use_the_console_filters(api, make_subject):
    make_subject(name="甲", risk_flags=["abnormal"], kind="individual")
    make_subject(name="乙", kind="individual")
    make_subject(name="丙", risk_flags=["dishonest"])
    body = api.get("/api/v1/directory/subjects?risk=any&kind=individual").get_json()
    assert [s["name"] for s in body["items"]] == ["甲"]
    assert body["items"][0]["risk_flags"][0]["flag"] == "abnormal"


def test_subject_by_uscc(api, make_subject, make_department):
    dept = make_department()
    subject = make_subject(name="查询公司", departments=[dept], tags=["加油站"])
    body = api.get(f"/api/v1/directory/subjects/{subject.uscc.lower()}").get_json()
    assert body["name"] == "查询公司" and body["uscc"] == subject.uscc
    assert body["department_ids"] == [str(dept.id)] and body["tags"] == ["加油站"]
    assert "contact_phone" not in body


def test_unknown_or_removed_uscc_is_404(api, db, make_subject, valid_uscc):
    from server.audit.operations import SYSTEM
    from server.directory.operations import delete_subject

    subject = make_subject()
    delete_subject(db.session, actor=SYSTEM, subject=subject, reason="迁出")
    db.session.commit()
    assert api.get(f"/api/v1/directory/subjects/{subject.uscc}").status_code == 404
    assert api.get(f"/api/v1/directory/subjects/{valid_uscc(3)}").status_code == 404


def test_inspectors_never_carry_id_numbers(api, make_inspector):
    make_inspector(name="甲", id_number="11010519491231002X")
    make_inspector(name="乙", credential_valid_until=local_today() - dt.timedelta(days=1))
    body = api.get("/api/v1/directory/inspectors?credential=valid").get_json()
    assert [i["name"] for i in body["items"]] == ["甲"]
    assert "id_number" not in body["items"][0]
    everything = api.get("/api/v1/directory/inspectors").get_data(as_text=True)
    assert "11010519491231002X" not in everything


def test_openapi_documents_the_directory_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/directory/subjects" in spec["paths"]
    assert "/api/v1/directory/subjects/{uscc}" in spec["paths"]
    assert "/api/v1/directory/inspectors" in spec["paths"]
    assert "SubjectPage" in spec["components"]["schemas"]
