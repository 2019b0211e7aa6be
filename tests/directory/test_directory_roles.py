"""Who may read and write the directories: roles, department scope and one's own conflicts."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.directory.models import Conflict, SubjectRiskFlag


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role", ["admin", "dept_head", "leader", "back_office", "inspector"])
def test_every_role_reads_both_directories_and_the_register(
    signed_in, role, make_subject, make_inspector
):
    subject, inspector = make_subject(), make_inspector()
    client = signed_in(role)
    for path in (
        "/subjects", f"/subjects/{subject.id}", "/inspectors", f"/inspectors/{inspector.id}",
        "/conflicts",
    ):  # fmt: skip
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("role", ["dept_head", "leader", "inspector"])
def test_only_back_office_and_admin_create_and_edit(signed_in, role, make_subject, make_inspector):
    subject, inspector = make_subject(), make_inspector()
    client = signed_in(role)
    for path in (
        "/subjects/new", f"/subjects/{subject.id}/edit",
        "/inspectors/new", f"/inspectors/{inspector.id}/edit",
    ):  # fmt: skip
        assert client.get(path).status_code == 403, path
        assert client.post_form(path, {"name": "改名"}).status_code == 403, path
    assert (
        client.post_form(f"/subjects/{subject.id}/remove", {"reason": "试图移出"}).status_code
        == 403
    )


@pytest.mark.parametrize("role", ["admin", "back_office"])
def test_keepers_see_create_buttons(signed_in, role):
    html = signed_in(role).get("/subjects").get_data(as_text=True)
    assert 'href="/subjects/new"' in html


def test_readers_do_not_see_create_buttons(signed_in):
    html = signed_in("leader").get("/subjects").get_data(as_text=True)
    assert 'href="/subjects/new"' not in html


@pytest.mark.parametrize("role", ["leader", "inspector"])
def test_leader_and_inspector_may_not_flag(signed_in, db, role, make_subject):
    subject = make_subject(risk_flags=["abnormal"])
    client = signed_in(role)
    assert (
        client.post_form(f"/subjects/{subject.id}/flags", {"flag": "dishonest"}).status_code == 403
    )
    clear = {"flag": "abnormal", "reason": "无理由"}
    assert client.post_form(f"/subjects/{subject.id}/flags/clear", clear).status_code == 403
    assert count(db, SubjectRiskFlag) == 1


def test_dept_head_flags_subjects_in_their_scope(signed_in, db, make_department, make_subject):
    dept = make_department("成品油科")
    ours = make_subject(departments=[dept])
    client = signed_in("dept_head", department=dept)
    assert client.post_form(f"/subjects/{ours.id}/flags", {"flag": "complaints"}).status_code == 302
    clear = {"flag": "complaints", "reason": "投诉已核实处理"}
    assert client.post_form(f"/subjects/{ours.id}/flags/clear", clear).status_code == 302
    assert count(db, SubjectRiskFlag) == 0


def test_dept_head_may_not_flag_outside_their_scope(signed_in, db, make_department, make_subject):
    dept, other = make_department("成品油科"), make_department("市场科")
    theirs = make_subject(departments=[other])
    client = signed_in("dept_head", department=dept)
    assert (
        client.post_form(f"/subjects/{theirs.id}/flags", {"flag": "complaints"}).status_code == 403
    )
    assert count(db, SubjectRiskFlag) == 0


def test_dept_head_registers_conflicts_in_scope_only(
    signed_in, db, make_department, make_subject, make_inspector
):
    dept = make_department("成品油科")
    ours, theirs = make_subject(departments=[dept]), make_subject()
    inspector = make_inspector()
    client = signed_in("dept_head", department=dept)
    form = {"inspector_id": str(inspector.id), "kind": "other"}
    assert client.post_form("/conflicts", {**form, "subject_uscc": ours.uscc}).status_code == 302
    assert client.post_form("/conflicts", {**form, "subject_uscc": theirs.uscc}).status_code == 403
    assert count(db, Conflict) == 1


@pytest.fixture
def inspector_client(client, make_user, make_inspector):
    """An inspector signed in, with their own directory record: (client, own record)."""
    user = make_user("inspector1", "inspector")
    me = make_inspector(name="本人", user=user)
    assert client.login("inspector1").status_code == 302
    return client, me


def test_inspector_registers_a_conflict_about_themself(
    inspector_client, db, make_inspector, make_subject
):
    client, me = inspector_client
    make_inspector(name="别人")
    subject = make_subject()
    page = client.get("/conflicts").get_data(as_text=True)
    assert "本人（" in page and "别人（" not in page.split('id="register"')[1]
    form = {"inspector_id": str(me.id), "subject_uscc": subject.uscc, "kind": "kinship"}
    assert client.post_form("/conflicts", form).status_code == 302
    assert count(db, Conflict) == 1


def test_inspector_may_not_register_a_conflict_for_another_inspector(
    inspector_client, db, make_inspector, make_subject
):
    client, _me = inspector_client
    other, subject = make_inspector(name="别人"), make_subject()
    form = {"inspector_id": str(other.id), "subject_uscc": subject.uscc, "kind": "kinship"}
    assert client.post_form("/conflicts", form).status_code == 403
    assert count(db, Conflict) == 0


def test_inspector_without_a_record_may_not_register(signed_in, db, make_inspector, make_subject):
    client = signed_in("inspector")
    other, subject = make_inspector(), make_subject()
    assert "尚未关联执法人员名录" in client.get("/conflicts").get_data(as_text=True)
    form = {"inspector_id": str(other.id), "subject_uscc": subject.uscc, "kind": "other"}
    assert client.post_form("/conflicts", form).status_code == 403
    assert count(db, Conflict) == 0


def test_inspector_may_not_end_their_own_registration(inspector_client, db, make_subject):
    client, me = inspector_client
    subject = make_subject()
    client.post_form(
        "/conflicts", {"inspector_id": str(me.id), "subject_uscc": subject.uscc, "kind": "other"}
    )
    conflict = db.session.scalars(select(Conflict)).one()
    assert (
        client.post_form(f"/conflicts/{conflict.id}/end", {"reason": "想参加"}).status_code == 403
    )
    db.session.expire_all()
    assert db.session.get(Conflict, conflict.id).is_active is True


def test_leader_may_not_register_conflicts(signed_in, db, make_inspector, make_subject):
    client = signed_in("leader")
    inspector, subject = make_inspector(), make_subject()
    form = {"inspector_id": str(inspector.id), "subject_uscc": subject.uscc, "kind": "other"}
    assert client.post_form("/conflicts", form).status_code == 403
    assert count(db, Conflict) == 0


def test_dept_head_ends_registrations_in_scope_only(
    signed_in, browser, make_user, db, make_department, make_subject, make_inspector
):
    dept = make_department("成品油科")
    ours, theirs = make_subject(departments=[dept]), make_subject()
    inspector = make_inspector()
    office = signed_in("back_office")
    for subject in (ours, theirs):
        office.post_form("/conflicts", {"inspector_id": str(inspector.id),
                                        "subject_uscc": subject.uscc, "kind": "other"})  # fmt: skip
    by_subject = {c.subject_id: c.id for c in db.session.scalars(select(Conflict))}
    make_user("head1", "dept_head", department=dept)
    head = browser()
    head.login("head1")
    reason = {"reason": "关系已解除"}
    assert head.post_form(f"/conflicts/{by_subject[theirs.id]}/end", reason).status_code == 403
    assert head.post_form(f"/conflicts/{by_subject[ours.id]}/end", reason).status_code == 302
