"""Public disclosure of annual plans (Art. 13): published versions only, with their history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from server.audit.operations import SYSTEM
from server.plans import operations


@pytest.fixture
def department(make_department):
    return make_department(name="市场秩序科", code="SC")


@pytest.fixture
def draft(db, department, make_item):
    """A 2026 draft of 市场秩序科 with two items."""
    make_item(department=department, code="SWJ-001")
    make_item(department=department, code="SWJ-002", name="成品油零售经营企业监督检查")
    plan = operations.create_plan(db.session, actor=SYSTEM, department_id=department.id, year=2026)
    db.session.commit()
    return plan


def _line(**overrides) -> dict:
    data = {
        "objects": "辖区内成品油零售企业",
        "content": "经营许可、油品质量台账",
        "methods": ["onsite"],
        "ratio_percent": Decimal("5"),
        "frequency_per_year": 1,
        "window_start": dt.date(2026, 4, 1),
        "window_end": dt.date(2026, 9, 30),
        "notes": None,
        "department_scope": True,
    }
    data.update(overrides)
    return data


@pytest.fixture
def published(db, draft):
    """The draft with one justified rule break, filed and published (version 1)."""
    line = draft.lines[1]
    operations.update_line(
        db.session, actor=SYSTEM, plan=draft, line=line, data=_line(ratio_percent=3)
    )
    operations.add_override(
        db.session,
        actor=SYSTEM,
        plan=draft,
        rule_code="ratio",
        item_id=line.item_id,
        justification="辖区仅有 4 家加油站，按 3% 抽取即可覆盖，另行全覆盖检查",
    )
    operations.file_plan(db.session, actor=SYSTEM, plan=draft)
    operations.publish_plan(db.session, actor=SYSTEM, plan=draft)
    db.session.commit()
    return draft


def test_a_draft_is_invisible_to_the_public(client, draft):
    page = client.get("/public/plans").get_data(as_text=True)
    assert "暂无已公开的年度抽查工作计划" in page
    assert client.get(f"/public/plans/{draft.id}").status_code == 404
    assert client.get("/api/v1/public/plans").get_json() == []


def test_a_filed_but_unpublished_plan_is_invisible_too(client, db, draft):
    operations.file_plan(db.session, actor=SYSTEM, plan=draft)
    db.session.commit()
    assert client.get(f"/public/plans/{draft.id}").status_code == 404


def test_a_published_plan_shows_with_its_lines_and_its_justified_rule_break(client, published):
    listing = client.get("/public/plans").get_data(as_text=True)
    assert "市场秩序科 2026 年度抽查工作计划" in listing
    assert "首次公开" in listing and "含 1 项经说明的规则突破" in listing
    page = client.get(f"/public/plans/{published.id}").get_data(as_text=True)
    assert "SWJ-001" in page and "成品油零售经营企业监督检查" in page
    assert "辖区仅有 4 家加油站" in page and "经说明突破" in page
    assert "已报市市场监管局备案" in page


def test_the_public_header_links_the_plans(client, published):
    page = client.get("/public/items").get_data(as_text=True)
    assert 'href="/public/plans"' in page


def test_an_adjustment_is_a_new_public_version_and_the_old_one_stays_readable(
    client, db, published
):
    line = published.lines[0]
    operations.update_line(
        db.session, actor=SYSTEM, plan=published, line=line, data=_line(ratio_percent=Decimal("15"))
    )
    # Unpublished edits stay off the public page.
    db.session.commit()
    assert "15%" not in client.get(f"/public/plans/{published.id}").get_data(as_text=True)
    operations.adjust_plan(
        db.session, actor=SYSTEM, plan=published, reason="投诉举报增多，提高比例"
    )
    db.session.commit()
    page = client.get(f"/public/plans/{published.id}").get_data(as_text=True)
    assert "现行第 2 版" in page and "15%" in page and "投诉举报增多，提高比例" in page
    old = client.get(f"/public/plans/{published.id}?version=1").get_data(as_text=True)
    assert "已被新版本替代" in old and "15%" not in old
    assert client.get(f"/public/plans/{published.id}?version=3").status_code == 404


def test_the_json_lists_published_plans_with_history_and_no_names(client, db, published):
    body = client.get("/api/v1/public/plans").get_json()
    assert len(body) == 1
    plan = body[0]
    assert plan["year"] == 2026 and plan["department"] == "市场秩序科"
    assert plan["version_no"] == 1 and plan["filed_to"] == "市市场监管局"
    assert [li["item_code"] for li in plan["lines"]] == ["SWJ-001", "SWJ-002"]
    assert plan["lines"][1]["ratio_percent"] == "3.00"
    assert plan["overrides"][0]["rule_code"] == "ratio"
    assert [h["version_no"] for h in plan["history"]] == [1]
    assert "created_by" not in str(plan) and "by" not in plan["overrides"][0]


def test_the_json_is_documented_in_the_openapi_spec(client):
    spec = client.get("/api/v1/openapi.json")
    if spec.status_code == 404:
        spec = client.get("/openapi.json")
    assert "/api/v1/public/plans" in spec.get_json()["paths"]
