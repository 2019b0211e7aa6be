"""Tables of the change feed (sync v1 "Pull"): the change sequence and the change log.

`sync/changes.py` explains how they are written; importing this module installs that writer, so
wherever these tables exist, every ORM flush of a syncable model is logged.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.orm import Base, utcnow

# SQLite makes only an INTEGER PRIMARY KEY an auto-incrementing rowid.
BigIntegerKey = BigInteger().with_variant(Integer, "sqlite")

UPSERT, DELETE = "upsert", "delete"


class SyncCounter(Base):
    """The one row holding the change sequence and the start of the retained log.

    `value`: the last sequence number given to a committed transaction (the pull cursor).
    `floor`: every change with seq ≤ floor may have been compacted away, so a cursor below it
    cannot be continued (the pull answers reset).
    """

    __tablename__ = "sync_counter"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    floor: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncChange(Base):
    """One object changed by the transaction that took `seq`.

    `user_id` is set only on deletes addressed to one user (the people who had a visit before it
    left their hands); untargeted rows are upserts any reader whose scope holds the object gets.
    """

    __tablename__ = "sync_changes"
    __table_args__ = (
        # "What changed after my cursor among my objects": found by object, then seq.
        Index("ix_sync_changes_object_seq", "object_id", "seq"),
        # Deletes addressed to one user, and compaction by seq.
        Index("ix_sync_changes_user_seq", "user_id", "seq"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    collection: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID | None]
    op: Mapped[str] = mapped_column(String(6), default=UPSERT)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


from sync import changes as _changes  # noqa: E402,F401 - installs the flush hook with the tables
