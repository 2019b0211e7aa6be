"""Commits that need not survive a power cut: for state the next request re-derives anyway.

An upload's intermediate PATCH commits only its new offset. If a power cut loses that commit,
the offset goes back and the phone, told by HEAD, sends the missing bytes again; if the
partial file lost bytes the database still counts, the end refuses it (460 "partial_lost")
and the phone, which keeps its file until verified, starts again. What must never be lost
— the verified evidence, a pushed record — is committed the normal way: flushed to disk before
the answer. tusd makes the same trade (no fsync per chunk).

PostgreSQL: `SET LOCAL synchronous_commit = off`, this transaction only (a crash cannot corrupt
anything; it can only forget the last such commits). SQLite cannot change its safety level
inside a transaction: there every commit stays fully synchronous.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def relax_this_commit(session: Session) -> None:
    """The current transaction's commit may be lost by a power cut (see module)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
