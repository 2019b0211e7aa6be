"""Tasks (抽查任务), their items, events and commissions; reusable checklist templates."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import Department, User
from server.items.models import Item, ItemVersion
from server.orm import Base, Timestamps, UUIDPrimaryKey, utcnow


class ChecklistTemplate(UUIDPrimaryKey, Timestamps, Base):
    """One version of a checklist (检查标准). Versions of one template share `family_id`.

    A version used by an issued task is frozen: editing it makes the next version
    (copy-on-write), so an issued task's checklist never changes under the inspectors' feet.
    """

    __tablename__ = "checklist_templates"
    __table_args__ = (UniqueConstraint("family_id", "version_no"),)

    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    version_no: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department] = relationship(lazy="joined")
    questions: Mapped[list[ChecklistQuestion]] = relationship(
        cascade="all, delete-orphan",
        order_by="ChecklistQuestion.position",
        back_populates="template",
        lazy="selectin",
    )

    def audit_state(self) -> dict:
        return {
            "family_id": self.family_id,
            "version_no": self.version_no,
            "is_current": self.is_current,
            "name": self.name,
            "description": self.description,
            "department_id": self.department_id,
            "questions": [q.audit_state() for q in self.questions],
        }


class ChecklistQuestion(UUIDPrimaryKey, Base):
    """One typed question; `item_code` puts it in that item's section (None: general)."""

    __tablename__ = "checklist_questions"

    template_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("checklist_templates.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    item_code: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    help: Mapped[str | None] = mapped_column(Text)
    # yes_no_na | text | number | date | photo_required (workflow.ANSWER_TYPES)
    answer_type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(default=True)

    template: Mapped[ChecklistTemplate] = relationship(back_populates="questions")

    def audit_state(self) -> dict:
        return {
            "position": self.position,
            "item_code": self.item_code,
            "text": self.text,
            "help": self.help,
            "answer_type": self.answer_type,
            "required": self.required,
        }


class TaskNumberCounter(Base):
    """The last sequence number given to a task of `year` (one row per year, updated atomically)."""

    __tablename__ = "task_number_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


class Task(UUIDPrimaryKey, Timestamps, Base):
    """A spot-check task from its draft to its completion (states: server/tasks/workflow.py)."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        Index("ix_tasks_listing", "year", "department_id", "state"),
    )

    # Assigned on the first submission only, so abandoned drafts leave no gap.
    number: Mapped[str | None] = mapped_column(String(60), unique=True)
    seq: Mapped[int | None]
    year: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="draft", index=True)

    # plan: items of the annual plan's lines; ad_hoc: outside the plan, with a reason.
    origin: Mapped[str] = mapped_column(String(10), default="plan")
    ad_hoc_reason: Mapped[str | None] = mapped_column(Text)

    # Objects: untargeted (the department's whole directory) or targeted by `target_filters`:
    # {"kinds": [...], "scales": [...], "regions": [...], "risk_flags": [...], "tags": [...]}
    # — OR within a key, AND across keys (queries.target_conditions turns it into SQL).
    targeting: Mapped[str] = mapped_column(String(12), default="untargeted")
    target_filters: Mapped[dict] = mapped_column(JSON, default=dict)

    # Inspectors: automatic (every eligible one) or manual, filtered by `pool_filters`:
    # {"qualifications": [...], "expertise": [...]}.
    team_size: Mapped[int] = mapped_column(default=2)
    pool_mode: Mapped[str] = mapped_column(String(12), default="automatic")
    pool_filters: Mapped[dict] = mapped_column(JSON, default=dict)

    window_start: Mapped[dt.date]
    window_end: Mapped[dt.date]

    # Sample size (DSR-v1 §1.3): a count, or a ratio as an exact decimal fraction ("0.05").
    sample_kind: Mapped[str] = mapped_column(String(8), default="ratio")
    sample_count: Mapped[int | None]
    sample_ratio: Mapped[str | None] = mapped_column(String(12))

    # Work plan (工作方案, Art. 20): methods, standards (the checklist), workflow, materials.
    methods: Mapped[list] = mapped_column(JSON, default=list)
    checklist_template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("checklist_templates.id"), index=True
    )
    workflow_notes: Mapped[str | None] = mapped_column(Text)
    materials: Mapped[str | None] = mapped_column(Text)

    review_comment: Mapped[str | None] = mapped_column(Text)  # the last return's comments
    submitted_at: Mapped[dt.datetime | None]
    approved_at: Mapped[dt.datetime | None]
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    checklist: Mapped[ChecklistTemplate | None] = relationship(lazy="joined")
    items: Mapped[list[TaskItem]] = relationship(
        cascade="all, delete-orphan", order_by="TaskItem.position", lazy="selectin"
    )
    events: Mapped[list[TaskEvent]] = relationship(
        cascade="all, delete-orphan", order_by="TaskEvent.at", lazy="selectin"
    )
    commissions: Mapped[list[Commission]] = relationship(
        cascade="all, delete-orphan", order_by="Commission.created_at", lazy="selectin"
    )

    def audit_state(self) -> dict:
        return {
            "number": self.number,
            "year": self.year,
            "name": self.name,
            "department_id": self.department_id,
            "owner_id": self.owner_id,
            "state": self.state,
            "origin": self.origin,
            "ad_hoc_reason": self.ad_hoc_reason,
            "items": [i.audit_state() for i in self.items],
            "targeting": self.targeting,
            "target_filters": self.target_filters,
            "team_size": self.team_size,
            "pool_mode": self.pool_mode,
            "pool_filters": self.pool_filters,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "sample_kind": self.sample_kind,
            "sample_count": self.sample_count,
            "sample_ratio": self.sample_ratio,
            "methods": list(self.methods or []),
            "checklist_template_id": self.checklist_template_id,
            "workflow_notes": self.workflow_notes,
            "materials": self.materials,
            "commissions": [c.audit_state() for c in self.commissions],
        }


class TaskItem(UUIDPrimaryKey, Base):
    """One item checked by a task, pinned to the item version in force when it was set up."""

    __tablename__ = "task_items"
    __table_args__ = (UniqueConstraint("task_id", "item_id"),)

    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id"), index=True)
    item_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("item_versions.id"))
    # The annual plan line this item comes from (None for an ad hoc task).
    plan_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("plan_lines.id"), index=True)

    item: Mapped[Item] = relationship(lazy="joined")
    item_version: Mapped[ItemVersion] = relationship(lazy="joined")

    def audit_state(self) -> dict:
        return {
            "item_id": self.item_id,
            "item_version_id": self.item_version_id,
            "plan_line_id": self.plan_line_id,
        }


class TaskEvent(UUIDPrimaryKey, Base):
    """One state change of a task: the timeline shown on its page."""

    __tablename__ = "task_events"

    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(String(120))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    comment: Mapped[str | None] = mapped_column(Text)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Commission(UUIDPrimaryKey, Timestamps, Base):
    """A third party commissioned for the task (Art. 19); its report becomes evidence."""

    __tablename__ = "task_commissions"

    task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tasks.id", ondelete="CASCADE"), index=True
    )
    agency: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(12))  # testing | audit | survey | other
    contract_ref: Mapped[str | None] = mapped_column(String(100))
    report_due: Mapped[dt.date | None]
    # Key of the report in evidence storage, attached once the agency delivers.
    report_key: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    def audit_state(self) -> dict:
        return {
            "agency": self.agency,
            "scope": self.scope,
            "contract_ref": self.contract_ref,
            "report_due": self.report_due,
            "report_key": self.report_key,
            "note": self.note,
        }
