"""Follow-ups (后续处置, Art. 27) and transfers (移交 / 移送).

"谁监管、谁负责": a measure chosen in an approved result (every follow-up code except
无须后续处置) becomes a `FollowUp` the task's department works on until it closes it on a date.
Its handling log (`FollowUpEntry`) keeps what was done, when and by whom.

A `Transfer` sends a clue to another department (移交, 抄告) or a case to a case-handling body or
the judiciary (移送): draft → sent (a 移交函/移送函 PDF is generated and its SHA-256 kept) →
received (the receipt) → closed (the outcome). An internal recipient department sees it in its
inbox and records the receipt itself. Documents attached to a transfer are stored like evidence
(server-made keys, type sniffed from the bytes, SHA-256).

A follow-up is keyed by what it is about — the section (visit × task), the item and the code —
not by the sheet version, so a corrected result that keeps a measure keeps its follow-up (the
sheet and line pointers move to the newest approved version).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import Department, User
from server.directory.models import Subject
from server.items.models import Item
from server.orm import Base, Timestamps, UUIDPrimaryKey, utcnow
from server.tasks.models import Task

OPEN, CLOSED = "open", "closed"
FOLLOWUP_STATES = (OPEN, CLOSED)
# The follow-up code that needs no action (never becomes a FollowUp).
NO_FOLLOWUP = "none"

# Transfer kinds: 移交 to another department (also 抄告), 移送 to investigators or the judiciary.
HANDOVER, REFERRAL_CASE, REFERRAL_JUDICIAL = "handover", "referral_case", "referral_judicial"
TRANSFER_KINDS = (HANDOVER, REFERRAL_CASE, REFERRAL_JUDICIAL)
T_DRAFT, T_SENT, T_RECEIVED, T_CLOSED = "draft", "sent", "received", "closed"
TRANSFER_STATES = (T_DRAFT, T_SENT, T_RECEIVED, T_CLOSED)


class FollowUp(UUIDPrimaryKey, Timestamps, Base):
    """One follow-up measure of one item of one section's approved result."""

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("visit_id", "task_id", "item_id", "code"),
        Index("ix_followups_department_status", "department_id", "status"),
    )

    sheet_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("result_sheets.id"), index=True)
    line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("result_lines.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"))
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), index=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("items.id"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("subjects.id"), index=True)
    # The task's department: "谁监管、谁负责" (who supervises is responsible).
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"))
    code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(12), default=OPEN)
    opened_on: Mapped[dt.date]
    due_on: Mapped[dt.date | None]  # e.g. the deadline of 责令限期整改
    closed_on: Mapped[dt.date | None]
    closing_note: Mapped[str | None] = mapped_column(Text)
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    task: Mapped[Task] = relationship(lazy="joined")
    subject: Mapped[Subject] = relationship(lazy="joined")
    item: Mapped[Item] = relationship(lazy="joined")
    department: Mapped[Department] = relationship()
    closed_by: Mapped[User | None] = relationship()
    entries: Mapped[list[FollowUpEntry]] = relationship(
        back_populates="followup",
        cascade="all, delete-orphan",
        order_by=lambda: [FollowUpEntry.happened_on, FollowUpEntry.created_at],
    )
    transfers: Mapped[list[Transfer]] = relationship(
        back_populates="followup", order_by="Transfer.created_at"
    )

    def is_overdue(self, today: dt.date) -> bool:
        return self.status == OPEN and self.due_on is not None and self.due_on < today

    def audit_state(self) -> dict:
        return {
            "sheet_id": self.sheet_id,
            "line_id": self.line_id,
            "visit_id": self.visit_id,
            "task_id": self.task_id,
            "item_id": self.item_id,
            "subject_id": self.subject_id,
            "department_id": self.department_id,
            "code": self.code,
            "status": self.status,
            "opened_on": self.opened_on,
            "due_on": self.due_on,
            "closed_on": self.closed_on,
            "closing_note": self.closing_note,
            "closed_by_id": self.closed_by_id,
        }


class FollowUpEntry(UUIDPrimaryKey, Base):
    """One line of a follow-up's handling log: the day it happened, what, who wrote it."""

    __tablename__ = "followup_entries"

    followup_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), index=True
    )
    happened_on: Mapped[dt.date]
    text: Mapped[str] = mapped_column(Text)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    followup: Mapped[FollowUp] = relationship(back_populates="entries")
    user: Mapped[User | None] = relationship(lazy="joined")


class Transfer(UUIDPrimaryKey, Timestamps, Base):
    """A clue handed over (移交/抄告) or a case referred (移送) from a follow-up."""

    __tablename__ = "transfers"
    __table_args__ = (Index("ix_transfers_recipient_status", "recipient_department_id", "status"),)

    followup_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("followups.id"), index=True)
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("departments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("departments.id"))
    clue_summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=T_DRAFT)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    sent_on: Mapped[dt.date | None]
    sent_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The 移交函/移送函 as sent: generated once at sending, kept, its hash on record.
    letter_key: Mapped[str | None] = mapped_column(String(512))
    letter_sha256: Mapped[str | None] = mapped_column(String(64))
    received_on: Mapped[dt.date | None]
    receipt_note: Mapped[str | None] = mapped_column(Text)
    received_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    closed_on: Mapped[dt.date | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    followup: Mapped[FollowUp] = relationship(back_populates="transfers", lazy="joined")
    department: Mapped[Department] = relationship(foreign_keys=[department_id], lazy="joined")
    recipient_department: Mapped[Department | None] = relationship(
        foreign_keys=[recipient_department_id], lazy="joined"
    )
    documents: Mapped[list[TransferDocument]] = relationship(
        back_populates="transfer",
        cascade="all, delete-orphan",
        order_by="TransferDocument.created_at",
        lazy="selectin",
    )

    def audit_state(self) -> dict:
        return {
            "followup_id": self.followup_id,
            "department_id": self.department_id,
            "kind": self.kind,
            "recipient_name": self.recipient_name,
            "recipient_department_id": self.recipient_department_id,
            "clue_summary": self.clue_summary,
            "status": self.status,
            "sent_on": self.sent_on,
            "letter_sha256": self.letter_sha256,
            "received_on": self.received_on,
            "receipt_note": self.receipt_note,
            "closed_on": self.closed_on,
            "outcome": self.outcome,
            "documents": [d.sha256 for d in self.documents],
        }


class TransferDocument(UUIDPrimaryKey, Base):
    """A file sent with a transfer (PDF, JPEG, PNG): stored under a server-made key."""

    __tablename__ = "transfer_documents"

    transfer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("transfers.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))  # shown only, never a path
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(512), unique=True)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    transfer: Mapped[Transfer] = relationship(back_populates="documents")
