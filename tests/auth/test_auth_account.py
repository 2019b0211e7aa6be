"""My account: every signed-in user sees their roles and changes their own password."""

from __future__ import annotations

CURRENT = "spotcheck-demo"
NEW = "my-new-secret-99"


def change(client, current=CURRENT, new=NEW, confirm=None):
    return client.post_form(
        "/account/password",
        {
            "current_password": current,
            "new_password": new,
            "new_password_confirm": new if confirm is None else confirm,
        },
    )


def test_account_page_shows_own_roles_and_department(signed_in, make_department):
    dept = make_department("市场秩序科")
    client = signed_in("inspector", "back_office", username="office1", department=dept)
    page = client.get("/account").get_data(as_text=True)
    assert "office1" in page and "市场秩序科" in page
    assert "执法检查人员" in page and "业务/法制人员" in page


def test_every_role_reaches_its_account_page(signed_in):
    for role in ("admin", "dept_head", "leader", "back_office", "inspector"):
        client = signed_in(role, username=f"acct_{role}")
        assert client.get("/account").status_code == 200, role
        client.post_form("/logout")


def test_account_page_needs_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_changing_own_password_keeps_this_session_and_ends_the_others(signed_in, browser, reload):
    client = signed_in("inspector", username="insp1")
    other = browser()
    other.login("insp1")
    response = change(client)
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this session continues
    assert other.get("/account").status_code == 302  # the other one ended
    assert browser().login("insp1", NEW).status_code == 302
    assert browser().login("insp1", CURRENT).status_code == 200  # the old one no longer works
    assert reload("insp1").password_hash.startswith("$argon2id$")


def test_wrong_current_password_is_refused(signed_in, reload):
    client = signed_in("inspector", username="insp1")
    old_hash = reload("insp1").password_hash
    response = change(client, current="wrong-password")
    assert response.status_code == 422
    assert "当前密码不正确" in response.get_data(as_text=True)
    assert reload("insp1").password_hash == old_hash


def test_new_password_must_be_long_enough_confirmed_and_new(signed_in):
    client = signed_in("inspector", username="insp1")
    short = change(client, new="short")
    assert short.status_code == 422
    assert "密码长度须为 10 至 256 个字符" in short.get_data(as_text=True)
    mismatch = change(client, confirm="something-different")
    assert mismatch.status_code == 422
    assert "两次输入的密码不一致" in mismatch.get_data(as_text=True)
    same = change(client, new=CURRENT)
    assert same.status_code == 422
    assert "新密码不能与当前密码相同" in same.get_data(as_text=True)


def test_account_password_form_never_echoes_passwords(signed_in):
    client = signed_in("inspector", username="insp1")
    page = change(client, new="tiny", current="typed-current-pw").get_data(as_text=True)
    assert "tiny" not in page and "typed-current-pw" not in page


def test_password_change_without_csrf_is_refused(signed_in, reload):
    client = signed_in("inspector", username="insp1")
    old_hash = reload("insp1").password_hash
    response = client.post(
        "/account/password",
        data={"current_password": CURRENT, "new_password": NEW, "new_password_confirm": NEW},
    )
    assert response.status_code == 400
    assert reload("insp1").password_hash == old_hash
