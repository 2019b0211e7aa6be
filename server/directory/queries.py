"""Read side of the directories: filtered, paged lists fast enough for 100,000 subjects.

Every filter is either an indexed column of the main table or an EXISTS on an indexed child
table (scopes, tags, flags), so the page query and its COUNT share one WHERE clause and the
page's relationships come from the models' selectin loaders (no per-row queries).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEvent
from server.auth.models import Department, User
from server.directory import identifiers
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

EXPIRING_DAYS = 30


@dataclasses.dataclass
class Page:
    """One page of a list; `pages`/`page`/`total` are what the pager macro reads."""

    items: Sequence[Any]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


def _paged(
    session: Session, stmt: Select, conditions: list, model, *, page: int, size: int
) -> Page:
    total = session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    # A page past the end shows the last page rather than an empty list.
    page = min(page, max(1, math.ceil(total / size)))
    items = session.scalars(stmt.offset((page - 1) * size).limit(size)).unique().all()
    return Page(items=items, total=total, page=page, page_size=size)


# ---- subjects -----------------------------------------------------------------------------------


def _uscc_prefix(text: str) -> str | None:
    """The normalised text if it can be the start of a USCC, else None."""
    code = identifiers.normalise(text)
    if 2 <= len(code) <= 18 and all(c in identifiers.USCC_ALPHABET for c in code):
        return code
    return None


def subject_search(text: str) -> ColumnElement[bool]:
    """Name contains the text, or the USCC starts with it (an index range, not a LIKE)."""
    by_name = Subject.name.contains(text.strip(), autoescape=True)
    prefix = _uscc_prefix(text)
    if prefix is None:
        return by_name
    # Every USCC character sorts below "Z", so [prefix, prefix+"Z") is exactly "starts with".
    by_uscc = and_(Subject.uscc >= prefix, Subject.uscc < prefix + "Z")
    if len(prefix) == 18:
        return Subject.uscc == prefix
    return or_(by_uscc, by_name)


def _has(child, *where: ColumnElement[bool], semi: str) -> ColumnElement[bool]:
    """A semi-join on a child table (scopes, tags, flags): never duplicates a subject."""
    if semi == "in":
        return Subject.id.in_(select(child.subject_id).where(*where))
    return exists().where(child.subject_id == Subject.id, *where)


def subject_conditions(args: dict, *, semi: str = "exists") -> list[ColumnElement[bool]]:
    """The WHERE clause of a subject list from SubjectListArgs output.

    `semi` only chooses how the child-table filters are written, not what they select:
    SQLite cannot start a query from an EXISTS, but can from an IN (see list_subjects).
    """
    conditions: list[ColumnElement[bool]] = []
    if not args.get("removed"):
        conditions.append(Subject.is_deleted.is_(False))
    for column, key in (
        (Subject.kind, "kind"),
        (Subject.scale, "scale"),
        (Subject.region_code, "region"),
        (Subject.status, "status"),
    ):
        if args.get(key):
            conditions.append(column == args[key])
    if args.get("q"):
        conditions.append(subject_search(args["q"]))
    if args.get("department"):
        conditions.append(
            _has(SubjectScope, SubjectScope.department_id == args["department"], semi=semi)
        )
    if args.get("risk"):
        flag = [] if args["risk"] == "any" else [SubjectRiskFlag.flag == args["risk"]]
        conditions.append(_has(SubjectRiskFlag, *flag, semi=semi))
    if args.get("tag"):
        conditions.append(_has(SubjectTag, SubjectTag.tag == args["tag"], semi=semi))
    return conditions


# Below this many matches a page starts from the child rows; above it, walking the name index
# and probing each subject stops after one page. SQLite cannot weigh that itself (it never
# starts from an EXISTS and always from an IN), so the COUNT, done first, decides.
WALK_MIN_MATCHES = 2_000
WALK_MAX_OFFSET = 5_000


def list_subjects(session: Session, args: dict) -> Page:
    """A page of subjects by name: COUNT, then the page's ids, then those rows (3 queries).

    The ids come from ix_subjects_listing alone, so a deep OFFSET skips index entries, not rows.
    """
    size = args["page_size"]
    total = (
        session.scalar(
            select(func.count()).select_from(Subject).where(*subject_conditions(args, semi="in"))
        )
        or 0
    )
    page = min(args.get("page", 1), max(1, math.ceil(total / size)))
    offset = (page - 1) * size
    walk = total >= WALK_MIN_MATCHES and offset <= WALK_MAX_OFFSET
    ids = list(
        session.scalars(
            select(Subject.id)
            .where(*subject_conditions(args, semi="exists" if walk else "in"))
            .order_by(Subject.name, Subject.id)
            .offset(offset)
            .limit(size)
        )
    )
    rows = {s.id: s for s in session.scalars(select(Subject).where(Subject.id.in_(ids)))}
    return Page(items=[rows[i] for i in ids], total=total, page=page, page_size=size)


def subject_by_id(session: Session, raw_id: str) -> Subject | None:
    try:
        return session.get(Subject, uuid.UUID(raw_id))
    except ValueError:
        return None


def subject_tags(session: Session, limit: int = 300) -> list[str]:
    """Tags in use, for the filter's choices."""
    return list(
        session.scalars(select(SubjectTag.tag).distinct().order_by(SubjectTag.tag).limit(limit))
    )


# ---- inspectors ---------------------------------------------------------------------------------


def credential_state(inspector: Inspector, today: dt.date) -> str:
    """valid / expiring (within 30 days) / expired / not_yet (validity starts later)."""
    if inspector.credential_valid_until < today:
        return "expired"
    if inspector.credential_valid_from is not None and inspector.credential_valid_from > today:
        return "not_yet"
    if inspector.credential_valid_until <= today + dt.timedelta(days=EXPIRING_DAYS):
        return "expiring"
    return "valid"


