"""Bulk inserts inside the session's transaction: COPY on PostgreSQL, multi-row INSERT elsewhere.

A draw of 5 % of a million subjects writes ~200,000 rows (selections, teams, visits); through the
ORM's unit of work that alone takes longer than the whole draw's budget. Rows are tuples in the
order of the `columns` given, every column given (COPY applies no defaults); no JSON columns.
"""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from collections.abc import Sequence

import psycopg
from sqlalchemy import exc, insert
from sqlalchemy.orm import Session


def insert_rows(session: Session, model, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert `rows` (tuples of `columns`) into `model`'s table in the session's transaction."""
    if not rows:
        return
    session.flush()  # keep the ORM's pending writes (parents of these rows) first
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(insert(model), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    _copy(connection.connection.driver_connection, model, columns, rows)


def _copy(driver, model, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """COPY `rows` into `model`'s table on a psycopg connection."""
    statement = f"COPY {model.__table__.name} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 - names from models
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    except psycopg.errors.IntegrityError as error:
        # As an INSERT through SQLAlchemy would raise it (a reference checked per statement,
        # server/references.py, or a unique key).
        raise exc.IntegrityError(statement, None, error) from error


def _execute(driver, statement: str, params: dict) -> None:
    try:
        with driver.cursor() as cursor:
            cursor.execute(statement, params)
    except psycopg.errors.IntegrityError as error:
        raise exc.IntegrityError(statement, params, error) from error


class ConcurrentWrites:
    """Bulk inserts sent from a second thread while this one computes (PostgreSQL).

    A large draw has seconds of pure-Python work (matching teams) and seconds of database work
    (writing the selection, the visits and the teams) that need not wait for each other: the
    database server works on the other core meanwhile. The inserts run in the order given, on
    the session's own connection and transaction; until the block ends this thread must not
    use the session. Leaving the block waits for them and raises their error, if any.
    Elsewhere (SQLite) each insert runs at once, in this thread.

        with ConcurrentWrites(session) as writes:
            writes.insert(Model, columns, rows)
            compute()  # no database here
    """

    _DONE = object()

    def __init__(self, session: Session):
        self.session = session
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def __enter__(self) -> ConcurrentWrites:
        self.session.flush()
        connection = self.session.connection()
        if connection.dialect.name == "postgresql":
            self.jobs: queue.SimpleQueue = queue.SimpleQueue()
            driver = connection.connection.driver_connection
            self.thread = threading.Thread(target=self._work, args=(driver,), daemon=True)
            self.thread.start()
        return self

    @property
    def concurrent(self) -> bool:
        """True on PostgreSQL: the writes go to the other thread (and `execute` is allowed)."""
        return self.thread is not None

    def insert(self, model, columns: Sequence[str], rows: Sequence[tuple]) -> None:
        if not rows:
            return
        if self.thread is None:
            insert_rows(self.session, model, columns, rows)
        else:
            self.jobs.put((_copy, (model, columns, rows)))

    def execute(self, statement: str, params: dict) -> None:
        """A PostgreSQL statement (psycopg's %(name)s parameters), in turn with the inserts."""
        if self.thread is None:
            raise RuntimeError("ConcurrentWrites.execute is for PostgreSQL only")
        self.jobs.put((_execute, (statement, params)))

    def _work(self, driver) -> None:
        while (job := self.jobs.get()) is not self._DONE:
            if self.error is None:  # after a failure the transaction is void: skip the rest
                function, args = job
                try:
                    function(driver, *args)
                except BaseException as error:  # noqa: BLE001 - handed to the caller's thread
                    self.error = error

    def __exit__(self, kind, value, traceback) -> None:
        if self.thread is not None:
            self.jobs.put(self._DONE)
            self.thread.join()
        if self.error is not None and value is None:
            raise self.error


def new_ids(session: Session, count: int) -> list:
    """`count` fresh time-ordered (version 7, RFC 9562) UUIDs for rows written by insert_rows.

    Ascending within one call (a counter after the millisecond timestamp, then 44 random bits),
    so a draw's 200,000 rows append to the right edge of each primary-key index instead of
    touching pages all over it. On PostgreSQL as 32 hex digits, which COPY parses (building
    200,000 uuid.UUID objects costs a large draw about a second); elsewhere as uuid.UUID
    objects, which SQLAlchemy binds.
    """
    if count <= 0:
        return []
    base = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | 0b10 << 62
    noise = os.urandom(6 * count)
    # Counter: 12 bits in rand_a, 18 bits at the top of rand_b (up to a billion per call).
    hexed = [
        f"{base | (i >> 18) << 64 | (i & 0x3FFFF) << 44 | int.from_bytes(noise[6 * i : 6 * i + 6]) >> 4:032x}"  # noqa: E501
        for i in range(count)
    ]
    if session.connection().dialect.name != "postgresql":
        return [uuid.UUID(h) for h in hexed]
    return hexed
