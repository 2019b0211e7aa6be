"""Publication of results (一公开, Art. 25–27): published versions and their delivery outbox.

`Publication` is one published version of a task's results: the public snapshot exactly as it
was published (no personal data), its SHA-256, who published it, when and why (a later version
needs a reason: a correction, or the objection it answers). Every version is kept; the newest has
`is_latest` set. `PublishedSubject` indexes the businesses of each version for the public search.

`PublicationJob` is the outbox: one row per (publication, publisher) written in the publishing
transaction, sent after the commit in process and by `flask publication-run`; a failure is
retried with exponential backoff and goes `dead` after the configured number of attempts.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.auth.models import User
from server.orm import Base, Timestamps, UUIDPrimaryKey, utcnow
from server.tasks.models import Task

PENDING, SENT, FAILED, DEAD = "pending", "sent", "failed", "dead"
JOB_STATES = (PENDING, SENT, FAILED, DEAD)
# States a runner picks up when their time has come.
DUE_STATES = (PENDING, FAILED)


class Publication(UUIDPrimaryKey, Base):
    """One published version of a task's results."""

    __tablename__ = "publications"
    __table_args__ = (
        UniqueConstraint("task_id", "version_no"),
        Index("ix_publications_latest", "is_latest", "published_at"),
    )

    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id"), index=True)
    version_no: Mapped[int]
    is_latest: Mapped[bool] = mapped_column(default=True)
    published_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # Required from version 2 on: the correction's reason or the objection's outcome.
    reason: Mapped[str | None] = mapped_column(Text)
    # The objection (server/objections) this version answers; a plain column, no foreign key.
    objection_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    snapshot: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    # Not public: {visit_id: result sheet id} the snapshot was made from (what changed since).
    basis: Mapped[dict] = mapped_column(JSON, default=dict)

    task: Mapped[Task] = relationship(lazy="joined")
    published_by: Mapped[User | None] = relationship()
    jobs: Mapped[list[PublicationJob]] = relationship(
        back_populates="publication", order_by="PublicationJob.publisher", lazy="selectin"
    )
    subjects: Mapped[list[PublishedSubject]] = relationship(
        cascade="all, delete-orphan", order_by="PublishedSubject.uscc"
    )

    def audit_state(self) -> dict:
        return {
            "task_id": self.task_id,
            "version_no": self.version_no,
            "published_by_id": self.published_by_id,
            "reason": self.reason,
            "objection_id": self.objection_id,
            "sha256": self.sha256,
            "basis": self.basis,
        }


class PublishedSubject(Base):
    """A business named in a published version (the public search by name or USCC)."""

    __tablename__ = "published_subjects"

    publication_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("publications.id", ondelete="CASCADE"), primary_key=True
    )
    uscc: Mapped[str] = mapped_column(String(18), primary_key=True, index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)


class PublicationJob(UUIDPrimaryKey, Timestamps, Base):
    """The delivery of one publication through one publisher (the outbox row)."""

    __tablename__ = "publication_jobs"
    __table_args__ = (
        UniqueConstraint("publication_id", "publisher"),
        Index("ix_publication_jobs_due", "state", "next_attempt_at"),
    )

    publication_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("publications.id"), index=True)
    publisher: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None]

    publication: Mapped[Publication] = relationship(back_populates="jobs", lazy="joined")

    def audit_state(self) -> dict:
        return {
            "publication_id": self.publication_id,
            "publisher": self.publisher,
            "state": self.state,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "sent_at": self.sent_at,
        }
