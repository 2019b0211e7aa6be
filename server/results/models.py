"""Results (检查结果, Art. 25–27): one result sheet per visit section, its lines per item, and the
completion of a task with its publication deadline.

A sheet is the department's verdict on one section (visit × task) of a visit: per item of the
task the result codes, the methods used, the follow-up measures and a free text. Every version is
kept: an approved sheet changes only through a new version (`supersedes_id`, a reason), and the
latest version of a section is the one with `is_current` set.

`TaskCompletion` holds what the task row does not: the day the department head completed the
task (the 20 working days to publication count from it) and `published_at`, filled when the
results are published (publication is built later; until then it stays NULL, and the deadlines
dashboard lists every completed task whose `published_at` is NULL).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import User
from server.items.models import Item
from server.orm import Base, Timestamps, UUIDPrimaryKey
from server.tasks.models import Task

DRAFT, SUBMITTED, RETURNED, APPROVED = "draft", "submitted", "returned", "approved"
SHEET_STATES = (DRAFT, SUBMITTED, RETURNED, APPROVED)
# The enterer may change a sheet only in these states.
EDITABLE_STATES = frozenset({DRAFT, RETURNED})
# Follow-up measures are open until the department closes them on a date.
OPEN, CLOSED = "open", "closed"


class ResultSheet(UUIDPrimaryKey, Timestamps, Base):
    """One version of the result of one section (visit × task)."""

    __tablename__ = "result_sheets"
    __table_args__ = (
        UniqueConstraint("visit_id", "task_id", "version"),
        Index("ix_result_sheets_task_current", "task_id", "is_current"),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"))
    version: Mapped[int] = mapped_column(default=1)
    is_current: Mapped[bool] = mapped_column(default=True)
    supersedes_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("result_sheets.id"))
    correction_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default=DRAFT, index=True)
    # The approved inspection record the result rests on; None when the visit ended without one
    # (then `no_record_reason` says why: subject closed, unreachable …).
    record_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visit_records.id"))
    no_record_reason: Mapped[str | None] = mapped_column(Text)
    remarks: Mapped[str | None] = mapped_column(Text)
    entered_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    submitted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    review_comment: Mapped[str | None] = mapped_column(Text)

    task: Mapped[Task] = relationship(lazy="joined")
    entered_by: Mapped[User] = relationship(foreign_keys=[entered_by_id], lazy="joined")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    lines: Mapped[list[ResultLine]] = relationship(
        cascade="all, delete-orphan",
        order_by="ResultLine.position",
        back_populates="sheet",
        lazy="selectin",
    )

    def line_for(self, item_id) -> ResultLine | None:
        return next((line for line in self.lines if line.item_id == item_id), None)

    def audit_state(self) -> dict:
        return {
            "visit_id": self.visit_id,
            "task_id": self.task_id,
            "version": self.version,
            "is_current": self.is_current,
            "supersedes_id": self.supersedes_id,
            "correction_reason": self.correction_reason,
            "state": self.state,
            "record_id": self.record_id,
            "no_record_reason": self.no_record_reason,
            "remarks": self.remarks,
            "entered_by_id": self.entered_by_id,
            "submitted_by_id": self.submitted_by_id,
            "reviewed_by_id": self.reviewed_by_id,
            "review_comment": self.review_comment,
            "lines": [line.audit_state() for line in self.lines],
        }


class ResultLine(UUIDPrimaryKey, Base):
    """The result of one item of the task: codes of the reference tables (server/codes)."""

    __tablename__ = "result_lines"
    __table_args__ = (UniqueConstraint("sheet_id", "item_id"),)

    sheet_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("result_sheets.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id"))
    position: Mapped[int] = mapped_column(default=0)
    result_codes: Mapped[list] = mapped_column(JSON, default=list)
    method_codes: Mapped[list] = mapped_column(JSON, default=list)
    # [{"code": "rectify", "status": "open" | "closed", "closed_on": "2026-12-01" | None}]
    followups: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)

    sheet: Mapped[ResultSheet] = relationship(back_populates="lines")
    item: Mapped[Item] = relationship(lazy="joined")

    def audit_state(self) -> dict:
        return {
            "item_id": self.item_id,
            "result_codes": list(self.result_codes or []),
            "method_codes": list(self.method_codes or []),
            "followups": list(self.followups or []),
            "note": self.note,
        }


class TaskCompletion(Timestamps, Base):
    """The completion of a task (state `completed`) and, later, the publication of its results."""

    __tablename__ = "task_completions"

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    # The day in Asia/Shanghai: the publication deadline counts working days after it.
    completed_on: Mapped[dt.date]
    completed_at: Mapped[dt.datetime]
    completed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # NULL until the results are published (publication comes later).
    published_at: Mapped[dt.datetime | None] = mapped_column(index=True)

    task: Mapped[Task] = relationship(lazy="joined")

    def audit_state(self) -> dict:
        return {
            "task_id": self.task_id,
            "completed_on": self.completed_on,
            "completed_at": self.completed_at,
            "completed_by_id": self.completed_by_id,
            "published_at": self.published_at,
        }
