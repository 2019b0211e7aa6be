"""Writes to the two directories. Each function flushes and records one audit event per change.

`data` dicts are the output of SubjectArgs / InspectorArgs (server/directory/schemas.py).
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import operations as audit
from server.audit.operations import Actor
from server.directory.models import (
    Conflict,
    Inspector,
    InspectorExpertise,
    Region,
    Subject,
    SubjectRiskFlag,
    SubjectScope,
    SubjectTag,
)
from server.orm import utcnow

Outcome = Literal["created", "updated", "unchanged"]

SUBJECT_COLUMNS = (
    "uscc", "name", "kind", "scale", "region_code", "address", "legal_rep", "contact_name",
    "contact_phone", "business_scope", "established_on", "status",
)  # fmt: skip
INSPECTOR_COLUMNS = (
    "name", "id_number", "phone", "department_id", "credential_no", "credential_issuer",
    "credential_valid_from", "credential_valid_until", "qualification",
    "is_team_lead_qualified", "is_active", "user_id",
)  # fmt: skip


LOOKUP = object()  # upsert_*(existing=…) default: look the object up by its natural key


class DirectoryError(ValueError):
    """A directory write that the current state does not allow (Chinese message)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


# ---- regions ----------------------------------------------------------------------------------


def _region_state(region: Region) -> dict:
    return {
        "code": region.code,
        "name": region.name,
        "parent_code": region.parent_code,
        "sort": region.sort,
        "is_active": region.is_active,
    }


def create_region(session: Session, *, actor: Actor, data: dict) -> Region:
    """Add a street or town of the zone; imports must name a known region."""
    if session.get(Region, data["code"]) is not None:
        raise DirectoryError("该区域代码已存在", "code")
    if session.scalars(select(Region).where(Region.name == data["name"])).first() is not None:
        raise DirectoryError("该区域名称已存在", "name")
    region = Region(
        code=data["code"],
        name=data["name"],
        parent_code=data.get("parent_code"),
        sort=data.get("sort", 0),
    )
    session.add(region)
    session.flush()
    audit.record(
        session, actor=actor, action="region.create", object_type="region",
        object_id=region.code, state=_region_state(region),
    )  # fmt: skip
    return region


def update_region(session: Session, *, actor: Actor, region: Region, data: dict) -> bool:
    """Rename, re-sort or (de)activate a region; its code never changes (subjects refer to it)."""
    if data.get("name") and data["name"] != region.name:
        clash = session.scalars(select(Region).where(Region.name == data["name"])).first()
        if clash is not None:
            raise DirectoryError("该区域名称已存在", "name")
    before = _region_state(region)
    for key in ("name", "sort", "is_active"):
        if key in data:
            setattr(region, key, data[key])
    after = _region_state(region)
    if after == before:
        return False
    session.flush()
    audit.record(
        session, actor=actor, action="region.update", object_type="region",
        object_id=region.code, state=after,
        details={"changed": sorted(k for k in after if after[k] != before[k])},
    )  # fmt: skip
    return True


# ---- subjects ---------------------------------------------------------------------------------


def subject_by_uscc(session: Session, uscc: str) -> Subject | None:
    return session.scalars(select(Subject).where(Subject.uscc == uscc)).first()


def _apply_subject(subject: Subject, data: dict, *, actor: Actor) -> None:
    for column in (*SUBJECT_COLUMNS, "is_deleted"):
        if column in data:
            setattr(subject, column, data[column])
    if "department_ids" in data:
        wanted = set(data["department_ids"])
        subject.scope_rows = [s for s in subject.scope_rows if s.department_id in wanted]
        have = {s.department_id for s in subject.scope_rows}
        subject.scope_rows.extend(
            SubjectScope(department_id=d) for d in sorted(wanted - have, key=str)
        )
    if "tags" in data:
        wanted_tags = list(dict.fromkeys(data["tags"]))
        subject.tag_rows = [t for t in subject.tag_rows if t.tag in wanted_tags]
        have_tags = {t.tag for t in subject.tag_rows}
        subject.tag_rows.extend(SubjectTag(tag=t) for t in wanted_tags if t not in have_tags)
    # Flags given by an import are added, never removed: a flag set by hand (with its note and
    # source) must not vanish because a spreadsheet did not mention it.
    for flag in data.get("risk_flags") or []:
        if flag not in subject.flag_codes:
            subject.risk_flags.append(
                SubjectRiskFlag(flag=flag, source="导入", created_by_id=actor.id)
            )
    subject.updated_by_id = actor.id


def create_subject(
    session: Session, *, actor: Actor, data: dict, known_new: bool = False
) -> Subject:
    """Add a subject; `known_new`: the caller has just looked its USCC up (upsert)."""
    if not known_new and subject_by_uscc(session, data["uscc"]) is not None:
        raise DirectoryError("该统一社会信用代码已在名录库中", "uscc")
    # Empty collections up front: audit_state() after the flush then needs no lazy loads.
    subject = Subject(scope_rows=[], tag_rows=[], risk_flags=[])
    _apply_subject(subject, data, actor=actor)
    session.add(subject)
    session.flush()
    audit.record(
        session, actor=actor, action="subject.create", object_type="subject",
        object_id=subject.id, state=subject.audit_state(),
    )  # fmt: skip
    return subject


