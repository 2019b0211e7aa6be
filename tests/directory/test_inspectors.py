"""The inspector directory: credential states, filters, the form and masking of ID numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.clock import local_today
from server.directory.models import Inspector


def days(n: int) -> dt.date:
    # Read the clock when the test runs, not when the module is collected: a suite started before
    # midnight in Beijing otherwise compares against yesterday.
    return local_today() + dt.timedelta(days=n)


@pytest.fixture
def office(signed_in):
    return signed_in("back_office")


@pytest.fixture
def reader(signed_in):
    return signed_in("inspector")


def inspector_form(department, **overrides) -> dict:
    form = {
        "name": "王建国",
        "department": str(department.id),
        "id_number": "11010519491231002X",
        "phone": "13900001111",
        "credential_no": "ZF37100001",
        "credential_issuer": "威海市人民政府",
        "credential_valid_from": days(-100).isoformat(),
        "credential_valid_until": days(300).isoformat(),
        "qualification": "law_enforcement",
        "expertise": "成品油；预付卡",
        "is_active": "on",
    }
    form.update(overrides)
    return form


def test_expired_credential_is_flagged_on_the_list(reader, make_inspector):
    make_inspector(name="过期者", credential_valid_until=days(-1))
    make_inspector(name="有效者")
    html = reader.get("/inspectors").get_data(as_text=True)
    assert html.count('class="is-flagged"') == 1
    assert '<span class="badge danger">执法证已过期</span>' in html


def test_expiring_credential_is_marked_amber(reader, make_inspector):
    make_inspector(name="将到期", credential_valid_until=days(10))
    html = reader.get("/inspectors").get_data(as_text=True)
    assert 'class="is-warning"' in html
    assert '<span class="badge warn">即将到期</span>' in html


def test_credential_valid_filter_excludes_expired_and_not_yet_valid(reader, make_inspector, listed):
    make_inspector(name="甲过期", credential_valid_until=days(-1))
    make_inspector(name="乙有效")
    make_inspector(name="丙将到期", credential_valid_until=days(5))
    make_inspector(name="丁未生效", credential_valid_from=days(3))
    make_inspector(name="戊今日到期", credential_valid_until=days(0))
    valid = listed(reader.get("/inspectors?credential=valid"), "inspectors")
    assert sorted(valid) == sorted(["乙有效", "丙将到期", "戊今日到期"])
    assert listed(reader.get("/inspectors?credential=expired"), "inspectors") == ["甲过期"]
    expiring = listed(reader.get("/inspectors?credential=expiring"), "inspectors")
    assert sorted(expiring) == sorted(["丙将到期", "戊今日到期"])


def test_filters_by_department_qualification_expertise_lead_and_active(
    reader, make_inspector, make_department, listed
):
    trade = make_department("市场科")
    make_inspector(name="甲", department=trade, expertise=["成品油"], is_team_lead_qualified=True)
    make_inspector(name="乙", qualification="daily_supervision", expertise=["典当"])
    make_inspector(name="丙", department=trade, is_active=False)

    def found(query):
        return sorted(listed(reader.get(f"/inspectors?{query}"), "inspectors"))

    assert found(f"department={trade.id}") == ["丙", "甲"]
    assert found("qualification=daily_supervision") == ["乙"]
    assert found("expertise=成品油") == ["甲"]
    assert found("team_lead=1") == ["甲"]
    assert found("active=0") == ["丙"]
    assert found("active=1") == ["乙", "甲"]


def test_search_by_name_or_credential_number(reader, make_inspector, listed):
    make_inspector(name="李明", credential_no="ZF3710A")
    make_inspector(name="张伟", credential_no="ZF3720B")
    assert listed(reader.get("/inspectors?q=李"), "inspectors") == ["李明"]
    assert listed(reader.get("/inspectors?q=zf3720"), "inspectors") == ["张伟"]


def test_create_inspector_with_valid_resident_id(office, db, make_department):
    dept = make_department()
    response = office.post_form("/inspectors/new", inspector_form(dept))
    assert response.status_code == 302
    inspector = db.session.scalars(select(Inspector)).one()
    assert inspector.id_number == "11010519491231002X"
    assert inspector.expertise == ["成品油", "预付卡"]
    assert inspector.is_active is True and inspector.is_team_lead_qualified is False
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "inspector.create")
    ).one()
    assert "11010519491231002X" not in str(event.details)


def test_resident_id_with_wrong_check_digit_is_refused(office, db, make_department):
    form = inspector_form(make_department(), id_number="110105194912310021")
    response = office.post_form("/inspectors/new", form)
    assert response.status_code == 422
    assert "居民身份证号码校验位错误，第18位应为 X" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Inspector)) == 0


def test_duplicate_credential_number_is_refused(office, db, make_inspector, make_department):
    existing = make_inspector()
    form = inspector_form(make_department(), credential_no=existing.credential_no)
    response = office.post_form("/inspectors/new", form)
    assert response.status_code == 422
    assert "该执法证号已在名录库中" in response.get_data(as_text=True)


def test_validity_end_before_start_is_refused(office, make_department):
    form = inspector_form(
        make_department(),
        credential_valid_from=days(10).isoformat(),
        credential_valid_until=days(1).isoformat(),
    )
    response = office.post_form("/inspectors/new", form)
    assert response.status_code == 422
    assert "有效期截止日期不能早于起始日期" in response.get_data(as_text=True)


def test_unticking_active_makes_inspector_inactive(office, db, make_inspector):
    inspector = make_inspector(is_team_lead_qualified=True)
    form = inspector_form(
        inspector.department,
        name=inspector.name,
        credential_no=inspector.credential_no,
        id_number="",
    )
    del form["is_active"]
    response = office.post_form(f"/inspectors/{inspector.id}/edit", form)
    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Inspector, inspector.id)
    assert edited.is_active is False and edited.is_team_lead_qualified is False
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "inspector.update")
    ).one()
    assert "is_active" in event.details["changed"]


def test_linking_a_user_account(office, db, make_inspector, make_user):
    user = make_user("inspector9", "inspector")
    inspector = make_inspector()
    form = inspector_form(
        inspector.department, credential_no=inspector.credential_no, username="inspector9"
    )
    assert office.post_form(f"/inspectors/{inspector.id}/edit", form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Inspector, inspector.id).user_id == user.id
    html = office.get(f"/inspectors/{inspector.id}").get_data(as_text=True)
    assert "inspector9" in html


def test_unknown_user_account_is_refused(office, make_department):
    response = office.post_form(
        "/inspectors/new", inspector_form(make_department(), username="nobody")
    )
    assert response.status_code == 422
    assert "未知的用户名：nobody" in response.get_data(as_text=True)


def test_id_number_is_masked_on_the_detail_page(office, make_inspector):
    inspector = make_inspector(id_number="11010519491231002X")
    html = office.get(f"/inspectors/{inspector.id}").get_data(as_text=True)
    assert "110105********002X" in html and "11010519491231002X" not in html


def test_id_number_is_shown_on_the_edit_form_for_back_office(office, make_inspector):
    inspector = make_inspector(id_number="11010519491231002X")
    html = office.get(f"/inspectors/{inspector.id}/edit").get_data(as_text=True)
    assert 'value="11010519491231002X"' in html


def test_detail_shows_credential_card_and_expired_warning(reader, make_inspector):
    inspector = make_inspector(
        credential_no="ZF0099", credential_issuer="山东省人民政府", credential_valid_until=days(-3)
    )
    html = reader.get(f"/inspectors/{inspector.id}").get_data(as_text=True)
    assert "ZF0099" in html and "山东省人民政府" in html
    assert "执法证已过期，不参与抽取" in html
    assert "credential-card is-expired" in html


def test_unknown_inspector_is_404(reader):
    assert reader.get("/inspectors/00000000-0000-0000-0000-000000000000").status_code == 404
    assert reader.get("/inspectors/xyz").status_code == 404
