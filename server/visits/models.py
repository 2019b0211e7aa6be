"""Visits (检查), the tasks each carries, and the merge proposals that join them (Art. 15).

A visit is what the phones receive: one subject, one window, the items of every task it carries
and the inspectors those tasks' draws assigned to the subject. The teams themselves stay in the
draws (`DrawAssignment`, amended by approved replacements), so a visit never holds a second copy
that could disagree with the published bundle.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.directory.models import Subject
from server.orm import Base, Timestamps, UUIDPrimaryKey
from server.references import checked_per_statement
from server.tasks.models import Task

# planned: waiting for (or in) the field; merged: absorbed into `merged_into`;
# cancelled: the subject was replaced by an alternate (or its task cancelled).
PLANNED, MERGED, CANCELLED = "planned", "merged", "cancelled"


class Visit(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_subject_state", "subject_id", "state"),
        # Written in bulk by the draw: see server/references.py.
        checked_per_statement("subject_id", "subjects.id"),
    )

    subject_id: Mapped[uuid.UUID]
    uscc: Mapped[str] = mapped_column(String(18))
    year: Mapped[int] = mapped_column(index=True)
    # Found by subject (ix_visits_subject_state) or by year; every index slows a large draw.
    state: Mapped[str] = mapped_column(String(12), default=PLANNED)
    # The overlap of the windows of every task carried (a merge narrows it); due = window_end.
    window_start: Mapped[dt.date]
    window_end: Mapped[dt.date]
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visits.id"))
    end_reason: Mapped[str | None] = mapped_column(Text)  # why cancelled / merged

    subject: Mapped[Subject] = relationship(lazy="joined")
    tasks: Mapped[list[VisitTask]] = relationship(
        back_populates="visit", order_by="VisitTask.position", lazy="selectin"
    )

    @property
    def due_date(self) -> dt.date:
        return self.window_end

    def audit_state(self) -> dict:
        return {
            "subject_id": self.subject_id,
            "uscc": self.uscc,
            "state": self.state,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "merged_into_id": self.merged_into_id,
            "end_reason": self.end_reason,
            "tasks": [str(t.task_id) for t in self.tasks],
        }


class VisitTask(UUIDPrimaryKey, Base):
    """One task carried by a visit: its items are a section of the notice and of the record."""

    __tablename__ = "visit_tasks"
    # A subject selected by a draw is carried by exactly one visit at a time.
    __table_args__ = (
        UniqueConstraint("draw_id", "subject_id"),
        # Written in bulk by the draw: see server/references.py. A draft task may be deleted.
        checked_per_statement("visit_id", "visits.id"),
        checked_per_statement("task_id", "tasks.id", lock=True),
        checked_per_statement("draw_id", "draws.id"),
        checked_per_statement("subject_id", "subjects.id"),
    )

    visit_id: Mapped[uuid.UUID] = mapped_column(index=True)
    task_id: Mapped[uuid.UUID] = mapped_column(index=True)
    draw_id: Mapped[uuid.UUID]  # leads the unique key
    subject_id: Mapped[uuid.UUID]
    position: Mapped[int] = mapped_column(default=0)  # section order in the merged record

    visit: Mapped[Visit] = relationship(back_populates="tasks")
    task: Mapped[Task] = relationship(lazy="joined")


# Merge proposals: proposed by the system, decided by the head of every department involved.
PROPOSED, CONFIRMED, DECLINED = "proposed", "confirmed", "declined"


class MergeProposal(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "merge_proposals"

    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id"), index=True)
    state: Mapped[str] = mapped_column(String(12), default=PROPOSED, index=True)
    # The proposed visits, oldest first: the first one absorbs the others.
    visit_ids: Mapped[list] = mapped_column(JSON, default=list)
    window_start: Mapped[dt.date]  # the overlap the merged visit would have
    window_end: Mapped[dt.date]
    decided_at: Mapped[dt.datetime | None]

    subject: Mapped[Subject] = relationship(lazy="joined")
    decisions: Mapped[list[MergeDecision]] = relationship(
        back_populates="proposal", order_by="MergeDecision.at", lazy="selectin"
    )

    def audit_state(self) -> dict:
        return {
            "subject_id": self.subject_id,
            "state": self.state,
            "visit_ids": list(self.visit_ids),
            "window_start": self.window_start,
            "window_end": self.window_end,
            "decisions": [d.audit_state() for d in self.decisions],
        }


class MergeDecision(UUIDPrimaryKey, Base):
    """One department head's answer to a proposal (one per department involved)."""

    __tablename__ = "merge_decisions"
    __table_args__ = (UniqueConstraint("proposal_id", "department_id"),)

    proposal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("merge_proposals.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    confirmed: Mapped[bool]
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime]

    proposal: Mapped[MergeProposal] = relationship(back_populates="decisions")

    def audit_state(self) -> dict:
        return {
            "department_id": self.department_id,
            "user_id": self.user_id,
            "confirmed": self.confirmed,
            "comment": self.comment,
            "at": self.at,
        }