def update_subject(session: Session, *, actor: Actor, subject: Subject, data: dict) -> bool:
    """Apply changes; returns False (and writes nothing) when nothing changed."""
    if "uscc" in data and data["uscc"] != subject.uscc:
        other = subject_by_uscc(session, data["uscc"])
        if other is not None and other.id != subject.id:
            raise DirectoryError("该统一社会信用代码已在名录库中", "uscc")
    before = subject.audit_state()
    _apply_subject(subject, data, actor=actor)
    after = subject.audit_state()
    if after == before:
        session.expire(subject)  # drop the touched updated_by
        return False
    session.flush()
    changed = sorted(k for k in after if after[k] != before.get(k))
    audit.record(
        session, actor=actor, action="subject.update", object_type="subject",
        object_id=subject.id, state=after, details={"changed": changed},
    )  # fmt: skip
    return True


def upsert_subject(
    session: Session, *, actor: Actor, data: dict, existing: Subject | None | object = LOOKUP
) -> tuple[Subject, Outcome]:
    """Create or update by USCC — what makes re-importing a spreadsheet idempotent.

    `existing`: the subject with this USCC (or None), when the caller already loaded it (imports
    load them by the chunk; a lookup per row would also re-run the selectin loaders).
    """
    subject = subject_by_uscc(session, data["uscc"]) if existing is LOOKUP else existing
    if subject is None:
        return create_subject(session, actor=actor, data=data, known_new=True), "created"
    if subject.is_deleted:
        # Applied inside update_subject (after its "before" snapshot), so a restore of an
        # otherwise identical row counts as a change and is audited.
        data = {**data, "is_deleted": False}
    changed = update_subject(session, actor=actor, subject=subject, data=data)
    return subject, "updated" if changed else "unchanged"


def delete_subject(session: Session, *, actor: Actor, subject: Subject, reason: str) -> None:
    """Soft delete: the subject leaves the directory but old draws still refer to it."""
    if subject.is_deleted:
        raise DirectoryError("该检查对象已移出名录库")
    subject.is_deleted = True
    subject.updated_by_id = actor.id
    session.flush()
    audit.record(
        session, actor=actor, action="subject.delete", object_type="subject",
        object_id=subject.id, state=subject.audit_state(), details={"reason": reason},
    )  # fmt: skip


def restore_subject(session: Session, *, actor: Actor, subject: Subject, reason: str) -> None:
    if not subject.is_deleted:
        raise DirectoryError("该检查对象在名录库中")
    subject.is_deleted = False
    subject.updated_by_id = actor.id
    session.flush()
    audit.record(
        session, actor=actor, action="subject.restore", object_type="subject",
        object_id=subject.id, state=subject.audit_state(), details={"reason": reason},
    )  # fmt: skip


def set_risk_flag(
    session: Session,
    *,
    actor: Actor,
    subject: Subject,
    flag: str,
    note: str | None = None,
    source: str | None = None,
) -> SubjectRiskFlag:
    existing = next((f for f in subject.risk_flags if f.flag == flag), None)
    if existing is not None:
        raise DirectoryError("该对象已有此风险标记", "flag")
    row = SubjectRiskFlag(flag=flag, note=note, source=source, created_by_id=actor.id)
    subject.risk_flags.append(row)
    session.flush()
    audit.record(
        session, actor=actor, action="subject.flag_set", object_type="subject",
        object_id=subject.id, state=subject.audit_state(),
        details={"flag": flag, "source": source},
    )  # fmt: skip
    return row


def clear_risk_flag(
    session: Session, *, actor: Actor, subject: Subject, flag: str, reason: str
) -> None:
    existing = next((f for f in subject.risk_flags if f.flag == flag), None)
    if existing is None:
        raise DirectoryError("该对象没有此风险标记", "flag")
    subject.risk_flags.remove(existing)
    session.flush()
    audit.record(
        session, actor=actor, action="subject.flag_clear", object_type="subject",
        object_id=subject.id, state=subject.audit_state(),
        details={"flag": flag, "reason": reason},
    )  # fmt: skip


# ---- inspectors -------------------------------------------------------------------------------


def inspector_by_credential(session: Session, credential_no: str) -> Inspector | None:
    return session.scalars(
        select(Inspector).where(Inspector.credential_no == credential_no)
    ).first()


def _check_user_link(session: Session, inspector: Inspector | None, user_id) -> None:
    if user_id is None:
        return
    other = session.scalars(select(Inspector).where(Inspector.user_id == user_id)).first()
    if other is not None and (inspector is None or other.id != inspector.id):
        raise DirectoryError("该用户账号已关联其他执法人员", "username")


