"""The background job row: what to do, its state, attempts and the last error."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.orm import Base, Timestamps, UUIDPrimaryKey, utcnow

QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"
STATES = (QUEUED, RUNNING, DONE, DEAD)


class BackgroundJob(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "background_jobs"
    __table_args__ = (Index("ix_background_jobs_due", "state", "run_after"),)

    kind: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(12), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    # Not before this time (a retry's backoff); a claim's lease ends at locked_until.
    run_after: Mapped[dt.datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[dt.datetime | None]

    def audit_state(self) -> dict:
        return {
            "kind": self.kind,
            "payload": self.payload,
            "state": self.state,
            "attempts": self.attempts,
            "max_attempts": self.max_attempts,
            "run_after": self.run_after,
            "last_error": self.last_error,
        }
