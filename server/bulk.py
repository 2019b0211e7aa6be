"""Bulk inserts inside the session's transaction: COPY on PostgreSQL, multi-row INSERT elsewhere.

A draw of 5 % of a million subjects writes ~250,000 rows (selections, teams, visits); through the
ORM's unit of work that alone takes longer than the whole draw's budget. Rows are plain dicts
with every column given (defaults are not applied by COPY); no JSON columns.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence

from sqlalchemy import insert
from sqlalchemy.orm import Session


def insert_rows(session: Session, model, rows: Sequence[dict]) -> None:
    """Insert `rows` into `model`'s table in the session's current transaction."""
    if not rows:
        return
    session.flush()  # keep the ORM's pending writes (parents of these rows) first
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(model), list(rows))
        return
    table = model.__table__
    columns = list(rows[0])
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 - names from models
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(tuple(row[c] for c in columns))


def new_ids(session: Session, count: int) -> list:
    """`count` fresh random (version 4) UUIDs for rows written by insert_rows.

    On PostgreSQL as 32 hex digits, which COPY parses: building 200,000 uuid.UUID objects costs
    a large draw about a second. Elsewhere as uuid.UUID objects, which SQLAlchemy binds.
    """
    if session.connection().dialect.name != "postgresql":
        return [uuid.uuid4() for _ in range(count)]
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(b & 0x0F | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes(b & 0x3F | 0x80 for b in raw[8::16])  # RFC 4122 variant
    hexed = raw.hex()
    return [hexed[i : i + 32] for i in range(0, 32 * count, 32)]
