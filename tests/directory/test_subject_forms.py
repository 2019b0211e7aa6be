"""Creating, editing, removing and restoring subjects, and their risk flags, in the console."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.directory.models import Subject, SubjectRiskFlag


@pytest.fixture
def office(signed_in, make_region):
    make_region("HG", "皇冠街道")
    return signed_in("back_office")


def subject_form(valid_uscc, **overrides) -> dict:
    form = {
        "uscc": valid_uscc(1),
        "name": "威海市新开商贸有限公司",
        "kind": "enterprise",
        "scale": "small",
        "region": "HG",
        "address": "威海市经区皇冠路1号",
        "status": "active",
        "contact_phone": "13800001234",
        "tags": "加油站；预付卡发卡企业",
    }
    form.update(overrides)
    return form


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_create_subject_redirects_to_its_page_and_audits(office, db, valid_uscc, make_department):
    dept = make_department("市场科")
    form = subject_form(valid_uscc, departments=str(dept.id))
    response = office.post_form("/subjects/new", form)
    assert response.status_code == 302
    subject = db.session.scalars(select(Subject)).one()
    assert response.headers["Location"].endswith(f"/subjects/{subject.id}")
    assert subject.tags == ["加油站", "预付卡发卡企业"]
    assert subject.department_ids == {dept.id}
    assert [e.object_id for e in events(db, "subject.create")] == [str(subject.id)]


def test_create_with_bad_uscc_check_digit_is_refused(office, db, valid_uscc):
    response = office.post_form(
        "/subjects/new", subject_form(valid_uscc, uscc="91110108551385082R")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "校验位错误" in html and "第18位应为 Q" in html
    assert count(db, Subject) == 0


def test_create_with_bad_org_code_is_refused(office, db, valid_uscc):
    response = office.post_form(
        "/subjects/new", subject_form(valid_uscc, uscc="91110108551385083Q")
    )
    assert response.status_code == 422
    assert "组织机构代码）校验位错误" in response.get_data(as_text=True)
    assert count(db, Subject) == 0


def test_create_with_duplicate_uscc_is_refused(office, db, make_subject, valid_uscc):
    existing = make_subject()
    response = office.post_form("/subjects/new", subject_form(valid_uscc, uscc=existing.uscc))
    assert response.status_code == 422
    assert "该统一社会信用代码已在名录库中" in response.get_data(as_text=True)
    assert count(db, Subject) == 1


def test_create_with_unknown_region_is_refused(office, db, valid_uscc):
    response = office.post_form("/subjects/new", subject_form(valid_uscc, region="XX"))
    assert response.status_code == 422
    assert "未知的区域：XX" in response.get_data(as_text=True)
    assert count(db, Subject) == 0


def test_create_missing_required_fields_shows_chinese_messages(office, db):
    response = office.post_form("/subjects/new", {"name": "甲"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "必填" in html and "长度应在 2 到 200 个字符之间" in html
    assert count(db, Subject) == 0


def test_edit_writes_audit_event_with_changed_field_names(office, db, make_subject):
    subject = make_subject(name="旧名称公司")
    page = office.get(f"/subjects/{subject.id}/edit").get_data(as_text=True)
    assert 'value="旧名称公司"' in page
    form = {
        "uscc": subject.uscc,
        "name": "新名称公司",
        "kind": subject.kind,
        "scale": "medium",
        "region": subject.region_code,
        "address": subject.address,
        "status": subject.status,
    }
    response = office.post_form(f"/subjects/{subject.id}/edit", form)
    assert response.status_code == 302
    (event,) = events(db, "subject.update")
    assert event.details == {"changed": ["name", "scale"]}
    assert event.object_id == str(subject.id)
    db.session.expire_all()
    assert db.session.get(Subject, subject.id).name == "新名称公司"


def test_edit_without_changes_writes_nothing(office, db, make_subject):
    subject = make_subject()
    form = {
        "uscc": subject.uscc, "name": subject.name, "kind": subject.kind, "scale": subject.scale,
        "region": subject.region_code, "address": subject.address, "status": subject.status,
    }  # fmt: skip
    assert office.post_form(f"/subjects/{subject.id}/edit", form).status_code == 302
    assert events(db, "subject.update") == []


def test_edit_to_another_subjects_uscc_is_refused(office, db, make_subject):
    first, second = make_subject(), make_subject()
    form = {
        "uscc": first.uscc, "name": second.name, "kind": "enterprise",
        "region": "HG", "address": second.address, "status": "active",
    }  # fmt: skip
    response = office.post_form(f"/subjects/{second.id}/edit", form)
    assert response.status_code == 422
    assert "该统一社会信用代码已在名录库中" in response.get_data(as_text=True)


def test_remove_and_restore_with_reason(office, db, make_subject, listed):
    subject = make_subject(name="迁出公司")
    response = office.post_form(f"/subjects/{subject.id}/remove", {"reason": "已迁出本区"})
    assert response.status_code == 302
    assert listed(office.get("/subjects")) == []
    assert "已移出名录库" in office.get(f"/subjects/{subject.id}").get_data(as_text=True)
    (removed,) = events(db, "subject.delete")
    assert removed.details == {"reason": "已迁出本区"}
    assert (
        office.post_form(f"/subjects/{subject.id}/restore", {"reason": "迁回"}).status_code == 302
    )
    assert listed(office.get("/subjects")) == ["迁出公司"]
    assert len(events(db, "subject.restore")) == 1


def test_remove_without_reason_is_refused(office, db, make_subject):
    subject = make_subject()
    response = office.post_form(f"/subjects/{subject.id}/remove", {"reason": ""})
    assert response.status_code == 422
    assert "必填" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Subject, subject.id).is_deleted is False


def test_detail_shows_all_fields_and_masks_phone_for_readers(signed_in, make_subject):
    subject = make_subject(
        name="详情公司", contact_phone="13800001234", legal_rep="张三", business_scope="成品油零售"
    )
    client = signed_in("inspector")
    html = client.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert subject.uscc in html and "张三" in html and "成品油零售" in html
    assert "138****1234" in html and "13800001234" not in html


def test_detail_shows_full_phone_to_back_office(office, make_subject):
    subject = make_subject(contact_phone="13800001234")
    assert "13800001234" in office.get(f"/subjects/{subject.id}").get_data(as_text=True)


def test_detail_lists_recent_audit_events(office, db, make_subject):
    subject = make_subject()
    office.post_form(f"/subjects/{subject.id}/flags", {"flag": "complaints", "source": "12345"})
    html = office.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "添加风险标记" in html and "新增" in html
    assert "· u_back_office" in html and "· 系统" in html  # who: display name, or system


def test_unknown_or_malformed_subject_id_is_404(office):
    assert office.get("/subjects/00000000-0000-0000-0000-000000000000").status_code == 404
    assert office.get("/subjects/not-a-uuid").status_code == 404


def test_add_risk_flag_with_note_and_source(office, db, make_subject):
    subject = make_subject()
    response = office.post_form(
        f"/subjects/{subject.id}/flags",
        {"flag": "abnormal", "note": "未按期年报", "source": "经营异常名录"},
    )
    assert response.status_code == 302
    flag = db.session.scalars(select(SubjectRiskFlag)).one()
    assert (flag.flag, flag.note, flag.source) == ("abnormal", "未按期年报", "经营异常名录")
    (event,) = events(db, "subject.flag_set")
    assert event.details == {"flag": "abnormal", "source": "经营异常名录"}
    html = office.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "未按期年报" in html and "经营异常名录" in html


def test_adding_the_same_flag_twice_is_refused(office, db, make_subject):
    subject = make_subject(risk_flags=["abnormal"])
    response = office.post_form(f"/subjects/{subject.id}/flags", {"flag": "abnormal"})
    assert response.status_code == 422
    assert "该对象已有此风险标记" in response.get_data(as_text=True)


def test_clear_risk_flag_with_reason(office, db, make_subject):
    subject = make_subject(risk_flags=["dishonest"])
    response = office.post_form(
        f"/subjects/{subject.id}/flags/clear", {"flag": "dishonest", "reason": "已移出失信名单"}
    )
    assert response.status_code == 302
    assert count(db, SubjectRiskFlag) == 0
    (event,) = events(db, "subject.flag_clear")
    assert event.details == {"flag": "dishonest", "reason": "已移出失信名单"}


def test_clear_flag_without_reason_is_refused(office, db, make_subject):
    subject = make_subject(risk_flags=["dishonest"])
    response = office.post_form(f"/subjects/{subject.id}/flags/clear", {"flag": "dishonest"})
    assert response.status_code == 422
    assert count(db, SubjectRiskFlag) == 1
