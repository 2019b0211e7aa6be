"""Item writes: versions, reasons, codes, retirement, and one audit event each."""

from __future__ import annotations

import decimal

import pytest
from marshmallow import ValidationError
from sqlalchemy import func, select

from server.audit.models import AuditEvent
from server.audit.operations import SYSTEM
from server.items import operations
from server.items.models import Item, ItemVersion
from server.items.operations import ItemError


def _events(db, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _version_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ItemVersion))


def test_create_makes_version_one_and_one_audit_event(db, make_item):
    item = make_item(code="SW-YFK-01")
    assert item.current.version_no == 1
    assert item.current.change_reason == "新增事项"
    assert item.current.methods == ["onsite", "documentary"]
    events = _events(db, "item.create")
    assert len(events) == 1
    assert events[0].object_id == str(item.id)
    assert events[0].state_digest is not None
    assert events[0].details["version_no"] == 1


def test_create_generates_running_codes_when_none_given(make_item):
    assert make_item().code == "SWJ-001"
    assert make_item(code="").code == "SWJ-002"


def test_create_refuses_a_code_already_used_in_any_case(db, make_item, make_department, item_data):
    make_item(code="SWJ-007")
    with pytest.raises(ItemError, match="已存在"):
        operations.create_item(
            db.session,
            actor=SYSTEM,
            code="swj-007",
            department_id=make_department().id,
            data=item_data(),
        )


def test_create_validates_content_with_the_item_schema(db, make_department, item_data):
    with pytest.raises(ValidationError) as error:
        operations.create_item(
            db.session,
            actor=SYSTEM,
            code=None,
            department_id=make_department().id,
            data=item_data(methods=["teleport"]),
        )
    assert "未知的抽查方式" in str(error.value.messages["methods"])


def test_revise_makes_version_two_with_reason_and_keeps_version_one(db, make_item, item_data):
    item = make_item()
    version = operations.revise_item(
        db.session,
        actor=SYSTEM,
        item=item,
        data=item_data(ratio_percent="10", ratio_is_statutory=True),
        reason="依据新办法调整比例",
    )
    db.session.commit()
    assert version.version_no == 2
    assert item.current.id == version.id
    assert version.ratio_percent == decimal.Decimal("10.00")
    assert version.change_reason == "依据新办法调整比例"
    assert [v.version_no for v in item.versions] == [2, 1]
    assert item.versions[1].ratio_percent is None
    (event,) = _events(db, "item.revise")
    assert event.details["changed"] == ["ratio_percent", "ratio_is_statutory"]


def test_revise_applies_partial_data_over_the_current_version(db, make_item):
    item = make_item()
    version = operations.revise_item(
        db.session, actor=SYSTEM, item=item, data={"frequency_per_year": 2}, reason="每年两次"
    )
    assert version.frequency_per_year == 2
    assert version.name == item.versions[-1].name


def test_revise_without_a_reason_is_refused_and_writes_nothing(db, make_item, item_data):
    item = make_item()
    with pytest.raises(ItemError, match="请填写调整原因"):
        operations.revise_item(
            db.session, actor=SYSTEM, item=item, data=item_data(name="新名称"), reason="  "
        )
    assert _version_count(db) == 1


def test_revise_with_nothing_changed_is_refused(db, make_item, item_data):
    item = make_item()
    # Same content, methods in another order and whitespace around text: still no change.
    data = item_data(methods=["documentary", "onsite"], name=" 单用途商业预付卡发卡企业监督检查 ")
    with pytest.raises(ItemError, match="内容没有变化"):
        operations.revise_item(db.session, actor=SYSTEM, item=item, data=data, reason="试试")
    assert _version_count(db) == 1
    assert _events(db, "item.revise") == []


def test_revise_can_move_the_item_to_another_department(db, make_item, make_department):
    item = make_item()
    other = make_department(name="市场运行科")
    version = operations.revise_item(
        db.session,
        actor=SYSTEM,
        item=item,
        data={"department_id": other.id},
        reason="职责调整",
    )
    db.session.commit()
    assert item.department_id == other.id
    assert version.department_id == other.id
    assert item.versions[1].department_id != other.id


def test_retire_and_restore_each_write_one_audit_event(db, make_item):
    item = make_item()
    operations.retire_item(db.session, actor=SYSTEM, item=item, reason="法规废止")
    db.session.commit()
    assert item.is_retired and item.retired_reason == "法规废止"
    operations.restore_item(db.session, actor=SYSTEM, item=item, reason="新法规恢复")
    db.session.commit()
    assert not item.is_retired and item.retired_at is None
    assert [e.details["reason"] for e in _events(db, "item.retire")] == ["法规废止"]
    assert [e.details["reason"] for e in _events(db, "item.restore")] == ["新法规恢复"]


def test_retire_twice_and_restore_an_active_item_are_refused(db, make_item):
    item = make_item()
    with pytest.raises(ItemError):
        operations.restore_item(db.session, actor=SYSTEM, item=item, reason="x")
    operations.retire_item(db.session, actor=SYSTEM, item=item, reason="废止")
    with pytest.raises(ItemError):
        operations.retire_item(db.session, actor=SYSTEM, item=item, reason="再次")


def test_a_retired_item_cannot_be_revised(db, make_item):
    item = make_item()
    operations.retire_item(db.session, actor=SYSTEM, item=item, reason="废止")
    with pytest.raises(ItemError, match="先恢复"):
        operations.revise_item(
            db.session, actor=SYSTEM, item=item, data={"name": "新"}, reason="改名"
        )


def test_item_count_is_unchanged_by_revisions(db, make_item):
    item = make_item()
    operations.revise_item(db.session, actor=SYSTEM, item=item, data={"name": "改"}, reason="r")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Item)) == 1
    assert _version_count(db) == 2
