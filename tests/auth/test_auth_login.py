"""Signing in: success, wrong passwords, lockout, inactive accounts, idle timeout, redirects."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.orm import utcnow
from server.web import local_time

WRONG = "not-the-password"


def login_page_text(response) -> str:
    return response.get_data(as_text=True)


def test_login_success_redirects_to_the_dashboard(client, make_user):
    make_user("office1", "back_office")
    response = client.login("office1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "您好" in client.get("/").get_data(as_text=True)


def test_username_is_matched_case_insensitively(client, make_user):
    make_user("Office1", "back_office")
    assert client.login("oFFICE1").status_code == 302


def test_successful_login_records_last_login_and_an_audit_event(
    client, make_user, reload, audit_since
):
    user = make_user("office1", "back_office")
    mark = audit_since()
    client.login("office1")
    assert reload(user).last_login_at is not None
    assert mark.actions() == ["auth.login"]


def test_wrong_password_shows_the_generic_message(client, make_user):
    make_user("office1", "back_office")
    response = client.login("office1", WRONG)
    assert response.status_code == 200
    assert "用户名或密码错误" in login_page_text(response)


def test_unknown_username_gets_the_same_message_as_a_wrong_password(client, make_user):
    make_user("office1", "back_office")
    wrong_password = login_page_text(client.login("office1", WRONG))
    unknown_user = login_page_text(client.login("nobody", WRONG))
    assert "用户名或密码错误" in unknown_user
    # Beyond the CSRF token and the username echoed back, the two pages are the same.
    strip = lambda text, name: text.replace(name, "").split('name="csrf_token"')[0]  # noqa: E731
    assert strip(wrong_password, "office1") == strip(unknown_user, "nobody")


def test_blank_fields_are_refused_with_a_message_and_nothing_is_counted(client, make_user, reload):
    user = make_user("office1", "back_office")
    client.refresh_csrf()
    response = client.post_form("/login", {"username": "office1", "password": ""})
    assert response.status_code == 422
    assert "请输入用户名和密码" in login_page_text(response)
    assert reload(user).failed_logins == 0


def test_five_failures_lock_the_account_and_name_the_unlock_time(client, make_user, reload):
    user = make_user("office1", "back_office")
    for _ in range(4):
        assert "用户名或密码错误" in login_page_text(client.login("office1", WRONG))
    fifth = login_page_text(client.login("office1", WRONG))
    locked_until = reload(user).locked_until
    assert locked_until is not None
    assert dt.timedelta(minutes=14) < locked_until - utcnow() <= dt.timedelta(minutes=15)
    assert "账号已锁定" in fifth
    assert local_time(locked_until) in fifth


def test_locked_account_refuses_even_the_right_password(client, make_user, reload):
    user = make_user("office1", "back_office")
    for _ in range(5):
        client.login("office1", WRONG)
    sixth = client.login("office1")  # the right password
    assert sixth.status_code == 200
    text = login_page_text(sixth)
    assert "账号已锁定" in text
    assert local_time(reload(user).locked_until) in text
    assert client.get("/").status_code == 302


def test_lock_time_is_shown_in_beijing_time(client, make_user, reload, db):
    user = make_user("office1", "back_office")
    locked_until = utcnow().replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    reload(user).locked_until = locked_until
    db.session.commit()
    # Asia/Shanghai is UTC+8 all year (no daylight saving).
    beijing = (locked_until + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    assert beijing in login_page_text(client.login("office1"))


def test_lock_expires_after_fifteen_minutes(client, make_user, reload, db):
    user = make_user("office1", "back_office")
    for _ in range(5):
        client.login("office1", WRONG)
    # Instead of waiting 15 minutes, move the lock into the past.
    reload(user).locked_until = utcnow() - dt.timedelta(seconds=1)
    db.session.commit()
    assert client.login("office1").status_code == 302
    assert reload(user).locked_until is None


def test_a_success_resets_the_failure_count(client, make_user, reload):
    user = make_user("office1", "back_office")
    for _ in range(4):
        client.login("office1", WRONG)
    assert client.login("office1").status_code == 302
    assert reload(user).failed_logins == 0


def test_lockout_limits_come_from_the_configuration(app, client, make_user, reload):
    app.config["LOGIN_MAX_FAILURES"] = 2
    app.config["LOGIN_LOCK_MINUTES"] = 60
    user = make_user("office1", "back_office")
    client.login("office1", WRONG)
    assert "账号已锁定" in login_page_text(client.login("office1", WRONG))
    assert reload(user).locked_until - utcnow() > dt.timedelta(minutes=59)


def test_inactive_user_is_refused(client, make_user, reload, db):
    user = make_user("office1", "back_office")
    reload(user).is_active = False
    db.session.commit()
    response = client.login("office1")
    assert response.status_code == 200
    assert "该账号已停用" in login_page_text(response)
    assert client.get("/").status_code == 302


def test_idle_session_ends_after_thirty_minutes(client, make_user):
    make_user("office1", "back_office")
    client.login("office1")
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - dt.timedelta(minutes=31)).isoformat()
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    # The session is really over, not only this one request.
    assert client.get("/").headers["Location"].startswith("/login")


def test_session_active_within_thirty_minutes_continues(client, make_user):
    make_user("office1", "back_office")
    client.login("office1")
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - dt.timedelta(minutes=29)).isoformat()
    assert client.get("/").status_code == 200


def test_idle_timeout_comes_from_the_configuration(app, client, make_user):
    app.config["IDLE_TIMEOUT_MINUTES"] = 5
    make_user("office1", "back_office")
    client.login("office1")
    with client.session_transaction() as session:
        session["last_seen"] = (utcnow() - dt.timedelta(minutes=6)).isoformat()
    assert client.get("/").status_code == 302


def test_login_post_without_csrf_token_is_refused_and_nothing_is_written(client, make_user, db):
    make_user("office1", "back_office")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = client.post("/login", data={"username": "office1", "password": WRONG})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_sign_in_starts_a_fresh_session(client, make_user):
    make_user("office1", "back_office")
    client.refresh_csrf()
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    before = client.get_cookie("spotcheck_session").value
    client.post_form("/login", {"username": "office1", "password": "spotcheck-demo"})
    after = client.get_cookie("spotcheck_session").value
    assert after != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "_user_id" in session


def test_language_choice_survives_sign_in(client, make_user):
    make_user("office1", "back_office")
    client.get("/lang/en")
    client.login("office1")
    with client.session_transaction() as session:
        assert session["lang"] == "en"


def test_next_goes_back_to_the_page_asked_for(client, make_user, browser):
    make_user("office1", "back_office")
    response = client.get("/account")
    assert response.headers["Location"] == "/login?next=/account"
    b = browser()
    assert b.login("office1", next_url="/account").headers["Location"] == "/account"


def test_next_to_another_site_goes_to_the_dashboard(make_user, browser):
    make_user("office1", "back_office")
    for evil in (
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "https:/evil.example",
        "/\t/evil.example",  # browsers drop the tab and read //evil.example
        "javascript:alert(1)",
    ):
        response = browser().login("office1", next_url=evil)
        assert response.status_code == 302, evil
        assert response.headers["Location"] == "/", evil


def test_signed_in_user_visiting_login_goes_to_the_dashboard(client, make_user):
    make_user("office1", "back_office")
    client.login("office1")
    assert client.get("/login").headers["Location"] == "/"


def test_logout_ends_the_session_and_is_audited(client, make_user, audit_since):
    make_user("office1", "back_office")
    client.login("office1")
    mark = audit_since()
    response = client.post_form("/logout")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert mark.actions() == ["auth.logout"]


def test_logout_needs_a_post_with_csrf(client, make_user):
    make_user("office1", "back_office")
    client.login("office1")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_failed_login_audit_never_holds_the_password(client, make_user, audit_since):
    make_user("office1", "back_office")
    mark = audit_since()
    client.login("office1", "Secret-Pa55word!")
    client.login("nobody", "Secret-Pa55word!")
    # People type passwords into the username box: such a "name" is not logged either.
    client.login("Secret Pa55word!", "x")
    events = mark.events()
    assert [e.action for e in events] == ["auth.login_failed"] * 3
    for event in events:
        assert "Pa55word" not in str(event.details)
    assert events[1].details["username"] == "nobody"
