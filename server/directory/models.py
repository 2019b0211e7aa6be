"""Regions, subjects (检查对象名录库), inspectors (执法检查人员名录库) and the conflict register."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import Department, User
from server.orm import Base, Timestamps, UUIDPrimaryKey, utcnow


class Region(Base):
    """An area of the zone (街道 / 镇); imports must name a known one."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    sort: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)


class SubjectScope(Base):
    """Which departments supervise a subject (a department's own directory is its scope)."""

    __tablename__ = "subject_scopes"
    # (department, subject) covers "the subjects of a department" without reading the table.
    __table_args__ = (Index("ix_subject_scopes_department_id", "department_id", "subject_id"),)

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), primary_key=True)


class SubjectTag(Base):
    """A free business tag (加油站, 预付卡发卡企业 …) used by targeted draws."""

    __tablename__ = "subject_tags"
    __table_args__ = (Index("ix_subject_tags_tag", "tag", "subject_id"),)  # covering, as above

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True)


class SubjectRiskFlag(UUIDPrimaryKey, Base):
    """A risk flag: high-risk subjects are exempt from ratio and frequency limits."""

    __tablename__ = "subject_risk_flags"
    __table_args__ = (
        UniqueConstraint("subject_id", "flag"),
        Index("ix_subject_risk_flags_flag", "flag", "subject_id"),  # covering, as above
    )

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    flag: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Subject(UUIDPrimaryKey, Timestamps, Base):
    """A business that may be drawn for inspection, keyed by its USCC."""

    __tablename__ = "subjects"
    __table_args__ = (
        Index("ix_subjects_filter", "is_deleted", "status", "kind", "scale", "region_code"),
        # The console list: "in the directory, by name" and its name/USCC search read this
        # index alone (covering), so the first, a deep page and their COUNT skip the table.
        Index("ix_subjects_listing", "is_deleted", "name", "id", "uscc"),
        # A list filtered through a child table (scope, tag, flag) finds subjects by id: this
        # answers "live? name?" from the index, without reading each row (10× on SQLite).
        Index("ix_subjects_id_live", "id", "is_deleted", "name"),
    )

    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    scale: Mapped[str | None] = mapped_column(String(20), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    legal_rep: Mapped[str | None] = mapped_column(String(60))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    business_scope: Mapped[str | None] = mapped_column(Text)
    established_on: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    # Soft delete: a subject that leaves the directory stays referable by old draws.
    is_deleted: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    region: Mapped[Region] = relationship(lazy="joined")
    scope_rows: Mapped[list[SubjectScope]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    tag_rows: Mapped[list[SubjectTag]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    risk_flags: Mapped[list[SubjectRiskFlag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def department_ids(self) -> set[uuid.UUID]:
        return {s.department_id for s in self.scope_rows}

    @property
    def tags(self) -> list[str]:
        return sorted(t.tag for t in self.tag_rows)

    @property
    def flag_codes(self) -> list[str]:
        return sorted(f.flag for f in self.risk_flags)

    @property
    def is_high_risk(self) -> bool:
        return bool(self.risk_flags)

    def audit_state(self) -> dict:
        return {
            "uscc": self.uscc,
            "name": self.name,
            "kind": self.kind,
            "scale": self.scale,
            "region_code": self.region_code,
            "address": self.address,
            "legal_rep": self.legal_rep,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "business_scope": self.business_scope,
            "established_on": self.established_on,
            "status": self.status,
            "is_deleted": self.is_deleted,
            "department_ids": sorted(str(d) for d in self.department_ids),
            "tags": self.tags,
            "risk_flags": self.flag_codes,
        }


class InspectorExpertise(Base):
    """An expertise tag (业务专长) of an inspector, used by manual pools."""

    __tablename__ = "inspector_expertise"

    inspector_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inspectors.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Inspector(UUIDPrimaryKey, Timestamps, Base):
    """A person who may be drawn to inspect; an expired credential is never drawn."""

    __tablename__ = "inspectors"

    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(32))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    credential_no: Mapped[str] = mapped_column(String(40), unique=True)
    credential_issuer: Mapped[str] = mapped_column(String(120))
    credential_valid_from: Mapped[dt.date | None]
    credential_valid_until: Mapped[dt.date] = mapped_column(index=True)
    qualification: Mapped[str] = mapped_column(String(32), index=True)
    is_team_lead_qualified: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    # Key of the credential photo in evidence storage (set from the console; shown on the phone).
    photo_key: Mapped[str | None] = mapped_column(String(200))
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    expertise_rows: Mapped[list[InspectorExpertise]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def expertise(self) -> list[str]:
        return sorted(e.tag for e in self.expertise_rows)

    def credential_valid_on(self, day: dt.date) -> bool:
        starts_ok = self.credential_valid_from is None or self.credential_valid_from <= day
        return starts_ok and day <= self.credential_valid_until

    def audit_state(self) -> dict:
        return {
            "user_id": self.user_id,
            "name": self.name,
            # The ID number is personal data: only its digest enters the chain via this state.
            "id_number": self.id_number,
            "phone": self.phone,
            "department_id": self.department_id,
            "credential_no": self.credential_no,
            "credential_issuer": self.credential_issuer,
            "credential_valid_from": self.credential_valid_from,
            "credential_valid_until": self.credential_valid_until,
            "qualification": self.qualification,
            "is_team_lead_qualified": self.is_team_lead_qualified,
            "is_active": self.is_active,
            "expertise": self.expertise,
        }


class Conflict(UUIDPrimaryKey, Base):
    """A registered conflict of interest: the pair is excluded before any draw."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("inspector_id", "subject_id", "kind"),)

    inspector_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inspectors.id"), index=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[dt.datetime | None]

    inspector: Mapped[Inspector] = relationship(lazy="joined")
    subject: Mapped[Subject] = relationship(lazy="joined")

    def audit_state(self) -> dict:
        return {
            "inspector_id": self.inspector_id,
            "subject_id": self.subject_id,
            "kind": self.kind,
            "note": self.note,
            "is_active": self.is_active,
            "ended_at": self.ended_at,
        }
