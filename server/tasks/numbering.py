"""Task numbers like 威经区商务抽查〔2026〕3号: a per-year sequence given at the first submission.

The counter row is bumped with one `UPDATE … RETURNING`: on PostgreSQL that statement holds the
row lock (as SELECT … FOR UPDATE would) until the transaction ends, so a concurrent submission
waits and gets the next number; on SQLite it takes the single writer lock. Never read-then-write
in Python: two readers would both see the same last number.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.tasks.models import TaskNumberCounter

DEFAULT_SHORT_NAME = "威经区商务"


def format_number(year: int, seq: int, short_name: str | None = None) -> str:
    if short_name is None:
        short_name = current_app.config.get("BUREAU_SHORT_NAME", DEFAULT_SHORT_NAME)
    return f"{short_name}抽查〔{year}〕{seq}号"


def _ensure_counter(session: Session, year: int) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(TaskNumberCounter).values(year=year, last_seq=0).on_conflict_do_nothing()
    session.execute(stmt)


def next_seq(session: Session, year: int) -> int:
    """Allocate the next sequence number of `year` inside the caller's transaction."""
    bump = (
        update(TaskNumberCounter)
        .where(TaskNumberCounter.year == year)
        .values(last_seq=TaskNumberCounter.last_seq + 1)
        .returning(TaskNumberCounter.last_seq)
        .execution_options(synchronize_session=False)
    )
    seq = session.execute(bump).scalar()
    if seq is None:
        _ensure_counter(session, year)
        seq = session.execute(bump).scalar_one()
    return seq
