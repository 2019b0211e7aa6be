"""Regions of the zone: kept by admin / back office, audited, and required by imports."""

from sqlalchemy import select

from server.audit.models import AuditEvent
from server.directory.models import Region


def test_back_office_adds_a_region_and_the_event_is_audited(signed_in, db):
    client = signed_in("back_office")
    response = client.post_form("/admin/regions", {"code": "wq", "name": "温泉镇", "sort": "7"})
    assert response.status_code == 302
    region = db.session.get(Region, "WQ")
    assert (region.name, region.sort, region.is_active) == ("温泉镇", 7, True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "region.create")).one()
    assert event.object_id == "WQ"
    assert "温泉镇" in client.get("/admin/regions").get_data(as_text=True)


def test_duplicate_code_or_name_is_refused_with_a_chinese_message(signed_in, make_region, db):
    make_region(code="HG", name="皇冠街道")
    client = signed_in("admin")
    response = client.post_form("/admin/regions", {"code": "HG", "name": "别的名字"})
    assert response.status_code == 422
    assert "该区域代码已存在" in response.get_data(as_text=True)
    response = client.post_form("/admin/regions", {"code": "XX", "name": "皇冠街道"})
    assert response.status_code == 422
    assert "该区域名称已存在" in response.get_data(as_text=True)
    assert db.session.scalar(select(Region).where(Region.code == "XX")) is None


def test_bad_code_is_refused(signed_in, db):
    response = signed_in("admin").post_form("/admin/regions", {"code": "皇冠", "name": "皇冠街道"})
    assert response.status_code == 422
    assert "代码只能包含字母、数字" in response.get_data(as_text=True)


def test_renaming_and_deactivating_a_region_keeps_its_code(signed_in, make_region, db):
    make_region(code="HG", name="皇冠街道")
    client = signed_in("back_office")
    response = client.post_form("/admin/regions/HG", {"name": "皇冠街道办事处", "sort": "1"})
    assert response.status_code == 302
    region = db.session.get(Region, "HG")
    db.session.refresh(region)
    assert (region.name, region.is_active) == ("皇冠街道办事处", False)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "region.update"))
    assert [e.details["changed"] for e in events] == [["is_active", "name", "sort"]]


def test_an_inactive_region_can_no_longer_be_named_by_a_new_subject(
    signed_in, make_region, valid_uscc, db
):
    make_region(code="HG", name="皇冠街道", is_active=False)
    client = signed_in("back_office")
    response = client.post_form(
        "/subjects/new",
        {"uscc": valid_uscc(1), "name": "测试商行", "kind": "enterprise", "region": "HG",
         "address": "皇冠路1号"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "未知的区域" in response.get_data(as_text=True)


def test_inspectors_and_department_heads_may_not_keep_regions(signed_in):
    client = signed_in("inspector", "dept_head")
    assert client.get("/admin/regions").status_code == 403
    assert client.post_form("/admin/regions", {"code": "X", "name": "某镇"}).status_code == 403
