"""Every admin write appends exactly one audit event; no password ever reaches the log."""

from __future__ import annotations

import json

import pytest

from server.audit.operations import verify_chain

PASSWORD = "Audit-Secret-123"


@pytest.fixture
def target(make_user):
    return make_user("target", "inspector")


def _edit(user, **changes):
    form = {
        "display_name": user.display_name,
        "department_id": str(user.department_id),
        "roles": sorted(user.roles),
        "is_active": "1",
    }
    form.update(changes)
    return form


WRITES = {
    "user.create": lambda t, d: (
        "/admin/users/new",
        {
            "username": "fresh",
            "display_name": "新人",
            "roles": ["inspector"],
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    ),
    "user.update": lambda t, d: (f"/admin/users/{t.id}", _edit(t, display_name="改名")),
    "user.roles": lambda t, d: (f"/admin/users/{t.id}", _edit(t, roles=["leader"])),
    "user.password_reset": lambda t, d: (
        f"/admin/users/{t.id}/password",
        {"password": PASSWORD, "password_confirm": PASSWORD},
    ),
    "user.unlock": lambda t, d: (f"/admin/users/{t.id}/unlock", {}),
    "user.deactivate": lambda t, d: (f"/admin/users/{t.id}/deactivate", {}),
    "user.force_logout": lambda t, d: (f"/admin/users/{t.id}/force-logout", {}),
    "department.create": lambda t, d: ("/admin/departments", {"code": "NEW", "name": "新科"}),
    "department.update": lambda t, d: (f"/admin/departments/{d.id}", {"code": "C9", "name": "改"}),
    "department.deactivate": lambda t, d: (f"/admin/departments/{d.id}/deactivate", {}),
}


@pytest.mark.parametrize("action", sorted(WRITES))
def test_each_admin_write_adds_exactly_one_event_with_its_action(
    admin, admin_user, target, make_department, audit_since, action
):
    dept = make_department("审计科", code="AU")
    path, form = WRITES[action](target, dept)
    mark = audit_since()
    response = admin.post_form(path, form)
    assert response.status_code == 302, response.get_data(as_text=True)[-800:]
    events = mark.events()
    assert [e.action for e in events] == [action]
    event = events[0]
    assert event.actor_id == admin_user.id
    assert event.actor_label == "user:admin1"
    assert event.state_digest is not None
    if action.endswith(".create"):
        assert event.object_id not in (None, str(target.id), str(dept.id))
    else:
        assert event.object_id in (str(target.id), str(dept.id))


def test_reactivation_and_own_password_change_are_audited(admin, target, audit_since, signed_in):
    admin.post_form(f"/admin/users/{target.id}/deactivate")
    mark = audit_since()
    admin.post_form(f"/admin/users/{target.id}/reactivate")
    assert mark.actions() == ["user.reactivate"]
    mark = audit_since()
    admin.post_form(
        "/account/password",
        {
            "current_password": "spotcheck-demo",
            "new_password": PASSWORD,
            "new_password_confirm": PASSWORD,
        },
    )
    assert mark.actions() == ["user.password_change"]


def test_a_save_without_changes_writes_no_event(admin, target, audit_since):
    mark = audit_since()
    assert admin.post_form(f"/admin/users/{target.id}", _edit(target)).status_code == 302
    assert mark.actions() == []


def test_a_refused_write_leaves_no_event(admin, admin_user, audit_since):
    mark = audit_since()
    admin.post_form(f"/admin/users/{admin_user.id}", _edit(admin_user, roles=["leader"]))
    admin.post_form(f"/admin/users/{admin_user.id}/deactivate")
    admin.post_form("/admin/users/new", {"username": "x"})
    assert mark.actions() == []


def test_the_update_event_names_the_changed_fields(admin, target, audit_since):
    mark = audit_since()
    admin.post_form(f"/admin/users/{target.id}", _edit(target, display_name="甲", roles=["leader"]))
    (event,) = mark.events()
    assert event.action == "user.roles"
    assert event.details == {"fields": ["display_name", "roles"]}


def test_no_password_or_hash_ever_reaches_the_audit_log(admin, target, audit_since, db):
    mark = audit_since()
    admin.post_form(
        "/admin/users/new",
        {
            "username": "fresh",
            "display_name": "新人",
            "roles": ["inspector"],
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    admin.post_form(
        f"/admin/users/{target.id}/password", {"password": PASSWORD, "password_confirm": PASSWORD}
    )
    admin.post_form(
        "/account/password",
        {
            "current_password": "spotcheck-demo",
            "new_password": PASSWORD + "x",
            "new_password_confirm": PASSWORD + "x",
        },
    )
    events = mark.events()
    assert len(events) == 3
    for event in events:
        blob = json.dumps(event.details, ensure_ascii=False)
        assert PASSWORD not in blob and "argon2" not in blob and "spotcheck-demo" not in blob


def test_the_audit_chain_stays_intact_after_admin_writes(admin, target, db):
    admin.post_form(f"/admin/users/{target.id}/force-logout")
    admin.post_form("/admin/departments", {"code": "Z", "name": "最后"})
    checked, broken = verify_chain(db.session)
    assert broken is None and checked > 3
