"""Only admins reach the admin console: every page and every write, for every other role."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.auth.models import Department, User

NON_ADMIN_ROLES = ("dept_head", "leader", "back_office", "inspector")


def admin_routes(app: Flask, user: User, dept: Department) -> list[tuple[str, str]]:
    """(method, path) of every admin page of the auth domain, taken from the URL map."""
    values = {"user_id": user.id, "dept_id": dept.id}
    routes = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not (rule.endpoint.startswith("auth.") and rule.rule.startswith("/admin/")):
                continue
            path = url_for(rule.endpoint, **{a: values[a] for a in rule.arguments})
            routes += [(m, path) for m in ("GET", "POST") if m in rule.methods]
    return routes


def test_the_admin_console_has_the_pages_the_nav_links_to(app):
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    assert endpoints["auth.users"] == "/admin/users"
    assert endpoints["auth.departments"] == "/admin/departments"


@pytest.mark.parametrize(
    "roles", [(role,) for role in NON_ADMIN_ROLES] + [NON_ADMIN_ROLES], ids=lambda r: "+".join(r)
)
def test_non_admin_gets_403_on_every_admin_page_and_write(app, signed_in, make_user, db, roles):
    client = signed_in(*roles, username="someone")
    target = make_user("target", "inspector")
    routes = admin_routes(app, target, target.department)
    assert len(routes) >= 14
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    for method, path in routes:
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post_form(
                path, {"code": "X1", "name": "X", "password": "p" * 12, "roles": ["admin"]}
            )
        assert response.status_code == 403, (method, path)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_admin_sees_the_console_and_its_nav_links(admin):
    page = admin.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/users"' in page and 'href="/admin/departments"' in page
    assert admin.get("/admin/departments").status_code == 200


def test_non_admin_does_not_see_the_admin_nav_links(signed_in):
    page = signed_in("back_office").get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in page


def test_signed_out_visitor_is_sent_to_login(app, client, make_user):
    target = make_user("target", "inspector")
    for method, path in admin_routes(app, target, target.department):
        if method == "GET":
            response = client.get(path)
            assert response.status_code == 302, path
            assert response.headers["Location"].startswith("/login?next=/admin/")


def test_signed_out_post_with_a_valid_token_is_sent_to_login_without_writing(
    app, client, make_user, db
):
    target = make_user("target", "inspector")
    client.refresh_csrf("/login")
    response = client.post_form(f"/admin/users/{target.id}/deactivate")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"  # a form's target is not a page to return to
    db.session.expire_all()
    assert db.session.get(User, target.id).is_active


def test_admin_write_without_csrf_token_is_refused_and_nothing_is_written(admin, make_user, db):
    target = make_user("target", "inspector")
    before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = admin.post(
        "/admin/users/new",
        data={
            "username": "sneaky",
            "display_name": "x",
            "roles": "admin",
            "password": "p" * 12,
            "password_confirm": "p" * 12,
        },
    )
    assert response.status_code == 400
    assert admin.post(f"/admin/users/{target.id}/deactivate").status_code == 400
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "sneaky")) is None
    assert db.session.get(User, target.id).is_active
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before