def _valid_on(today: dt.date) -> ColumnElement[bool]:
    return and_(
        or_(Inspector.credential_valid_from.is_(None), Inspector.credential_valid_from <= today),
        Inspector.credential_valid_until >= today,
    )


def inspector_conditions(args: dict, today: dt.date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if args.get("q"):
        text = args["q"].strip()
        conditions.append(
            or_(
                Inspector.name.contains(text, autoescape=True),
                Inspector.credential_no.startswith(text.upper(), autoescape=True),
            )
        )
    if args.get("department"):
        conditions.append(Inspector.department_id == args["department"])
    if args.get("qualification"):
        conditions.append(Inspector.qualification == args["qualification"])
    if args.get("expertise"):
        conditions.append(
            exists().where(
                InspectorExpertise.inspector_id == Inspector.id,
                InspectorExpertise.tag == args["expertise"],
            )
        )
    if args.get("team_lead") is not None:
        conditions.append(Inspector.is_team_lead_qualified.is_(args["team_lead"]))
    if args.get("active") is not None:
        conditions.append(Inspector.is_active.is_(args["active"]))
    state = args.get("credential")
    if state == "valid":
        conditions.append(_valid_on(today))
    elif state == "expiring":
        soon = today + dt.timedelta(days=EXPIRING_DAYS)
        conditions.extend([_valid_on(today), Inspector.credential_valid_until <= soon])
    elif state == "expired":
        conditions.append(Inspector.credential_valid_until < today)
    return conditions


def list_inspectors(session: Session, args: dict, today: dt.date) -> Page:
    conditions = inspector_conditions(args, today)
    stmt = select(Inspector).where(*conditions).order_by(Inspector.name, Inspector.id)
    return _paged(
        session, stmt, conditions, Inspector, page=args.get("page", 1), size=args["page_size"]
    )


def inspector_by_id(session: Session, raw_id: str) -> Inspector | None:
    try:
        return session.get(Inspector, uuid.UUID(raw_id))
    except ValueError:
        return None


def inspector_for_user(session: Session, user_id: uuid.UUID) -> Inspector | None:
    return session.scalars(select(Inspector).where(Inspector.user_id == user_id)).first()


def expertise_tags(session: Session) -> list[str]:
    return list(
        session.scalars(select(InspectorExpertise.tag).distinct().order_by(InspectorExpertise.tag))
    )


def inspector_choices(session: Session) -> dict[str, str]:
    """Active inspectors for a select: id → "name（credential no.）"."""
    rows = session.execute(
        select(Inspector.id, Inspector.name, Inspector.credential_no)
        .where(Inspector.is_active.is_(True))
        .order_by(Inspector.name)
    )
    return {str(r.id): f"{r.name}（{r.credential_no}）" for r in rows}


# ---- conflicts ----------------------------------------------------------------------------------


def conflict_conditions(args: dict) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if args.get("state") == "active":
        conditions.append(Conflict.is_active.is_(True))
    elif args.get("state") == "ended":
        conditions.append(Conflict.is_active.is_(False))
    if args.get("kind"):
        conditions.append(Conflict.kind == args["kind"])
    if args.get("inspector"):
        conditions.append(Conflict.inspector_id == args["inspector"])
    if args.get("q"):
        text = args["q"].strip()
        conditions.append(
            or_(
                exists().where(Subject.id == Conflict.subject_id, subject_search(text)),
                exists().where(
                    Inspector.id == Conflict.inspector_id,
                    Inspector.name.contains(text, autoescape=True),
                ),
            )
        )
    return conditions


def list_conflicts(session: Session, args: dict) -> Page:
    conditions = conflict_conditions(args)
    stmt = select(Conflict).where(*conditions).order_by(Conflict.created_at.desc(), Conflict.id)
    return _paged(
        session, stmt, conditions, Conflict, page=args.get("page", 1), size=args["page_size"]
    )


def conflicts_of(session: Session, *, subject_id=None, inspector_id=None) -> list[Conflict]:
    """All registrations (active first) of one subject or one inspector, for detail pages."""
    stmt = select(Conflict).order_by(Conflict.is_active.desc(), Conflict.created_at.desc())
    if subject_id is not None:
        stmt = stmt.where(Conflict.subject_id == subject_id)
    if inspector_id is not None:
        stmt = stmt.where(Conflict.inspector_id == inspector_id)
    return list(session.scalars(stmt).unique())


def conflict_by_id(session: Session, raw_id: str) -> Conflict | None:
    try:
        return session.get(Conflict, uuid.UUID(raw_id))
    except ValueError:
        return None


# ---- shared lookups -----------------------------------------------------------------------------


def regions(session: Session) -> dict[str, str]:
    """Active regions: code → name, in their configured order."""
    rows = session.execute(
        select(Region.code, Region.name)
        .where(Region.is_active.is_(True))
        .order_by(Region.sort, Region.code)
    )
    return {r.code: r.name for r in rows}


def departments(session: Session) -> dict[str, str]:
    """Active departments: str(id) → name (a handful of rows; one query per page)."""
    rows = session.execute(
        select(Department.id, Department.name)
        .where(Department.is_active.is_(True))
        .order_by(Department.code)
    )
    return {str(r.id): r.name for r in rows}


def user_names(session: Session, ids: set) -> dict[uuid.UUID, str]:
    """display names of the given users, in one query."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {r.id: r.display_name for r in rows}


def audit_events(session: Session, object_type: str, object_id, limit: int = 20) -> list:
    """The latest audit events of one object, newest first."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
            .order_by(AuditEvent.seq.desc())
            .limit(limit)
        )
    )
