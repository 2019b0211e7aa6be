"""Public disclosure of the item list: pages, Excel and JSON without sign-in."""

from __future__ import annotations

import io

import openpyxl
import pytest

from server.audit.operations import SYSTEM
from server.items import operations


@pytest.fixture
def two_items(db, make_item, make_department):
    """Two current items in two departments; the first revised once."""
    market = make_department(name="市场秩序科", code="SC")
    trade = make_department(name="对外贸易科", code="WM")
    card = make_item(department=market, code="SWJ-001", ratio_percent="10", ratio_is_statutory=True)
    pawn = make_item(
        department=trade,
        code="SWJ-002",
        name="典当行监督检查",
        legal_basis="《典当管理办法》",
        object_scope="典当行",
        content="经营许可、当票",
        methods=["online"],
    )
    operations.revise_item(
        db.session, actor=SYSTEM, item=card, data={"frequency_per_year": 2}, reason="每年检查两次"
    )
    db.session.commit()
    return card, pawn


def test_public_list_needs_no_sign_in_and_groups_by_department(client, two_items):
    response = client.get("/public/items")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    market, trade = page.index('id="dept-SC"'), page.index('id="dept-WM"')
    assert market < page.index("单用途商业预付卡发卡企业监督检查") < trade
    assert trade < page.index("典当行监督检查")
    # Every field, the version and the date it took effect.
    for text in (
        "单用途商业预付卡管理办法",
        "经开区商务局",
        "资金存管",
        "实地核查",
        "书面检查",
        "10%（法定）",
        "每年 2 次",
        "具有行政执法资格",
        "第 2 版",
        "起施行",
    ):
        assert text in page
    assert "退出" not in page  # no console chrome for the public


def test_public_item_page_shows_the_change_history_without_user_names(
    client, make_user, db, make_department
):
    department = make_department(name="市场秩序科")
    head = make_user("head_zhang", "dept_head", department=department, display_name="张科长")
    from server.auth.operations import actor_for

    item = operations.create_item(
        db.session,
        actor=actor_for(head),
        code="SWJ-001",
        department_id=department.id,
        data={
            "name": "拍卖企业检查",
            "legal_basis": "《拍卖监督管理办法》",
            "checking_body": "经开区商务局",
            "object_scope": "拍卖企业",
            "content": "经营资质",
            "methods": ["onsite"],
        },
    )
    operations.revise_item(
        db.session,
        actor=actor_for(head),
        item=item,
        data={"content": "经营资质、拍卖笔录"},
        reason="补充检查内容",
    )
    db.session.commit()
    page = client.get("/public/items/SWJ-001").get_data(as_text=True)
    assert "补充检查内容" in page and "新增事项" in page
    assert "第 2 版" in page and "第 1 版" in page
    assert "抽查内容" in page  # the changed field is named
    assert "张科长" not in page and "head_zhang" not in page


def test_unknown_public_item_is_404(client):
    assert client.get("/public/items/NOPE").status_code == 404


def test_retire_hides_the_item_from_the_public_list_and_json_restore_brings_it_back(
    client, db, two_items
):
    card, _pawn = two_items
    operations.retire_item(db.session, actor=SYSTEM, item=card, reason="法规废止")
    db.session.commit()
    assert "单用途商业预付卡" not in client.get("/public/items").get_data(as_text=True)
    assert "典当行监督检查" in client.get("/public/items").get_data(as_text=True)
    codes = [i["code"] for i in client.get("/api/v1/public/items").get_json()]
    assert codes == ["SWJ-002"]
    # Its page stays, marked as retired, with the retirement in its history.
    page = client.get("/public/items/SWJ-001").get_data(as_text=True)
    assert "已停用" in page and "法规废止" in page

    operations.restore_item(db.session, actor=SYSTEM, item=card, reason="新规出台")
    db.session.commit()
    assert "单用途商业预付卡" in client.get("/public/items").get_data(as_text=True)
    codes = [i["code"] for i in client.get("/api/v1/public/items").get_json()]
    assert codes == ["SWJ-001", "SWJ-002"]


def test_json_list_has_every_field_with_method_names(client, two_items):
    response = client.get("/api/v1/public/items")
    assert response.status_code == 200
    card = response.get_json()[0]
    assert card["code"] == "SWJ-001"
    assert card["name"] == "单用途商业预付卡发卡企业监督检查"
    assert card["legal_basis"].startswith("《单用途商业预付卡管理办法")
    assert card["checking_body"] == "经开区商务局"
    assert card["object_scope"] and card["content"]
    assert card["methods"] == [
        {"code": "onsite", "name_zh": "实地核查", "name_en": "On-site check"},
        {"code": "documentary", "name_zh": "书面检查", "name_en": "Documentary check"},
    ]
    assert card["ratio_percent"] == "10.00" and card["ratio_is_statutory"] is True
    assert card["frequency_per_year"] == 2 and card["frequency_is_statutory"] is False
    assert card["inspector_requirements"] == "具有行政执法资格"
    assert card["department"]["name"] == "市场秩序科"
    assert card["version_no"] == 2
    assert card["effective_at"].startswith("20")
    assert card["change_reason"] == "每年检查两次"
    assert card["is_retired"] is False


def test_json_item_has_its_history_and_unknown_code_is_a_json_404(client, two_items):
    item = client.get("/api/v1/public/items/SWJ-001").get_json()
    assert [(h["kind"], h["version_no"]) for h in item["history"]] == [
        ("version", 2),
        ("version", 1),
    ]
    assert item["history"][0]["changed"] == ["抽查频次"]
    response = client.get("/api/v1/public/items/NOPE")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_json_endpoints_are_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/public/items" in doc["paths"]
    assert "/api/v1/public/items/{code}" in doc["paths"]
    item_schema = doc["components"]["schemas"]["Item"]["properties"]
    for field in (
        "legal_basis",
        "checking_body",
        "object_scope",
        "content",
        "methods",
        "ratio_percent",
        "frequency_per_year",
        "version_no",
        "effective_at",
        "department",
    ):
        assert field in item_schema
    assert "name_zh" in doc["components"]["schemas"]["ItemMethod"]["properties"]


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_public_excel_has_the_title_header_and_one_row_per_current_item(client, db, two_items):
    card, _pawn = two_items
    operations.retire_item(db.session, actor=SYSTEM, item=card, reason="法规废止")
    db.session.commit()
    response = client.get("/public/items.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = _sheet(response.data)
    assert "威海经济技术开发区商务局" in sheet["A1"].value
    header = [c.value for c in sheet[2]]
    assert header[:4] == ["序号", "事项编码", "事项名称", "抽查依据"]
    assert "抽查方式" in header and "责任科室" in header
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in rows] == ["SWJ-002"]
    assert rows[0][header.index("抽查方式")] == "网络监测"
    assert sheet.column_dimensions["D"].width > 20


def test_console_excel_export_needs_a_sign_in_and_lists_current_items(client, signed_in, two_items):
    assert client.get("/items/export.xlsx").status_code == 302
    signed_in("inspector")
    response = client.get("/items/export.xlsx")
    assert response.status_code == 200
    rows = list(_sheet(response.data).iter_rows(min_row=3, values_only=True))
    assert [r[1] for r in rows] == ["SWJ-001", "SWJ-002"]
    assert rows[0][8] == "10%（法定）"
