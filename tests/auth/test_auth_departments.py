"""The admin's department console: list, create, edit, deactivate."""

from __future__ import annotations

from sqlalchemy import select

from server.auth.models import Department


def dept_named(db, name: str) -> Department | None:
    db.session.expire_all()
    return db.session.scalar(select(Department).where(Department.name == name))


def test_department_list_shows_code_name_state_and_user_count(admin, make_department, make_user):
    dept = make_department("市场建设科", code="SC01")
    make_user("insp1", "inspector", department=dept)
    make_user("insp2", "inspector", department=dept)
    page = admin.get("/admin/departments").get_data(as_text=True)
    assert "SC01" in page and "市场建设科" in page
    assert f"/admin/users?department_id={dept.id}" in page
    assert ">2</a>" in page


def test_admin_creates_a_department(admin, db):
    form = {"code": "WM02", "name": "对外贸易科", "name_en": "Foreign Trade"}
    response = admin.post_form("/admin/departments", form)
    assert response.status_code == 302
    dept = dept_named(db, "对外贸易科")
    assert (dept.code, dept.name_en, dept.is_active) == ("WM02", "Foreign Trade", True)


def test_department_code_and_name_are_unique(admin, make_department, db):
    make_department("流通科", code="LT01")
    same_code = admin.post_form("/admin/departments", {"code": "lt01", "name": "别的科"})
    assert same_code.status_code == 422
    assert "科室代码“lt01”已存在" in same_code.get_data(as_text=True)
    same_name = admin.post_form("/admin/departments", {"code": "LT02", "name": "流通科"})
    assert same_name.status_code == 422
    assert "已存在" in same_name.get_data(as_text=True)
    assert dept_named(db, "别的科") is None


def test_bad_department_form_rerenders_with_422_and_keeps_the_values(admin, db):
    response = admin.post_form("/admin/departments", {"code": "科室 1", "name": "", "name_en": "X"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "代码只能包含字母、数字、_ 和 -" in page
    assert "此项为必填项" in page
    assert 'value="科室 1"' in page and 'value="X"' in page


def test_admin_edits_a_department(admin, make_department, db):
    dept = make_department("旧名称", code="OLD")
    form = {"code": "NEW", "name": "新名称", "name_en": ""}
    assert admin.post_form(f"/admin/departments/{dept.id}", form).status_code == 302
    dept = dept_named(db, "新名称")
    assert (dept.code, dept.name_en) == ("NEW", None)


def test_editing_a_department_may_keep_its_own_name(admin, make_department, db):
    dept = make_department("商务科", code="SW")
    form = {"code": "SW", "name": "商务科", "name_en": "Commerce"}
    assert admin.post_form(f"/admin/departments/{dept.id}", form).status_code == 302
    assert dept_named(db, "商务科").name_en == "Commerce"


def test_editing_into_another_departments_name_is_refused(admin, make_department, db):
    make_department("甲科", code="A")
    other = make_department("乙科", code="B")
    response = admin.post_form(f"/admin/departments/{other.id}", {"code": "B", "name": "甲科"})
    assert response.status_code == 422
    assert dept_named(db, "乙科") is not None


def test_deactivate_and_reactivate_a_department(admin, make_department, db):
    dept = make_department("临时科", code="TMP")
    assert admin.post_form(f"/admin/departments/{dept.id}/deactivate").status_code == 302
    assert not dept_named(db, "临时科").is_active
    assert "已停用" in admin.get("/admin/departments").get_data(as_text=True)
    again = admin.post_form(f"/admin/departments/{dept.id}/deactivate")
    assert again.status_code == 409
    assert admin.post_form(f"/admin/departments/{dept.id}/reactivate").status_code == 302
    assert dept_named(db, "临时科").is_active


def test_inactive_department_is_not_offered_for_new_users(admin, make_department, db):
    dept = make_department("撤销科", code="GONE")
    admin.post_form(f"/admin/departments/{dept.id}/deactivate")
    assert f'value="{dept.id}"' not in admin.get("/admin/users/new").get_data(as_text=True)


def test_user_in_an_inactive_department_can_still_be_edited(admin, make_department, make_user, db):
    dept = make_department("撤销科", code="GONE")
    user = make_user("insp1", "inspector", department=dept)
    admin.post_form(f"/admin/departments/{dept.id}/deactivate")
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "撤销科（已停用）" in page
    form = {"display_name": "改名", "department_id": str(dept.id), "roles": ["inspector"]}
    form["is_active"] = "1"
    assert admin.post_form(f"/admin/users/{user.id}", form).status_code == 302


def test_unknown_department_is_404(admin):
    assert admin.get("/admin/departments/7c4ae8a8-6b3c-4f43-9b59-9d6b0f6a0b11").status_code == 404
