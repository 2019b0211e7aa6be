"""The admin's user console: list, filters, paging, create, edit, passwords, lock, sign-out."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from server.auth.models import User
from server.orm import utcnow

GOOD_PASSWORD = "a-new-password-42"


def new_user_form(**overrides) -> dict:
    form = {
        "username": "zhang.san",
        "display_name": "张三",
        "department_id": "",
        "roles": ["back_office"],
        "phone": "0631-5981234",
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD,
    }
    form.update(overrides)
    return form


def edit_form(user: User, **overrides) -> dict:
    form = {
        "display_name": user.display_name,
        "department_id": str(user.department_id or ""),
        "roles": sorted(user.roles),
        "phone": user.phone or "",
        "is_active": "1" if user.is_active else None,
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


# --- the list ------------------------------------------------------------------------------


def test_user_list_shows_name_department_roles_state_and_last_login(
    admin, make_user, make_department, db, reload
):
    dept = make_department("市场运行科")
    make_user("inspector7", "inspector", department=dept, display_name="李四")
    locked = make_user("locked1", "back_office")
    reload(locked).locked_until = utcnow() + dt.timedelta(minutes=10)
    db.session.commit()
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "inspector7" in page and "李四" in page and "市场运行科" in page
    assert "执法检查人员" in page  # the role as a badge, in Chinese
    assert "锁定至" in page
    assert "从未" not in page and "—" in page  # never signed in: a dash


def test_user_list_filters_by_role_department_and_text(admin, make_user, make_department):
    dept = make_department("外贸科")
    make_user("insp_a", "inspector", department=dept, display_name="王五")
    make_user("office_b", "back_office", display_name="赵六")

    def names(query):
        page = admin.get("/admin/users" + query).get_data(as_text=True)
        return {n for n in ("insp_a", "office_b", "admin1") if f">{n}</a>" in page}

    assert names("") == {"insp_a", "office_b", "admin1"}
    assert names("?role=inspector") == {"insp_a"}
    assert names(f"?department_id={dept.id}") == {"insp_a"}
    assert names("?q=赵") == {"office_b"}
    assert names("?q=INSP") == {"insp_a"}
    assert names("?q=%25") == set()  # a literal %, not a wildcard


def test_user_list_filters_by_state(admin, make_user, db, reload):
    make_user("gone", "inspector")
    reload("gone").is_active = False
    make_user("stuck", "inspector")
    reload("stuck").locked_until = utcnow() + dt.timedelta(minutes=5)
    db.session.commit()
    assert ">gone<" in admin.get("/admin/users?state=inactive").get_data(as_text=True)
    inactive = admin.get("/admin/users?state=inactive").get_data(as_text=True)
    assert ">stuck<" not in inactive
    locked = admin.get("/admin/users?state=locked").get_data(as_text=True)
    assert ">stuck<" in locked and ">gone<" not in locked


def test_user_list_ignores_nonsense_filters(admin):
    response = admin.get("/admin/users?role=emperor&department_id=xyz&state=?&page=-3")
    assert response.status_code == 200
    assert ">admin1<" in response.get_data(as_text=True)


def test_user_list_pages_on_the_server(app, admin, make_user, make_department):
    app.config["PAGE_SIZE"] = 3
    dept = make_department()
    for n in range(6):
        make_user(f"p{n}", "inspector", department=dept)
    first = admin.get("/admin/users?role=inspector").get_data(as_text=True)
    assert "第 1 / 2 页，共 6 条" in first
    assert ">p0<" in first and ">p3<" not in first
    # The pager's link keeps the filter.
    assert "role=inspector" in first and "page=2" in first
    second = admin.get("/admin/users?role=inspector&page=2").get_data(as_text=True)
    assert ">p3<" in second and ">p0<" not in second


# --- create --------------------------------------------------------------------------------


def test_admin_creates_a_user_with_roles_and_an_argon2_hash(admin, make_department, db):
    dept = make_department("法制科")
    form = new_user_form(department_id=str(dept.id), roles=["back_office", "inspector"])
    response = admin.post_form("/admin/users/new", form)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "zhang.san"))
    assert user.roles == {"back_office", "inspector"}
    assert user.department_id == dept.id
    assert user.phone == "0631-5981234"
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    assert response.headers["Location"] == f"/admin/users/{user.id}"


def test_created_user_can_sign_in_with_the_initial_password(admin, browser):
    admin.post_form("/admin/users/new", new_user_form())
    assert browser().login("zhang.san", GOOD_PASSWORD).status_code == 302


def test_username_must_be_unique_regardless_of_case(admin, make_user, db):
    make_user("Wang.Wu", "inspector")
    response = admin.post_form("/admin/users/new", new_user_form(username="wang.wu"))
    assert response.status_code == 422
    assert "已被使用" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "wang.wu")) is None


def test_bad_new_user_form_rerenders_with_422_and_keeps_the_values(admin, db):
    form = new_user_form(username="ab", password="short", password_confirm="short")
    response = admin.post_form("/admin/users/new", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "用户名须为 3 至 64 位字母、数字或 _ . -" in page
    assert "密码长度须为 10 至 256 个字符" in page
    assert 'value="ab"' in page and 'value="张三"' in page
    assert 'value="back_office" checked' in page
    assert "short" not in page  # a password is never echoed back
    assert db.session.scalar(select(User).where(User.username == "ab")) is None


def test_username_rules(admin):
    for bad in ("ab", "x" * 65, "zhang san", "张三", "a/b", "bob@example"):
        response = admin.post_form("/admin/users/new", new_user_form(username=bad))
        assert response.status_code == 422, bad
    for good in ("abc", "a.b-c_d", "X" * 64):
        response = admin.post_form("/admin/users/new", new_user_form(username=good))
        assert response.status_code == 302, good


def test_new_user_needs_a_role_a_name_and_matching_passwords(admin):
    response = admin.post_form(
        "/admin/users/new",
        new_user_form(roles=[], display_name="  ", password_confirm="something-else-1"),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请至少选择一个角色" in page
    assert "此项为必填项" in page
    assert "两次输入的密码不一致" in page


def test_unknown_role_or_department_is_refused(admin):
    assert admin.post_form("/admin/users/new", new_user_form(roles=["emperor"])).status_code == 422
    response = admin.post_form(
        "/admin/users/new", new_user_form(department_id="7c4ae8a8-6b3c-4f43-9b59-9d6b0f6a0b11")
    )
    assert response.status_code == 422
    assert "科室不存在" in response.get_data(as_text=True)


def test_department_head_must_belong_to_a_department(admin):
    response = admin.post_form("/admin/users/new", new_user_form(roles=["dept_head"]))
    assert response.status_code == 422
    assert "必须属于一个科室" in response.get_data(as_text=True)


def test_an_inactive_department_cannot_receive_new_users(admin, make_department, db):
    dept = make_department("旧科室")
    dept.is_active = False
    db.session.commit()
    response = admin.post_form("/admin/users/new", new_user_form(department_id=str(dept.id)))
    assert response.status_code == 422
    assert "已停用" in response.get_data(as_text=True)


# --- edit ----------------------------------------------------------------------------------


def test_admin_edits_name_department_phone_and_roles(admin, make_user, make_department, reload):
    user = make_user("office1", "back_office")
    dept = make_department("新科室")
    form = edit_form(
        user, display_name="新名字", department_id=str(dept.id), roles=["leader"], phone=""
    )
    response = admin.post_form(f"/admin/users/{user.id}", form)
    assert response.status_code == 302
    user = reload(user)
    assert (user.display_name, user.department_id, user.roles, user.phone) == (
        "新名字",
        dept.id,
        {"leader"},
        None,
    )


def test_edit_form_shows_the_current_values(admin, make_user):
    user = make_user("office1", "back_office", display_name="钱七")
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'value="钱七"' in page
    assert 'value="back_office" checked' in page
    assert 'value="1" checked' in page  # active


def test_bad_edit_rerenders_with_422_and_keeps_the_values(admin, make_user, reload):
    user = make_user("office1", "back_office", display_name="钱七")
    form = edit_form(user, display_name="孙八", phone="call me maybe")
    response = admin.post_form(f"/admin/users/{user.id}", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "电话号码只能包含" in page
    assert 'value="孙八"' in page
    assert reload(user).display_name == "钱七"


def test_unknown_user_is_404(admin):
    assert admin.get("/admin/users/7c4ae8a8-6b3c-4f43-9b59-9d6b0f6a0b11").status_code == 404
    assert admin.get("/admin/users/not-a-uuid").status_code == 404


def test_admin_cannot_remove_their_own_admin_role(admin, admin_user, reload):
    form = edit_form(admin_user, roles=["back_office"])
    response = admin.post_form(f"/admin/users/{admin_user.id}", form)
    assert response.status_code == 422
    assert "不能取消自己的系统管理员角色" in response.get_data(as_text=True)
    assert reload(admin_user).roles == {"admin"}


def test_admin_cannot_deactivate_themself(admin, admin_user, reload):
    form = edit_form(admin_user, is_active=None)
    response = admin.post_form(f"/admin/users/{admin_user.id}", form)
    assert response.status_code == 422
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    response = admin.post_form(f"/admin/users/{admin_user.id}/deactivate")
    assert response.status_code == 409
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    assert reload(admin_user).is_active


def test_admin_may_add_roles_to_themself_and_stays_signed_in(admin, admin_user, reload):
    form = edit_form(admin_user, roles=["admin", "leader"])
    assert admin.post_form(f"/admin/users/{admin_user.id}", form).status_code == 302
    assert reload(admin_user).roles == {"admin", "leader"}
    assert admin.get("/admin/users").status_code == 200


def test_another_admin_can_remove_an_admin_role(admin, make_user, reload):
    other = make_user("admin2", "admin")
    response = admin.post_form(f"/admin/users/{other.id}", edit_form(other, roles=["leader"]))
    assert response.status_code == 302
    assert reload(other).roles == {"leader"}


def test_role_change_takes_effect_on_the_next_request(admin, make_user, browser):
    user = make_user("office1", "back_office", "admin")
    other = browser()
    other.login("office1")
    assert other.get("/admin/users").status_code == 200
    admin.post_form(f"/admin/users/{user.id}", edit_form(user, roles=["back_office"]))
    assert other.get("/admin/users").status_code == 403


# --- passwords, locks, sessions ------------------------------------------------------------


def test_password_reset_by_admin_ends_the_users_other_sessions(admin, make_user, browser, reload):
    user = make_user("office1", "back_office")
    phone = browser()
    assert phone.login("office1").status_code == 302
    assert phone.get("/").status_code == 200
    form = {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    response = admin.post_form(f"/admin/users/{user.id}/password", form)
    assert response.status_code == 302
    after = phone.get("/")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login")
    assert browser().login("office1", GOOD_PASSWORD).status_code == 302
    assert reload(user).password_hash.startswith("$argon2id$")


def test_password_reset_refuses_a_short_or_unconfirmed_password(admin, make_user, reload):
    user = make_user("office1", "back_office")
    old_hash = user.password_hash
    short = admin.post_form(
        f"/admin/users/{user.id}/password",
        {"password": "123456789", "password_confirm": "123456789"},
    )
    assert short.status_code == 422
    assert "密码长度须为 10 至 256 个字符" in short.get_data(as_text=True)
    mismatch = admin.post_form(
        f"/admin/users/{user.id}/password",
        {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD + "x"},
    )
    assert mismatch.status_code == 422
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    assert reload(user).password_hash == old_hash


def test_admin_resets_own_password_only_through_my_account(admin, admin_user, reload):
    old_hash = admin_user.password_hash
    form = {"password": GOOD_PASSWORD, "password_confirm": GOOD_PASSWORD}
    response = admin.post_form(f"/admin/users/{admin_user.id}/password", form)
    assert response.status_code == 422
    assert reload(admin_user).password_hash == old_hash


def test_unlock_clears_the_lock_and_the_failure_count(admin, make_user, db, reload, browser):
    user = make_user("office1", "back_office")
    for _ in range(5):
        browser().login("office1", "wrong-password")
    assert reload(user).locked_until is not None
    page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "解除锁定" in page
    assert admin.post_form(f"/admin/users/{user.id}/unlock").status_code == 302
    user = reload(user)
    assert user.locked_until is None and user.failed_logins == 0
    assert browser().login("office1").status_code == 302


def test_deactivate_ends_sessions_and_reactivate_allows_sign_in(admin, make_user, browser, reload):
    user = make_user("office1", "back_office")
    phone = browser()
    phone.login("office1")
    assert admin.post_form(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert not reload(user).is_active
    assert phone.get("/").status_code == 302
    assert "该账号已停用" in browser().login("office1").get_data(as_text=True)
    assert admin.post_form(f"/admin/users/{user.id}/reactivate").status_code == 302
    assert browser().login("office1").status_code == 302


def test_deactivating_twice_is_refused_with_409(admin, make_user):
    user = make_user("office1", "back_office")
    admin.post_form(f"/admin/users/{user.id}/deactivate")
    response = admin.post_form(f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 409
    assert "已是停用状态" in response.get_data(as_text=True)


def test_force_sign_out_ends_every_session_of_the_user(admin, make_user, browser, reload):
    user = make_user("office1", "back_office")
    phone, laptop = browser(), browser()
    phone.login("office1")
    laptop.login("office1")
    epoch = user.session_epoch
    assert admin.post_form(f"/admin/users/{user.id}/force-logout").status_code == 302
    assert reload(user).session_epoch == epoch + 1
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302
    assert browser().login("office1").status_code == 302  # the account itself still works


def test_force_sign_out_of_oneself_keeps_the_current_session(admin, admin_user, browser):
    other_device = browser()
    other_device.login("admin1")
    assert admin.post_form(f"/admin/users/{admin_user.id}/force-logout").status_code == 302
    assert admin.get("/admin/users").status_code == 200
    assert other_device.get("/admin/users").status_code == 302
