"""Reads of the item list: lookups, the filtered console list, the current list, histories."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from sqlalchemy import Select, String, cast, func, or_, select
from sqlalchemy.orm import Session, selectinload

from server.audit.models import AuditEvent
from server.auth.models import Department
from server.codes.models import Code
from server.codes.reference import METHOD
from server.items.diff import Change, version_changes
from server.items.models import Item, ItemVersion


def method_codes(session: Session, *, active_only: bool = False) -> dict[str, Code]:
    """The method codes in their display order (inactive ones too, for old versions)."""
    stmt = select(Code).where(Code.kind == METHOD).order_by(Code.sort, Code.code)
    if active_only:
        stmt = stmt.where(Code.is_active.is_(True))
    return {row.code: row for row in session.scalars(stmt)}


def departments(session: Session, *, active_only: bool = True) -> list[Department]:
    stmt = select(Department).order_by(Department.code)
    if active_only:
        stmt = stmt.where(Department.is_active.is_(True))
    return list(session.scalars(stmt))


def find_item(session: Session, code: str) -> Item | None:
    return session.scalars(select(Item).where(Item.code == code)).first()


def code_taken(session: Session, code: str) -> bool:
    """Codes are unique regardless of case: "swj-001" and "SWJ-001" would confuse people."""
    stmt = select(Item.id).where(func.lower(Item.code) == code.lower())
    return session.scalars(stmt).first() is not None


def _ordered(stmt: Select) -> Select:
    return stmt.join(Department, Item.department_id == Department.id).order_by(
        Department.code, Item.sort, Item.code
    )


def list_items(
    *,
    q: str | None = None,
    department: uuid.UUID | None = None,
    method: str | None = None,
    retired: bool = False,
) -> Select:
    """The console list: current content joined, filtered; retired items only when asked."""
    stmt = select(Item).join(ItemVersion, Item.current_version_id == ItemVersion.id)
    if not retired:
        stmt = stmt.where(Item.is_retired.is_(False))
    if department is not None:
        stmt = stmt.where(Item.department_id == department)
    if method:
        # A JSON list stored as text on both databases: look for the quoted code.
        stmt = stmt.where(
            cast(ItemVersion.methods, String).contains(f'"{method}"', autoescape=True)
        )
    if q:
        pattern = f"%{q}%"
        stmt = stmt.where(
            or_(
                Item.code.ilike(pattern),
                ItemVersion.name.ilike(pattern),
                ItemVersion.legal_basis.ilike(pattern),
                ItemVersion.object_scope.ilike(pattern),
                ItemVersion.content.ilike(pattern),
            )
        )
    return _ordered(stmt)


def current_items(session: Session) -> list[Item]:
    """The current (public) list: every item not retired, by department."""
    stmt = _ordered(select(Item).where(Item.is_retired.is_(False)))
    return list(session.scalars(stmt).unique())


def item_record(item: Item, methods: dict[str, Code]) -> dict:
    """An item's current content as a plain dict, the shape `ItemSchema` documents."""
    version = item.current
    return {
        "id": item.id,
        "code": item.code,
        "name": version.name,
        "legal_basis": version.legal_basis,
        "checking_body": version.checking_body,
        "object_scope": version.object_scope,
        "content": version.content,
        "methods": [
            {
                "code": code,
                "name_zh": methods[code].name_zh if code in methods else code,
                "name_en": methods[code].name_en if code in methods else code,
            }
            for code in version.methods or []
        ],
        "ratio_percent": version.ratio_percent,
        "ratio_is_statutory": version.ratio_is_statutory,
        "frequency_per_year": version.frequency_per_year,
        "frequency_is_statutory": version.frequency_is_statutory,
        "inspector_requirements": version.inspector_requirements,
        "department": item.department,
        "version_no": version.version_no,
        "effective_at": version.created_at,
        "change_reason": version.change_reason,
        "is_retired": item.is_retired,
        "retired_at": item.retired_at,
    }


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    """One version with what it changed compared to the version before it."""

    version: ItemVersion
    changes: list[Change]


def history(session: Session, item: Item, methods: dict[str, Code]) -> list[HistoryEntry]:
    """All versions, newest first, each with its field-by-field diff to the previous one."""
    versions = list(
        session.scalars(
            select(ItemVersion)
            .where(ItemVersion.item_id == item.id)
            .options(selectinload(ItemVersion.created_by), selectinload(ItemVersion.department))
            .order_by(ItemVersion.version_no)
        )
    )
    entries = []
    previous = None
    for version in versions:
        entries.append(HistoryEntry(version, version_changes(previous, version, methods)))
        previous = version
    return list(reversed(entries))


@dataclasses.dataclass(frozen=True)
class StatusEntry:
    """A retirement or restoration of an item, as the public history shows it."""

    action: str  # "retire" | "restore"
    at: dt.datetime
    reason: str
    actor_label: str  # console only; public pages show no names


def status_changes(session: Session, item: Item) -> list[StatusEntry]:
    """Retirements and restorations, from the audit trail (which is where they are recorded)."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "item",
            AuditEvent.object_id == str(item.id),
            AuditEvent.action.in_(("item.retire", "item.restore")),
        )
        .order_by(AuditEvent.seq)
    )
    return [
        StatusEntry(
            e.action.removeprefix("item."),
            e.at,
            (e.details or {}).get("reason", ""),
            e.actor_label.removeprefix("user:"),
        )
        for e in events
    ]
