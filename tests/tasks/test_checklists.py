"""Checklist templates: the question editor, and copy-on-write once an issued task uses one."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.tasks.models import ChecklistTemplate
from tests.tasks.conftest import page_text


def _id_in(response) -> uuid.UUID:
    return uuid.UUID(re.search(r"/checklists/([0-9a-f-]{36})", response.headers["Location"])[1])


def _new_template(browser, bureau, questions=("备案情况", "资金存管", "实名登记")):
    client = browser("head1")
    response = client.post_form(
        "/checklists/new", {"name": "预付卡检查表", "department_id": str(bureau.department.id)}
    )
    assert response.status_code == 302, page_text(response)
    template_id = _id_in(response)
    for text in questions:
        response = client.post_form(
            f"/checklists/{template_id}/questions",
            {"text": text, "answer_type": "yes_no_na", "required": "1", "item_code": "SWJ-001"},
        )
        assert response.status_code == 302, page_text(response)
    return client, template_id


def _texts(db, template_id) -> list[str]:
    db.session.expire_all()
    template = db.session.get(ChecklistTemplate, template_id)
    return [q.text for q in template.questions]


def test_questions_are_added_in_order_with_their_type_and_section(db, bureau, browser):
    client, template_id = _new_template(browser, bureau)
    template = db.session.get(ChecklistTemplate, template_id)
    assert [(q.position, q.text, q.answer_type, q.required, q.item_code) for q in
            template.questions] == [
        (1, "备案情况", "yes_no_na", True, "SWJ-001"),
        (2, "资金存管", "yes_no_na", True, "SWJ-001"),
        (3, "实名登记", "yes_no_na", True, "SWJ-001"),
    ]  # fmt: skip
    text = page_text(client.get(f"/checklists/{template_id}"))
    assert "检查内容（3 项）" in text and "是 / 否 / 不适用" in text and "必填" in text


def test_questions_move_up_and_down_and_are_removed(db, bureau, browser):
    client, template_id = _new_template(browser, bureau)
    base = f"/checklists/{template_id}/questions"
    assert client.post_form(f"{base}/move", {"position": "3", "direction": "up"}).status_code == 302
    assert _texts(db, template_id) == ["备案情况", "实名登记", "资金存管"]
    client.post_form(f"{base}/move", {"position": "1", "direction": "down"})
    assert _texts(db, template_id) == ["实名登记", "备案情况", "资金存管"]
    client.post_form(f"{base}/remove", {"position": "2"})
    assert _texts(db, template_id) == ["实名登记", "资金存管"]
    template = db.session.get(ChecklistTemplate, template_id)
    assert [q.position for q in template.questions] == [1, 2]


def test_a_question_is_edited_in_place_while_no_issued_task_uses_it(
    db, bureau, browser, make_task, advance
):
    client, template_id = _new_template(browser, bureau)
    advance(make_task(checklist_template_id=str(template_id)), "matched")
    response = client.post_form(
        f"/checklists/{template_id}/questions/update",
        {"position": "1", "text": "是否办理发卡备案", "answer_type": "photo_required"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/checklists/{template_id}")
    assert _texts(db, template_id)[0] == "是否办理发卡备案"


def test_editing_a_template_used_by_an_issued_task_makes_a_new_version(
    db, bureau, browser, make_task, advance
):
    client, template_id = _new_template(browser, bureau)
    task = advance(make_task(checklist_template_id=str(template_id)), "issued")
    response = client.post_form(
        f"/checklists/{template_id}/questions",
        {"text": "新增：业务信息报送", "answer_type": "text"},
    )
    assert response.status_code == 302
    new_id = _id_in(response)
    assert new_id != template_id

    assert _texts(db, template_id) == ["备案情况", "资金存管", "实名登记"]  # frozen
    assert _texts(db, new_id) == ["备案情况", "资金存管", "实名登记", "新增：业务信息报送"]
    old, new = (
        db.session.get(ChecklistTemplate, template_id),
        db.session.get(ChecklistTemplate, new_id),
    )
    assert (old.is_current, new.is_current) == (False, True)
    assert (new.family_id, new.version_no) == (old.family_id, 2)
    db.session.refresh(task)
    assert task.checklist_template_id == old.id
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert actions[-2:] == ["checklist.new_version", "checklist.question_add"]
    # The old version is read-only now.
    refused = client.post_form(
        f"/checklists/{template_id}/questions", {"text": "再改", "answer_type": "text"}
    )
    assert refused.status_code == 409


def test_a_question_needs_text_and_a_known_type(db, bureau, browser):
    client, template_id = _new_template(browser, bureau, questions=())
    response = client.post_form(
        f"/checklists/{template_id}/questions", {"text": "", "answer_type": "essay"}
    )
    assert response.status_code == 422
    text = page_text(response)
    assert "请填写检查内容" in text and "请从列表中选择" in text
    assert _texts(db, template_id) == []


def test_head_of_another_department_cannot_edit_the_template(db, bureau, browser):
    _, template_id = _new_template(browser, bureau, questions=("备案情况",))
    other = browser("head2")
    response = other.post_form(
        f"/checklists/{template_id}/questions", {"text": "越权", "answer_type": "text"}
    )
    assert response.status_code == 403
    assert _texts(db, template_id) == ["备案情况"]
    assert "上移" not in page_text(other.get(f"/checklists/{template_id}"))


def test_the_list_shows_current_versions(db, bureau, browser):
    client, _ = _new_template(browser, bureau, questions=("备案情况",))
    text = page_text(client.get("/checklists"))
    assert "预付卡检查表" in text and "第 1 版" in text and "1 项" in text
