"""The conflict register: registering, ending, and who may do which."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.audit.models import AuditEvent
from server.directory.models import Conflict


def actions(db) -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


@pytest.fixture
def office(signed_in):
    return signed_in("back_office")


def test_register_conflict_from_the_console(office, db, make_inspector, make_subject):
    inspector, subject = make_inspector(name="赵六"), make_subject(name="赵氏商行")
    response = office.post_form(
        "/conflicts",
        {"inspector_id": str(inspector.id), "subject_uscc": subject.uscc.lower(),
         "kind": "kinship", "note": "配偶为股东"},
    )  # fmt: skip
    assert response.status_code == 302
    conflict = db.session.scalars(select(Conflict)).one()
    assert (conflict.inspector_id, conflict.subject_id, conflict.kind) == (
        inspector.id, subject.id, "kinship",
    )  # fmt: skip
    assert actions(db)[-1] == "conflict.register"
    html = office.get("/conflicts").get_data(as_text=True)
    assert "赵六" in html and "赵氏商行" in html and "配偶为股东" in html


def test_register_with_unknown_uscc_is_refused(office, db, make_inspector, valid_uscc):
    inspector = make_inspector()
    response = office.post_form(
        "/conflicts",
        {"inspector_id": str(inspector.id), "subject_uscc": valid_uscc(5), "kind": "other"},
    )
    assert response.status_code == 422
    assert "名录库中没有该统一社会信用代码" in response.get_data(as_text=True)
    assert db.session.scalars(select(Conflict)).all() == []


def test_register_with_bad_uscc_shows_check_digit_error(office, make_inspector):
    inspector = make_inspector()
    response = office.post_form(
        "/conflicts",
        {"inspector_id": str(inspector.id), "subject_uscc": "91110108551385082R", "kind": "other"},
    )
    assert response.status_code == 422
    assert "校验位错误" in response.get_data(as_text=True)


def test_registering_the_same_conflict_twice_is_refused(office, make_inspector, make_subject):
    inspector, subject = make_inspector(), make_subject()
    form = {"inspector_id": str(inspector.id), "subject_uscc": subject.uscc, "kind": "kinship"}
    assert office.post_form("/conflicts", form).status_code == 302
    response = office.post_form("/conflicts", form)
    assert response.status_code == 422
    assert "该利害关系已登记" in response.get_data(as_text=True)


def test_end_conflict_with_reason(office, db, make_inspector, make_subject, listed):
    inspector, subject = make_inspector(name="钱七"), make_subject()
    form = {"inspector_id": str(inspector.id), "subject_uscc": subject.uscc, "kind": "shareholding"}
    office.post_form("/conflicts", form)
    conflict = db.session.scalars(select(Conflict)).one()
    response = office.post_form(f"/conflicts/{conflict.id}/end", {"reason": "已转让股份"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Conflict, conflict.id).is_active is False
    ended = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "conflict.end")).one()
    assert ended.details == {"reason": "已转让股份"}
    # The default view lists active registrations only; "ended" shows it.
    assert listed(office.get("/conflicts"), "inspectors") == []
    assert listed(office.get("/conflicts?state=ended"), "inspectors") == ["钱七"]


def test_end_without_reason_is_refused(office, db, make_inspector, make_subject):
    inspector, subject = make_inspector(), make_subject()
    form = {"inspector_id": str(inspector.id), "subject_uscc": subject.uscc, "kind": "other"}
    office.post_form("/conflicts", form)
    conflict = db.session.scalars(select(Conflict)).one()
    assert office.post_form(f"/conflicts/{conflict.id}/end", {"reason": ""}).status_code == 422
    db.session.expire_all()
    assert db.session.get(Conflict, conflict.id).is_active is True


def test_filter_by_kind_and_search(office, make_inspector, make_subject, listed):
    a, b = make_inspector(name="甲员"), make_inspector(name="乙员")
    s1, s2 = make_subject(name="华联商厦"), make_subject(name="鑫源典当")
    office.post_form("/conflicts", {"inspector_id": str(a.id), "subject_uscc": s1.uscc,
                                    "kind": "kinship"})  # fmt: skip
    office.post_form("/conflicts", {"inspector_id": str(b.id), "subject_uscc": s2.uscc,
                                    "kind": "former_employment"})  # fmt: skip
    assert listed(office.get("/conflicts?kind=kinship"), "inspectors") == ["甲员"]
    assert listed(office.get("/conflicts?q=典当"), "inspectors") == ["乙员"]
    assert listed(office.get("/conflicts?q=甲员"), "inspectors") == ["甲员"]
    assert listed(office.get(f"/conflicts?inspector={b.id}"), "inspectors") == ["乙员"]


def test_conflicts_show_on_subject_and_inspector_pages(office, make_inspector, make_subject):
    inspector, subject = make_inspector(name="孙八"), make_subject(name="孙记超市")
    office.post_form("/conflicts", {"inspector_id": str(inspector.id),
                                    "subject_uscc": subject.uscc, "kind": "kinship"})  # fmt: skip
    assert "孙八" in office.get(f"/subjects/{subject.id}").get_data(as_text=True)
    assert "孙记超市" in office.get(f"/inspectors/{inspector.id}").get_data(as_text=True)


def test_unknown_conflict_is_404(office):
    missing = "00000000-0000-0000-0000-000000000000"
    assert office.post_form(f"/conflicts/{missing}/end", {"reason": "原因"}).status_code == 404
