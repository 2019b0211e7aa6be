"""Writes of the item list (一单, Art. 5–7): create, revise, retire, restore. Flush, never commit.

Content is never edited in place: every change is a new immutable ItemVersion with who, when
and why, and the item points at its current version ("动态调整" with the whole history kept).
"""

from __future__ import annotations

import re
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.auth.models import Department
from server.errors import OperationError
from server.i18n import N_
from server.items import queries
from server.items.diff import changed_fields
from server.items.models import Item, ItemVersion
from server.items.schemas import CONTENT_FIELDS, ItemArgs, ItemCreateArgs
from server.orm import utcnow

# Generated codes: SWJ (商务局) + a running number, e.g. "SWJ-001".
CODE_PREFIX = "SWJ"
_GENERATED = re.compile(rf"^{CODE_PREFIX}-(\d+)$")


class ItemError(OperationError):
    """A refused item write. `msgid` is Chinese (str(error) reads well in a CLI); `translated()`
    gives it in the page's language."""


def _validated(session: Session, data: dict, schema_class=ItemArgs) -> dict:
    """Validate content with the one schema (raises marshmallow.ValidationError)."""
    schema = schema_class(method_codes=queries.method_codes(session, active_only=True))
    return schema.load(data)


def _department(session: Session, department_id) -> Department:
    try:
        key = uuid.UUID(str(department_id)) if department_id else None
    except ValueError:
        key = None
    department = session.get(Department, key) if key else None
    if department is None or not department.is_active:
        raise ItemError(N_("请选择有效的责任科室"), "department_id")
    return department


def next_code(session: Session) -> str:
    """The next free generated code ("SWJ-001", "SWJ-002", …)."""
    codes = session.scalars(select(Item.code).where(Item.code.like(f"{CODE_PREFIX}-%")))
    numbers = [int(m.group(1)) for c in codes if (m := _GENERATED.match(c))]
    return f"{CODE_PREFIX}-{max(numbers, default=0) + 1:03d}"


def _new_version(
    item: Item, content: dict, *, number: int, department: Department, actor: Actor, reason: str
) -> ItemVersion:
    values = {f: content.get(f) for f in CONTENT_FIELDS if f != "department_id"}
    return ItemVersion(
        item=item,
        version_no=number,
        department=department,
        change_reason=reason,
        created_by_id=actor.id,
        created_at=utcnow(),
        **values,
    )


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ItemError(N_("请填写调整原因"), "reason")
    if len(reason) > 500:
        raise ItemError(N_("调整原因不能超过 500 个字符"), "reason")
    return reason


def create_item(
    session: Session,
    *,
    actor: Actor,
    code: str | None,
    department_id,
    data: dict,
    reason: str = "新增事项",
) -> Item:
    """A new item with its first version; an empty code gets the next generated one."""
    given = {**data, "code": code or None, "department_id": department_id}
    content = _validated(session, given, ItemCreateArgs)
    reason = _reason(reason)
    department = _department(session, department_id)
    code = content.pop("code") or next_code(session)
    if queries.code_taken(session, code):
        raise ItemError(N_("事项编码“%(code)s”已存在"), "code", code=code)
    item = Item(code=code, department=department)
    session.add(item)
    session.flush()
    version = _new_version(
        item, content, number=1, department=department, actor=actor, reason=reason
    )
    session.add(version)
    session.flush()
    item.current = version
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="item.create",
        object_type="item",
        object_id=item.id,
        state=item.audit_state(),
        details={"code": item.code, "version_no": 1, "reason": reason},
    )
    return item


def _content_of(version: ItemVersion) -> dict:
    return {f: getattr(version, f) for f in CONTENT_FIELDS}


def revise_item(
    session: Session, *, actor: Actor, item: Item, data: dict, reason: str
) -> ItemVersion:
    """A new version from the current one with `data` applied (may move the item's department).

    Fields missing from `data` keep their current value. Refused when nothing changes: an
    empty version would be noise in the public history.
    """
    reason = _reason(reason)
    if item.is_retired:
        raise ItemError(N_("已停用的事项不能修订，请先恢复"))
    current = item.current
    merged = {**_content_of(current), **data}
    if merged.get("department_id") is None:
        merged["department_id"] = item.department_id
    content = _validated(session, merged)
    department = _department(session, content["department_id"])
    content["department_id"] = department.id
    changed = changed_fields(current, content)
    if not changed:
        raise ItemError(N_("内容没有变化，未生成新版本"))
    number = current.version_no + 1
    version = _new_version(
        item, content, number=number, department=department, actor=actor, reason=reason
    )
    session.add(version)
    session.flush()
    item.current = version
    item.department = department
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="item.revise",
        object_type="item",
        object_id=item.id,
        state=item.audit_state(),
        details={"code": item.code, "version_no": number, "reason": reason, "changed": changed},
    )
    return version


def retire_item(session: Session, *, actor: Actor, item: Item, reason: str) -> None:
    """Take an item off the current list; its versions stay (and stay public as history)."""
    reason = _reason(reason)
    if item.is_retired:
        raise ItemError(N_("该事项已停用"))
    item.is_retired = True
    item.retired_at = utcnow()
    item.retired_reason = reason
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="item.retire",
        object_type="item",
        object_id=item.id,
        state=item.audit_state(),
        details={"code": item.code, "reason": reason},
    )


def restore_item(session: Session, *, actor: Actor, item: Item, reason: str) -> None:
    """Put a retired item back on the current list, with its last version."""
    reason = _reason(reason)
    if not item.is_retired:
        raise ItemError(N_("该事项未停用，无需恢复"))
    item.is_retired = False
    item.retired_at = None
    item.retired_reason = None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="item.restore",
        object_type="item",
        object_id=item.id,
        state=item.audit_state(),
        details={"code": item.code, "reason": reason},
    )
