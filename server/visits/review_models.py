"""Review comments: what a team lead or the back office sends back to the inspectors of a record.

A comment belongs to one visit record. Sending a record back (`returned`) always carries one; the
inspectors' phones receive comments by sync v1 "Pull" (collection `comments`) and answer with a
correction (a new record version that supersedes the returned one). Comments are never edited or
deleted: they are part of the record's history.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.orm import Base, Timestamps, UUIDPrimaryKey

RETURN, NOTE = "return", "note"
COMMENT_KINDS = (RETURN, NOTE)


class ReviewComment(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "review_comments"

    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visit_records.id"), index=True)
    # Denormalised from the record: the pull reads comments by the visits in scope.
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(10), default=RETURN)
    body: Mapped[str] = mapped_column(Text)

    author = relationship("User", lazy="joined")

    def audit_state(self) -> dict:
        return {
            "record_id": self.record_id,
            "visit_id": self.visit_id,
            "author_id": self.author_id,
            "kind": self.kind,
            "body": self.body,
        }
