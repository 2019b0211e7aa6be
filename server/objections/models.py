"""Objections (异议, Art. 26): a party disputes a published result; the department reviews it
within 20 working days of receipt, corrects or maintains it, and tells the applicant.

An `Objection` is filed online (public form) or entered from paper by the back office. It names
the published version it disputes (`publication_id`), the task and the subject (USCC and name as
published), and the result sheets of that subject's sections as they stood (`ObjectionSheet`).
State: received → under_review → corrected | maintained → replied. `due_on` is the 20th working
day after `received_on` (server/calendar); `due_provisional` says it was computed with a guessed
year. The contact (phone or e-mail) is masked everywhere except the back-office detail page.

Attachments are stored through the evidence storage backend (sync/storage.py) under
server-made keys; only JPEG, PNG and PDF (sniffed from the bytes), SHA-256 kept.

`ObjectionRateEvent` backs the small filing/lookup limiter (server/objections/limits.py).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import User
from server.orm import Base, Timestamps, UUIDPrimaryKey, utcnow
from server.results.models import ResultSheet
from server.tasks.models import Task

RECEIVED, UNDER_REVIEW, CORRECTED, MAINTAINED, REPLIED = (
    "received",
    "under_review",
    "corrected",
    "maintained",
    "replied",
)
STATES = (RECEIVED, UNDER_REVIEW, CORRECTED, MAINTAINED, REPLIED)
# Not yet answered: the 20 working days run (a decided objection still owes the applicant a reply).
OPEN_STATES = (RECEIVED, UNDER_REVIEW, CORRECTED, MAINTAINED)
UNDECIDED_STATES = (RECEIVED, UNDER_REVIEW)
DECISIONS = (CORRECTED, MAINTAINED)

ONLINE, PAPER = "online", "paper"
CHANNELS = (ONLINE, PAPER)


class ObjectionCounter(Base):
    """The last sequence number of `year` (reference numbers YY2026-000123), bumped atomically."""

    __tablename__ = "objection_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(default=0)


class Objection(UUIDPrimaryKey, Timestamps, Base):
    """One objection to the published result of one subject in one task."""

    __tablename__ = "objections"
    __table_args__ = (Index("ix_objections_task_state", "task_id", "state"),)

    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # The published version disputed (server/publication; no FK while that table is being built).
    publication_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    publication_version: Mapped[int | None]
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    subject_name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(10))
    applicant_name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str] = mapped_column(String(120))
    grounds: Mapped[str] = mapped_column(Text)
    received_on: Mapped[dt.date]
    due_on: Mapped[dt.date] = mapped_column(index=True)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default=RECEIVED, index=True)
    decision: Mapped[str | None] = mapped_column(String(12))
    decision_text: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime | None]
    # The publication made when a corrected objection republished the task.
    republication_id: Mapped[uuid.UUID | None]
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[dt.datetime | None]
    review_started_at: Mapped[dt.datetime | None]
    handled_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    entered_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    task: Mapped[Task] = relationship(lazy="joined")
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])
    sheets: Mapped[list[ObjectionSheet]] = relationship(
        cascade="all, delete-orphan", back_populates="objection", lazy="selectin"
    )
    attachments: Mapped[list[ObjectionAttachment]] = relationship(
        cascade="all, delete-orphan",
        order_by="ObjectionAttachment.position",
        back_populates="objection",
        lazy="selectin",
    )

    def is_overdue(self, today: dt.date) -> bool:
        return self.state in OPEN_STATES and self.due_on < today

    def audit_state(self) -> dict:
        # The contact is personal data: the trail keeps that one was given, not the number.
        return {
            "reference": self.reference,
            "publication_id": self.publication_id,
            "publication_version": self.publication_version,
            "task_id": self.task_id,
            "uscc": self.uscc,
            "subject_name": self.subject_name,
            "channel": self.channel,
            "received_on": self.received_on,
            "due_on": self.due_on,
            "due_provisional": self.due_provisional,
            "state": self.state,
            "decision": self.decision,
            "decision_text": self.decision_text,
            "republication_id": self.republication_id,
            "reply_text": self.reply_text,
            "handled_by_id": self.handled_by_id,
            "sheets": sorted(str(link.sheet_id) for link in self.sheets),
            "attachments": [a.audit_state() for a in self.attachments],
        }


class ObjectionSheet(Base):
    """A result sheet (the version published) that the objection disputes."""

    __tablename__ = "objection_sheets"

    objection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("objections.id", ondelete="CASCADE"), primary_key=True
    )
    sheet_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("result_sheets.id"), primary_key=True)

    objection: Mapped[Objection] = relationship(back_populates="sheets")
    sheet: Mapped[ResultSheet] = relationship(lazy="joined")


class ObjectionAttachment(UUIDPrimaryKey, Base):
    """A file the applicant sent with the objection (JPEG, PNG or PDF)."""

    __tablename__ = "objection_attachments"
    __table_args__ = (UniqueConstraint("objection_id", "position"),)

    objection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("objections.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    filename: Mapped[str] = mapped_column(String(200))  # as sent, shown only; never a path
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    objection: Mapped[Objection] = relationship(back_populates="attachments")

    def audit_state(self) -> dict:
        return {
            "key": self.storage_key,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
        }


class ObjectionRateEvent(UUIDPrimaryKey, Base):
    """One counted public action (a filing, a status lookup) for the limiter."""

    __tablename__ = "objection_rate_events"
    __table_args__ = (Index("ix_objection_rate_events_scope_key_at", "scope", "key", "at"),)

    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))  # SHA-256 of the IP or the USCC
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