def _apply_inspector(inspector: Inspector, data: dict, *, actor: Actor) -> None:
    for column in INSPECTOR_COLUMNS:
        if column in data:
            setattr(inspector, column, data[column])
    if "expertise" in data:
        wanted = list(dict.fromkeys(data["expertise"]))
        inspector.expertise_rows = [e for e in inspector.expertise_rows if e.tag in wanted]
        have = {e.tag for e in inspector.expertise_rows}
        inspector.expertise_rows.extend(InspectorExpertise(tag=t) for t in wanted if t not in have)
    inspector.updated_by_id = actor.id


def create_inspector(
    session: Session, *, actor: Actor, data: dict, known_new: bool = False
) -> Inspector:
    """Add an inspector; `known_new`: the caller has just looked its credential up (upsert)."""
    if not known_new and inspector_by_credential(session, data["credential_no"]) is not None:
        raise DirectoryError("该执法证号已在名录库中", "credential_no")
    _check_user_link(session, None, data.get("user_id"))
    inspector = Inspector(expertise_rows=[])
    _apply_inspector(inspector, data, actor=actor)
    session.add(inspector)
    session.flush()
    audit.record(
        session, actor=actor, action="inspector.create", object_type="inspector",
        object_id=inspector.id, state=inspector.audit_state(),
    )  # fmt: skip
    return inspector


def update_inspector(session: Session, *, actor: Actor, inspector: Inspector, data: dict) -> bool:
    if "credential_no" in data and data["credential_no"] != inspector.credential_no:
        other = inspector_by_credential(session, data["credential_no"])
        if other is not None and other.id != inspector.id:
            raise DirectoryError("该执法证号已在名录库中", "credential_no")
    _check_user_link(session, inspector, data.get("user_id"))
    before = inspector.audit_state()
    _apply_inspector(inspector, data, actor=actor)
    after = inspector.audit_state()
    if after == before:
        session.expire(inspector)
        return False
    session.flush()
    # Field names only: the ID number and phone are personal data.
    changed = sorted(k for k in after if after[k] != before.get(k))
    audit.record(
        session, actor=actor, action="inspector.update", object_type="inspector",
        object_id=inspector.id, state=after, details={"changed": changed},
    )  # fmt: skip
    return True


def upsert_inspector(
    session: Session, *, actor: Actor, data: dict, existing: Inspector | None | object = LOOKUP
) -> tuple[Inspector, Outcome]:
    """Create or update by credential number (the inspector's natural key); see upsert_subject."""
    inspector = (
        inspector_by_credential(session, data["credential_no"]) if existing is LOOKUP else existing
    )
    if inspector is None:
        return create_inspector(session, actor=actor, data=data, known_new=True), "created"
    changed = update_inspector(session, actor=actor, inspector=inspector, data=data)
    return inspector, "updated" if changed else "unchanged"


# ---- conflicts --------------------------------------------------------------------------------


def register_conflict(
    session: Session,
    *,
    actor: Actor,
    inspector: Inspector,
    subject: Subject,
    kind: str,
    note: str | None = None,
) -> Conflict:
    """Register an inspector × subject conflict; the pair is excluded from every later draw."""
    existing = session.scalars(
        select(Conflict).where(
            Conflict.inspector_id == inspector.id,
            Conflict.subject_id == subject.id,
            Conflict.kind == kind,
        )
    ).first()
    if existing is not None and existing.is_active:
        raise DirectoryError("该利害关系已登记", "kind")
    if existing is not None:  # re-activate a previously ended registration
        conflict = existing
        conflict.is_active, conflict.ended_at, conflict.note = True, None, note
    else:
        conflict = Conflict(
            inspector_id=inspector.id, subject_id=subject.id, kind=kind, note=note,
            created_by_id=actor.id,
        )  # fmt: skip
        session.add(conflict)
    session.flush()
    audit.record(
        session, actor=actor, action="conflict.register", object_type="conflict",
        object_id=conflict.id, state=conflict.audit_state(),
    )  # fmt: skip
    return conflict


def end_conflict(session: Session, *, actor: Actor, conflict: Conflict, reason: str) -> None:
    if not conflict.is_active:
        raise DirectoryError("该利害关系登记已解除")
    conflict.is_active = False
    conflict.ended_at = utcnow()
    session.flush()
    audit.record(
        session, actor=actor, action="conflict.end", object_type="conflict",
        object_id=conflict.id, state=conflict.audit_state(), details={"reason": reason},
    )  # fmt: skip


def conflicted_pairs(session: Session) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Active (inspector_id, subject_id) pairs — what a draw's matching must exclude."""
    rows = session.execute(
        select(Conflict.inspector_id, Conflict.subject_id).where(Conflict.is_active.is_(True))
    )
    return {(r.inspector_id, r.subject_id) for r in rows}
