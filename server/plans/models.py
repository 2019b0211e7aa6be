"""Annual plans (Art. 11–13): a plan per department and year, its lines, overrides, versions.

The plan's lines are the working copy; every publication or adjustment freezes them into a
PlanVersion snapshot (JSON), so each public version stays readable exactly as published even
after the lines or the items change.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

from sqlalchemy import JSON, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import Department, User
from server.items.models import Item, ItemVersion
from server.orm import Base, Timestamps, UUIDPrimaryKey, utcnow

DRAFT, FILED, PUBLISHED = "draft", "filed", "published"
STATES = (DRAFT, FILED, PUBLISHED)
# Art. 11: the bureau files its annual plan with the city market regulator (报市市场监管局备案).
DEFAULT_FILED_TO = "市市场监管局"


class AnnualPlan(UUIDPrimaryKey, Timestamps, Base):
    """One department's plan for one year: draft → filed (报备) → published (public versions)."""

    __tablename__ = "annual_plans"
    __table_args__ = (UniqueConstraint("department_id", "year"),)

    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(16), default=DRAFT, index=True)
    filed_at: Mapped[dt.datetime | None]
    filed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    filed_to: Mapped[str | None] = mapped_column(String(120))  # 备案机关
    published_at: Mapped[dt.datetime | None]
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # 0 until the first publication; then the number of the newest public version.
    current_version_no: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department] = relationship(lazy="joined")
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    lines: Mapped[list[PlanLine]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanLine.sort"
    )
    overrides: Mapped[list[PlanOverride]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanOverride.created_at"
    )
    versions: Mapped[list[PlanVersion]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanVersion.version_no"
    )

    @property
    def is_published(self) -> bool:
        return self.state == PUBLISHED

    def audit_state(self) -> dict:
        return {
            "department_id": self.department_id,
            "year": self.year,
            "state": self.state,
            "filed_at": self.filed_at,
            "filed_to": self.filed_to,
            "published_at": self.published_at,
            "current_version_no": self.current_version_no,
            "lines": [line.audit_state() for line in self.lines],
            "overrides": [o.audit_state() for o in self.overrides],
        }


class PlanLine(UUIDPrimaryKey, Base):
    """The plan for one item of the department's list (Art. 12: objects, content, method,
    ratio and frequency, time window)."""

    __tablename__ = "plan_lines"
    __table_args__ = (UniqueConstraint("plan_id", "item_id"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("annual_plans.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id"), index=True)
    # The item version the line was planned against (the item may change later).
    item_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_versions.id"))
    sort: Mapped[int] = mapped_column(default=0)
    objects: Mapped[str] = mapped_column(Text)  # 抽查对象, for people
    # Structured object filters for a later targeted draw: {"kinds": [...], "scales": [...],
    # "regions": [...], "tags": [...], "risk_flags": [...], "department_scope": true}.
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    content: Mapped[str] = mapped_column(Text)  # 抽查内容
    methods: Mapped[list] = mapped_column(JSON, default=list)  # method codes
    ratio_percent: Mapped[decimal.Decimal] = mapped_column(Numeric(5, 2))
    frequency_per_year: Mapped[int]
    window_start: Mapped[dt.date]
    window_end: Mapped[dt.date]
    notes: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[AnnualPlan] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")
    item_version: Mapped[ItemVersion] = relationship(lazy="joined")

    def audit_state(self) -> dict:
        return {
            "item_id": self.item_id,
            "item_version_id": self.item_version_id,
            "objects": self.objects,
            "filters": self.filters,
            "content": self.content,
            "methods": list(self.methods or []),
            "ratio_percent": self.ratio_percent,
            "frequency_per_year": self.frequency_per_year,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "notes": self.notes,
        }


class PlanOverride(UUIDPrimaryKey, Base):
    """A rule broken on purpose: the rule code, the item (line) and the written justification."""

    __tablename__ = "plan_overrides"
    __table_args__ = (UniqueConstraint("plan_id", "rule_code", "item_id"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("annual_plans.id", ondelete="CASCADE"), index=True
    )
    rule_code: Mapped[str] = mapped_column(String(32))
    # The item the finding is about (a line, or a missing line); None for plan-wide findings.
    item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("items.id"))
    justification: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[AnnualPlan] = relationship(back_populates="overrides")
    item: Mapped[Item | None] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship()

    def audit_state(self) -> dict:
        return {
            "rule_code": self.rule_code,
            "item_id": self.item_id,
            "justification": self.justification,
        }


class PlanVersion(UUIDPrimaryKey, Base):
    """A published version: version 1 is the first publication, later ones are adjustments."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version_no"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("annual_plans.id", ondelete="CASCADE"), index=True
    )
    version_no: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    # {"lines": [...], "overrides": [...], "filed_to": ...}: plain JSON (queries.snapshot).
    snapshot: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[AnnualPlan] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()
