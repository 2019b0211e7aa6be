"""Which PostgreSQL compression large values get (TOAST): lz4 where the server has it.

PostgreSQL compresses values over ~2 kB with pglz unless a column says otherwise. A draw's
population snapshot is one ~16 MB JSON value (a million USCCs): pglz takes ~0.45 s to store it,
lz4 ~0.15 s, at about the same size; reading it back is faster too. lz4 needs PostgreSQL 14+
built with it (Debian's is); elsewhere the columns keep pglz, and SQLite has no such thing.
"""

from __future__ import annotations

from sqlalchemy import Table, event, text
from sqlalchemy.engine import Connection

# (table, column) of the values large enough to matter.
LARGE_VALUES = (("draws", "population_members"), ("draws", "bundle"))


def lz4_available(connection: Connection) -> bool:
    """True on a PostgreSQL server that can compress with lz4 (the setting lists it only then)."""
    if connection.dialect.name != "postgresql":
        return False
    return bool(
        connection.scalar(
            text(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings"
                " WHERE name = 'default_toast_compression'"
            )
        )
    )


def use_lz4(connection: Connection, columns=LARGE_VALUES, method: str = "lz4") -> None:
    """Set the columns' compression (`method`: lz4, or pglz to undo) where lz4 exists."""
    if not lz4_available(connection):
        return
    for table, column in columns:
        connection.execute(
            text(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")
        )


def listen(table: Table) -> None:
    """create_all (tests, benchmarks) sets the compression as the migration does."""

    def after_create(target: Table, connection: Connection, **kw) -> None:
        use_lz4(connection, [(t, c) for t, c in LARGE_VALUES if t == target.name])

    event.listen(table, "after_create", after_create)
