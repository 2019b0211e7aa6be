"""Emptying the PostgreSQL test database between tests (used by conftest and the browser tests)."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from server.orm import Base

_CLEANERS: dict = {}


def clear_postgres(url: str) -> None:
    """Empty every table but the reference codes.

    DELETE, not TRUNCATE: a test leaves a few rows in a few of ~45 tables, and TRUNCATE's fixed
    cost per table (~0.17 s for all of them) made up a third of the PostgreSQL run. Replica mode
    skips the foreign keys and the audit table's append-only triggers, for cleanup only.
    """
    engine = _CLEANERS.get(url)
    if engine is None:
        engine = _CLEANERS[url] = create_engine(url, pool_size=1)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name != "codes"]
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        for name in tables:
            conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - our own table names
