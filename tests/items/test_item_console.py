"""Console pages of the item list: roles, object-level checks, forms, history and diffs."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.items.models import Item, ItemVersion


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def department(make_department):
    return make_department(name="市场秩序科", code="SC")


@pytest.fixture
def head(console, department):
    """A department head of `department`, signed in."""
    return console("dept_head", department=department)


# ---- list and detail -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "dept_head", "leader", "back_office", "inspector"])
def test_every_console_role_sees_the_list_and_the_detail(console, make_item, role):
    make_item(code="SWJ-010", name="成品油流通监督检查")
    client = console(role)
    page = client.get("/items").get_data(as_text=True)
    assert "成品油流通监督检查" in page
    assert client.get("/items/SWJ-010").status_code == 200


def test_the_list_needs_a_sign_in(client):
    response = client.get("/items")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_list_filters_by_text_department_and_method(console, make_item, make_department):
    other = make_department(name="外贸科")
    make_item(code="A-1", name="拍卖企业检查", methods=["onsite"])
    make_item(department=other, code="B-1", name="典当企业检查", methods=["online"])
    client = console("inspector")
    assert "典当" not in client.get("/items?q=拍卖").get_data(as_text=True)
    by_department = client.get(f"/items?department={other.id}").get_data(as_text=True)
    assert "典当企业检查" in by_department and "拍卖企业检查" not in by_department
    by_method = client.get("/items?method=online").get_data(as_text=True)
    assert "典当企业检查" in by_method and "拍卖企业检查" not in by_method


def test_retired_items_show_only_when_asked(db, console, make_item):
    from server.audit.operations import SYSTEM
    from server.items import operations

    item = make_item(name="洗染业检查")
    operations.retire_item(db.session, actor=SYSTEM, item=item, reason="职能划转")
    db.session.commit()
    client = console("inspector")
    assert "洗染业检查" not in client.get("/items").get_data(as_text=True)
    page = client.get("/items?retired=1").get_data(as_text=True)
    assert "洗染业检查" in page and "已停用" in page


def test_unknown_item_is_404(console):
    assert console("inspector").get("/items/NOPE-1").status_code == 404


# ---- create ----------------------------------------------------------------------------------


def test_dept_head_creates_an_item_of_their_department(db, head, department, item_data, item_form):
    form = item_form(item_data(name="拍卖企业检查"), department_id=str(department.id))
    response = head.post_form("/items/new", form)
    assert response.status_code == 302
    item = db.session.scalars(select(Item)).one()
    assert response.headers["Location"].endswith(f"/items/{item.code}")
    assert item.department_id == department.id
    assert item.current.version_no == 1
    assert item.current.created_by.username == "u_dept_head"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "item.create")).one()
    assert event.actor_label == "user:u_dept_head"


def test_dept_head_cannot_create_in_another_department(
    db, head, make_department, item_data, item_form
):
    other = make_department(name="外贸科")
    response = head.post_form("/items/new", item_form(item_data(), department_id=str(other.id)))
    assert response.status_code == 403
    assert _count(db, Item) == 0


def test_inspector_gets_403_on_create(console):
    client = console("inspector")
    assert client.get("/items/new").status_code == 403
    assert client.post_form("/items/new", {"name": "x"}).status_code == 403


@pytest.mark.parametrize(
    ("override", "field_message"),
    [
        ({"methods": ["teleport"]}, "未知的抽查方式：teleport"),
        ({"methods": []}, "请至少选择一种抽查方式"),
        ({"ratio_percent": "0", "ratio_is_statutory": True}, "抽查比例应大于 0 且不超过 100"),
        ({"ratio_percent": "150"}, "抽查比例应大于 0 且不超过 100"),
        ({"legal_basis": ""}, "请填写抽查依据"),
        ({"frequency_per_year": "0"}, "抽查频次每年至少 1 次"),
        ({"ratio_is_statutory": True}, "请填写法律法规规定的抽查比例"),
    ],
)
def test_invalid_form_is_422_with_the_chinese_message_and_writes_nothing(
    db, head, department, item_data, item_form, override, field_message
):
    form = item_form(item_data(**override), department_id=str(department.id))
    response = head.post_form("/items/new", form)
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert _count(db, Item) == 0


def test_create_form_keeps_what_was_typed_after_an_error(head, department, item_data, item_form):
    form = item_form(
        item_data(name="再生资源回收检查", legal_basis=""), department_id=str(department.id)
    )
    page = head.post_form("/items/new", form).get_data(as_text=True)
    assert 'value="再生资源回收检查"' in page


def test_duplicate_code_is_422_with_a_message(head, department, make_item, item_data, item_form):
    make_item(code="SWJ-100")
    form = item_form(item_data(), department_id=str(department.id), code="SWJ-100")
    response = head.post_form("/items/new", form)
    assert response.status_code == 422
    assert "事项编码“SWJ-100”已存在" in response.get_data(as_text=True)


# ---- revise ----------------------------------------------------------------------------------


def test_revise_makes_version_two_and_the_history_shows_both_with_a_diff(
    db, head, department, make_item, item_data, item_form
):
    item = make_item(department=department, code="SWJ-001")
    form = item_form(
        item_data(content="备案情况、资金存管、发卡限额、购卡实名登记、预收资金风险"),
        department_id=str(department.id),
        reason="新增风险管理检查要求",
    )
    response = head.post_form("/items/SWJ-001/edit", form)
    assert response.status_code == 302
    db.session.expire_all()
    assert item.current.version_no == 2
    page = head.get("/items/SWJ-001").get_data(as_text=True)
    assert "第 2 版" in page and "第 1 版" in page
    assert "新增风险管理检查要求" in page and "新增事项" in page
    # The diff names the changed field and marks the inserted text.
    changes = re.search(r'<dl class="props item-diff">(.*?)</dl>', page, re.S).group(1)
    assert "抽查内容" in changes and "<ins>、预收资金风险</ins>" in changes
    assert "抽查依据" not in changes


def test_revise_without_a_reason_is_422_and_writes_nothing(
    db, head, department, make_item, item_data, item_form
):
    make_item(department=department, code="SWJ-001")
    form = item_form(item_data(name="改名"), department_id=str(department.id), reason="")
    response = head.post_form("/items/SWJ-001/edit", form)
    assert response.status_code == 422
    assert "请填写调整原因" in response.get_data(as_text=True)
    assert _count(db, ItemVersion) == 1
    assert (
        db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "item.revise")
        )
        == 0
    )


def test_revise_with_nothing_changed_is_422_with_a_message(
    db, head, department, make_item, item_data, item_form
):
    make_item(department=department, code="SWJ-001")
    form = item_form(item_data(), department_id=str(department.id), reason="例行复核")
    response = head.post_form("/items/SWJ-001/edit", form)
    assert response.status_code == 422
    assert "内容没有变化，未生成新版本" in response.get_data(as_text=True)
    assert _count(db, ItemVersion) == 1


def test_edit_form_shows_the_current_content(head, department, make_item):
    make_item(department=department, code="SWJ-001", ratio_percent="12.5")
    page = head.get("/items/SWJ-001/edit").get_data(as_text=True)
    assert 'value="12.5"' in page
    assert "单用途商业预付卡管理办法" in page


def test_dept_head_of_another_department_gets_403_on_edit(
    db, console, make_item, make_department, item_data, item_form
):
    item = make_item(code="SWJ-001")
    client = console("dept_head", department=make_department(name="外贸科"))
    assert client.get("/items/SWJ-001/edit").status_code == 403
    form = item_form(item_data(name="改名"), department_id=str(item.department_id), reason="r")
    assert client.post_form("/items/SWJ-001/edit", form).status_code == 403
    assert client.post_form("/items/SWJ-001/retire", {"reason": "r"}).status_code == 403
    assert _count(db, ItemVersion) == 1


def test_back_office_may_revise_any_department_but_not_retire(
    db, console, make_item, item_data, item_form
):
    item = make_item(code="SWJ-001")
    client = console("back_office")
    form = item_form(item_data(name="改名"), department_id=str(item.department_id), reason="勘误")
    assert client.post_form("/items/SWJ-001/edit", form).status_code == 302
    assert client.post_form("/items/SWJ-001/retire", {"reason": "r"}).status_code == 403


def test_admin_moves_an_item_to_another_department(
    db, console, make_item, make_department, item_data, item_form
):
    item = make_item(code="SWJ-001")
    other = make_department(name="外贸科")
    client = console("admin")
    form = item_form(item_data(), department_id=str(other.id), reason="职责调整")
    assert client.post_form("/items/SWJ-001/edit", form).status_code == 302
    db.session.expire_all()
    assert item.department_id == other.id
    assert "责任科室" in client.get("/items/SWJ-001").get_data(as_text=True)


# ---- retire / restore ------------------------------------------------------------------------


def test_retire_and_restore_through_the_console(db, head, department, make_item):
    item = make_item(department=department, code="SWJ-001")
    assert head.post_form("/items/SWJ-001/retire", {"reason": "法规废止"}).status_code == 302
    db.session.expire_all()
    assert item.is_retired
    page = head.get("/items/SWJ-001").get_data(as_text=True)
    assert "已停用" in page and "法规废止" in page
    assert head.post_form("/items/SWJ-001/restore", {"reason": "新规出台"}).status_code == 302
    db.session.expire_all()
    assert not item.is_retired


def test_retire_without_a_reason_is_422(db, head, department, make_item):
    item = make_item(department=department, code="SWJ-001")
    response = head.post_form("/items/SWJ-001/retire", {"reason": " "})
    assert response.status_code == 422
    assert "请填写调整原因" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not item.is_retired


def test_forms_need_the_csrf_token(head, department, make_item):
    make_item(department=department, code="SWJ-001")
    response = head.post("/items/SWJ-001/retire", data={"reason": "x"})
    assert response.status_code == 400
